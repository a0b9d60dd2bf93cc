//! Fresh ids for replays that must look new to an idempotent handler. Unique, not secret:
//! a hash of the time, the process and a counter is enough.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn fresh_bytes() -> [u8; 32] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut hasher = Sha256::new();
    hasher.update(nanos.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hasher.finalize().into()
}

fn base32(len: usize) -> String {
    fresh_bytes().iter().cycle().take(len).map(|b| CROCKFORD[usize::from(b % 32)] as char).collect()
}

/// A Fleiko-style delivery id: `dlv_` and 26 Crockford base32 characters.
pub fn fleiko_delivery_id() -> String {
    format!("dlv_{}", base32(26))
}

/// A random (version 4 layout) UUID.
pub fn uuid() -> String {
    let mut b = fresh_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(&b[..16]);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A new id shaped like `old`: a UUID for a UUID, `prefix_` and as many characters for a
/// prefixed id, else a UUID.
pub fn like(old: &str) -> String {
    let is_uuid = old.len() == 36
        && old.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() }
        });
    match old.rsplit_once('_') {
        Some((prefix, rest)) if !is_uuid && !prefix.is_empty() => {
            format!("{prefix}_{}", base32(rest.len().clamp(10, 32)))
        }
        _ => uuid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fresh_and_shaped_like_the_old_ones() {
        let a = fleiko_delivery_id();
        assert!(a.starts_with("dlv_") && a.len() == 30, "{a}");
        assert_ne!(a, fleiko_delivery_id());
        let u = like("3f9e2d71-4c8b-4a05-b6e3-8d1f7a2c9b54");
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, "3f9e2d71-4c8b-4a05-b6e3-8d1f7a2c9b54");
        let e = like("evt_01HXA7R5N7");
        assert!(e.starts_with("evt_") && e.len() == 14, "{e}");
        assert_eq!(like("plain").len(), 36);
    }
}
