//! The session token: whoever holds it may call every command, so it is random, compared in
//! constant time and never logged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// 32 bytes from the OS, URL-safe base64 without padding (43 characters).
pub fn generate() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether a token given from outside (an environment variable) can travel in an
/// `Authorization` header and a URL fragment unchanged (the page percent-decodes the fragment,
/// so `%` would change it there).
pub fn is_usable(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic() && !b"#&%".contains(&b))
}

/// Whether an `Authorization` header value is `Bearer <token>`.
pub fn matches(header: Option<&[u8]>, token: &str) -> bool {
    let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
        return false;
    };
    bool::from(given.ct_eq(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn tokens_are_fresh_url_safe_and_long() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'), "{a}");
        assert!(is_usable(&a));
    }

    #[test]
    fn only_the_exact_bearer_matches() {
        assert!(matches(Some(b"Bearer abc"), "abc"));
        assert!(!matches(Some(b"Bearer abd"), "abc"));
        assert!(!matches(Some(b"Bearer abcd"), "abc"));
        assert!(!matches(Some(b"Bearer ab"), "abc"));
        assert!(!matches(Some(b"bearer abc"), "abc"));
        assert!(!matches(Some(b"abc"), "abc"));
        assert!(!matches(Some(b"Bearer "), "abc"));
        assert!(!matches(None, "abc"));
    }

    #[test]
    fn outside_tokens_must_survive_a_header_and_a_fragment() {
        assert!(is_usable("s3cret-Value_1.x"));
        assert!(!is_usable(""));
        assert!(!is_usable("two words"));
        assert!(!is_usable("a#b"));
        assert!(!is_usable("100%41"));
        assert!(!is_usable("tab\there"));
        assert!(!is_usable("naïve"));
    }
}
