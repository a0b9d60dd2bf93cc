//! What the three schemes share: HMAC-SHA256, hex digests found in headers, constant-time
//! matching against several secrets, and the search for why nothing matched.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{FailureReason, ProviderId, Secret, SignatureStatus, Verification, explain};

pub(crate) type Digest = [u8; 32];

pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Digest {
    // HMAC hashes over-long keys and pads short ones, so no key length is ever rejected.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A SHA-256-sized hex digest as it appeared in a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HexDigest {
    pub text: String,
    pub bytes: Vec<u8>,
    pub uppercase: bool,
}

/// Why a value is not a SHA-256 hex digest, phrased for [`FailureReason::MalformedHeader`].
pub(crate) fn parse_hex_digest(text: &str, what: &str) -> Result<HexDigest, String> {
    if text.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{what} is not hex"));
    }
    if text.len() % 2 == 1 {
        let digits = crate::plural::count(text.len() as u64, "digit", "digits");
        return Err(format!("{what} is odd-length hex ({digits})"));
    }
    if text.len() != 64 {
        let hint = if text.len() == 40 { " (SHA-1 length)" } else { "" };
        return Err(format!(
            "{what} has {} hex digits{hint}, expected 64 for HMAC-SHA256",
            text.len()
        ));
    }
    let bytes = hex::decode(text).map_err(|_| format!("{what} is not hex"))?;
    Ok(HexDigest {
        text: text.to_owned(),
        bytes,
        uppercase: text.bytes().any(|b| b.is_ascii_uppercase()),
    })
}

/// A signature value that could be the one: where it was found and what was odd about it.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub header: String,
    pub digest: HexDigest,
    /// Oddities worth a note if this candidate is the one that matches.
    pub notes: Vec<String>,
}

/// A signature token of the `[scheme=]hex` form used by Flovi and Flowella.
pub(crate) enum Token {
    Digest { digest: HexDigest, prefixed: bool },
    Unsupported(String),
    Malformed(String),
}

