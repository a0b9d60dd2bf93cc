//! Byte-exact header encoding: each header is `u32 LE name length, name, u32 LE value length,
//! value`, in arrival order. Nothing is normalised, so case, order, duplicates and non-UTF-8
//! values survive the round trip.

pub fn encode(headers: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let size = headers.iter().map(|(n, v)| 8 + n.len() + v.len()).sum();
    let mut out = Vec::with_capacity(size);
    for (name, value) in headers {
        for part in [name, value] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// Decodes what [`encode`] wrote; a truncated tail (never written by us) is ignored.
pub fn decode(mut raw: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some((name, rest)) = take(raw) {
        let Some((value, rest)) = take(rest) else {
            break;
        };
        out.push((name.to_vec(), value.to_vec()));
        raw = rest;
    }
    out
}

fn take(raw: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = raw.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Headers as text for display and search; invalid UTF-8 becomes U+FFFD.
pub fn to_text_pairs(headers: &[(Vec<u8>, Vec<u8>)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (String::from_utf8_lossy(n).into_owned(), String::from_utf8_lossy(v).into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_order_case_duplicates_and_binary() {
        let headers = vec![
            (b"X-Dup".to_vec(), b"one".to_vec()),
            (b"content-TYPE".to_vec(), b"application/json".to_vec()),
            (b"x-dup".to_vec(), vec![0xff, 0x00, b'a']),
            (b"Empty".to_vec(), Vec::new()),
        ];
        assert_eq!(decode(&encode(&headers)), headers);
    }

    #[test]
    fn truncated_input_never_panics() {
        let raw = encode(&[(b"Name".to_vec(), b"value".to_vec())]);
        for cut in 0..raw.len() {
            assert!(decode(&raw[..cut]).is_empty());
        }
    }
}