pub(crate) fn parse_prefixed_token(token: &str, what: &str) -> Token {
    let token = token.trim().trim_matches('"');
    let (scheme, hex_text) = match token.split_once('=') {
        Some((scheme, rest)) => (Some(scheme.trim()), rest.trim()),
        None => (None, token),
    };
    match scheme {
        Some(s) if !s.eq_ignore_ascii_case("sha256") => Token::Unsupported(s.to_ascii_lowercase()),
        _ => match parse_hex_digest(hex_text, what) {
            Ok(digest) => Token::Digest { digest, prefixed: scheme.is_some() },
            Err(detail) => Token::Malformed(detail),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Match {
    pub secret: usize,
    pub candidate: usize,
}

/// The first secret, in order of preference, whose MAC of `body` equals any candidate.
pub(crate) fn find_match(
    secrets: &[Secret],
    candidates: &[Candidate],
    body: &[u8],
    mac: &dyn Fn(&[u8], &[u8]) -> Digest,
) -> Option<Match> {
    secrets.iter().enumerate().find_map(|(secret, s)| {
        let expected = mac(&s.value, body);
        // Compare against every candidate so timing reveals nothing about which one was close.
        let mut hit = None;
        for (candidate, c) in candidates.iter().enumerate() {
            if bool::from(expected[..].ct_eq(&c.digest.bytes[..])) && hit.is_none() {
                hit = Some(candidate);
            }
        }
        hit.map(|candidate| Match { secret, candidate })
    })
}

pub(crate) enum Diagnosis {
    BodyChanged {
        change: String,
        found: Match,
    },
    /// The secret as configured carries surrounding whitespace; trimmed, it matches.
    SecretWhitespace {
        secret: usize,
    },
    WrongSecret,
}

/// Why no candidate matched: look for the likely edit to the body, then a pasted secret.
pub(crate) fn diagnose(
    secrets: &[Secret],
    candidates: &[Candidate],
    body: &[u8],
    mac: &dyn Fn(&[u8], &[u8]) -> Digest,
) -> Diagnosis {
    if secrets.is_empty() || candidates.is_empty() {
        return Diagnosis::WrongSecret;
    }
    let mut found = None;
    let change = explain::find_original(body, &mut |variant| {
        found = find_match(secrets, candidates, variant, mac);
        found.is_some()
    });
    if let (Some(change), Some(found)) = (change, found) {
        return Diagnosis::BodyChanged { change, found };
    }
    for (i, s) in secrets.iter().enumerate() {
        let trimmed = s.value.trim_ascii();
        if trimmed.len() != s.value.len() && !trimmed.is_empty() {
            let one = [Secret::new(s.label.clone(), trimmed.to_vec())];
            if find_match(&one, candidates, body, mac).is_some() {
                return Diagnosis::SecretWhitespace { secret: i };
            }
        }
    }
    Diagnosis::WrongSecret
}

/// Notes and explanation for a candidate that matched.
pub(crate) fn valid(
    provider: ProviderId,
    secrets: &[Secret],
    candidates: &[Candidate],
    found: Match,
) -> Verification {
    let secret = &secrets[found.secret];
    let candidate = &candidates[found.candidate];
    let mut v = Verification::new(
        SignatureStatus::Valid,
        format!(
            "Signed by {} with the {} secret; the body is byte-for-byte what was signed.",
            provider.name(),
            secret.label
        ),
    );
    v.header = Some(candidate.header.clone());
    v.matched_secret = Some(secret.label.clone());
    v.matched_signature = Some(candidate.digest.text.clone());
    v.notes.extend(candidate.notes.iter().cloned());
    if candidate.digest.uppercase {
        v.notes.push(
            "The signature hex is uppercase; accepted, though the docs describe lowercase."
                .to_owned(),
        );
    }
    if found.secret > 0 {
        v.notes.push(format!(
            "Matched the {} secret, not the current one: {} still signs with the old secret. \
             Finish the rotation in {}, then remove the old secret here.",
            secret.label,
            provider.name(),
            provider.name()
        ));
    }
    v
}

/// The invalid result for a diagnosis, with the sentence that goes with it.
pub(crate) fn invalid(
    provider: ProviderId,
    secrets: &[Secret],
    candidates: &[Candidate],
    diagnosis: Diagnosis,
) -> Verification {
    let name = provider.name();
    match diagnosis {
        Diagnosis::BodyChanged { change, found } => {
            let secret = &secrets[found.secret];
            let candidate = &candidates[found.candidate];
            let mut v = Verification::new(
                SignatureStatus::Invalid,
                explain::change_sentence(&change, name),
            );
            v.header = Some(candidate.header.clone());
            v.matched_secret = Some(secret.label.clone());
            v.matched_signature = Some(candidate.digest.text.clone());
            v.reason = Some(FailureReason::BodyChanged { change });
            v
        }
        Diagnosis::SecretWhitespace { secret } => {
            let mut v = Verification::new(
                SignatureStatus::Invalid,
                format!(
                    "The {} secret has whitespace around it (probably pasted with a newline); \
                     without it the signature matches. Fix the secret in the endpoint's settings.",
                    secrets[secret].label
                ),
            );
            v.header = candidates.first().map(|c| c.header.clone());
            v.reason = Some(FailureReason::WrongSecret);
            v
        }
        Diagnosis::WrongSecret => {
            let tried = match secrets.len() {
                1 => "the configured secret".to_owned(),
                n => format!("any of the {n} configured secrets"),
            };
            let mut v = Verification::new(
                SignatureStatus::Invalid,
                format!(
                    "The signature does not match {tried}, and no usual change to the body \
                     (newlines, whitespace, re-serialised JSON) explains it: the secret is \
                     probably not this endpoint's {name} secret."
                ),
            );
            v.header = candidates.first().map(|c| c.header.clone());
            v.reason = Some(FailureReason::WrongSecret);
            v
        }
    }
}

pub(crate) fn malformed(header: &str, detail: String) -> Verification {
    let mut v = Verification::new(
        SignatureStatus::Invalid,
        format!("The {header} header is malformed ({detail}), so the signature cannot be checked."),
    );
    v.header = Some(header.to_owned());
    v.reason = Some(FailureReason::MalformedHeader { detail });
    v
}

pub(crate) fn unsupported(provider: ProviderId, header: &str, scheme: String) -> Verification {
    let mut v = Verification::new(
        SignatureStatus::Invalid,
        format!(
            "The {header} header carries a {scheme} signature, but {} signs with HMAC-SHA256: \
             this delivery was not signed the way {} signs.",
            provider.name(),
            provider.name()
        ),
    );
    v.header = Some(header.to_owned());
    v.reason = Some(FailureReason::UnsupportedScheme { scheme });
    v
}

pub(crate) fn unchecked(provider: ProviderId, header: &str) -> Verification {
    let mut v = Verification::new(
        SignatureStatus::Unchecked,
        format!(
            "The request carries a signature in {header}, but no {} secret is configured for \
             this endpoint, so it was not checked.",
            provider.name()
        ),
    );
    v.header = Some(header.to_owned());
    v
}

pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digest_errors_name_the_problem() {
        assert!(parse_hex_digest("zz", "v1").unwrap_err().contains("not hex"));
        assert!(parse_hex_digest("abc", "v1").unwrap_err().contains("odd-length"));
        assert!(parse_hex_digest(&"a".repeat(40), "v1").unwrap_err().contains("SHA-1"));
        assert!(parse_hex_digest("", "v1").unwrap_err().contains("empty"));
        let ok = parse_hex_digest(&"AB".repeat(32), "v1").unwrap();
        assert!(ok.uppercase);
        assert_eq!(ok.bytes, vec![0xab; 32]);
    }

    #[test]
    fn prefixed_tokens() {
        let hex = "ab".repeat(32);
        assert!(matches!(
            parse_prefixed_token(&format!("sha256={hex}"), "x"),
            Token::Digest { prefixed: true, .. }
        ));
        assert!(matches!(
            parse_prefixed_token(&format!("SHA256={hex}"), "x"),
            Token::Digest { prefixed: true, .. }
        ));
        assert!(matches!(parse_prefixed_token(&hex, "x"), Token::Digest { prefixed: false, .. }));
        assert!(
            matches!(parse_prefixed_token("sha1=abcd", "x"), Token::Unsupported(s) if s == "sha1")
        );
        assert!(matches!(parse_prefixed_token("nothex", "x"), Token::Malformed(_)));
    }

    #[test]
    fn secret_debug_hides_the_value() {
        let s = Secret::new("current", b"hunter2".to_vec());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("current"));
    }
}
