//! Why a signature fails although the secret is right: something between the provider and the
//! capture changed the body. We rebuild the likely originals of the received body (newline
//! stripped, line endings restored, JSON laid out as common serialisers do) and see whether one
//! of them carries the signature.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use super::json::{self, Escapes, LAYOUTS, Numbers, Style};

/// Re-serialising bodies larger than this costs more than the hint is worth: up to 160
/// variants are hashed, and capture waits for the analysis.
const MAX_JSON_VARIANT_BODY: usize = 1024 * 1024;

pub(crate) const TRAILING_NEWLINE_ADDED: &str = "trailing newline added";
pub(crate) const TRAILING_CRLF_ADDED: &str = "trailing CRLF added";
pub(crate) const TRAILING_WHITESPACE_ADDED: &str = "trailing whitespace added";
pub(crate) const LEADING_WHITESPACE_ADDED: &str = "leading whitespace added";
pub(crate) const SURROUNDING_WHITESPACE_ADDED: &str = "surrounding whitespace added";
pub(crate) const TRAILING_NEWLINE_REMOVED: &str = "trailing newline removed";
pub(crate) const CRLF_LINE_ENDINGS: &str = "CRLF line endings";
pub(crate) const LF_LINE_ENDINGS: &str = "LF line endings (carriage returns removed)";
pub(crate) const BOM_ADDED: &str = "byte order mark added";
/// Starts every JSON change; the parenthesis says what changed.
pub(crate) const JSON_RESERIALISED: &str = "JSON re-serialised";

/// The change that turned the original into `body`, if `is_original` accepts a rebuilt
/// original. Tries the cheap, likely edits first.
pub(crate) fn find_original(
    body: &[u8],
    is_original: &mut dyn FnMut(&[u8]) -> bool,
) -> Option<String> {
    let mut check = |label: &str, candidate: &[u8]| -> Option<String> {
        (candidate != body && is_original(candidate)).then(|| label.to_owned())
    };

    // Each original is built only when the cheaper ones before it failed: bodies can be large.
    let trimmed_end = body.trim_ascii_end();
    let trimmed_start = body.trim_ascii_start();
    let trimmed = body.trim_ascii();
    if let Some(stripped) = body.strip_suffix(b"\r\n")
        && let Some(found) = check(TRAILING_CRLF_ADDED, stripped)
    {
        return Some(found);
    }
    if let Some(stripped) = body.strip_suffix(b"\n")
        && let Some(found) = check(TRAILING_NEWLINE_ADDED, stripped)
    {
        return Some(found);
    }
    // Stripping a single \n was tried above; only more whitespace than that is news.
    if (trimmed_end.len() + 1 < body.len() || !body.ends_with(b"\n"))
        && let Some(found) = check(TRAILING_WHITESPACE_ADDED, trimmed_end)
    {
        return Some(found);
    }
    if let Some(found) = check(LEADING_WHITESPACE_ADDED, trimmed_start) {
        return Some(found);
    }
    if trimmed.len() < trimmed_end.len()
        && trimmed.len() < trimmed_start.len()
        && let Some(found) = check(SURROUNDING_WHITESPACE_ADDED, trimmed)
    {
        return Some(found);
    }
    if let Some(found) = check(TRAILING_NEWLINE_REMOVED, &[body, b"\n"].concat()) {
        return Some(found);
    }
    let line_endings = if contains(body, b"\r\n") {
        Some((CRLF_LINE_ENDINGS, b"\r\n".as_slice(), b"\n".as_slice()))
    } else if body.contains(&b'\n') {
        Some((LF_LINE_ENDINGS, b"\n".as_slice(), b"\r\n".as_slice()))
    } else {
        None
    };
    if let Some((label, from, to)) = line_endings
        && let Some(found) = check(label, &replace(body, from, to))
    {
        return Some(found);
    }
    if let Some(stripped) = body.strip_prefix(b"\xEF\xBB\xBF")
        && let Some(found) = check(BOM_ADDED, stripped)
    {
        return Some(found);
    }
    if body.len() <= MAX_JSON_VARIANT_BODY {
        return json_original(body, &mut check);
    }
    None
}

/// A JSON body that was parsed and written again keeps its value: write that value the ways
/// common serialisers do (layout, key order, string escapes, number formatting, a final
/// newline) and see whether one of them is what was signed. The change is then described by
/// comparing that original with what arrived.
fn json_original(
    body: &[u8],
    check: &mut dyn FnMut(&str, &[u8]) -> Option<String>,
) -> Option<String> {
    let node = json::parse_tree(body)?;
    // Each mode is tried only when it can change something in this body.
    let has_escapes = body.contains(&b'\\');
    let non_ascii = !body.is_ascii();
    let escape_modes: Vec<Escapes> = json::ESCAPES
        .into_iter()
        .filter(|mode| match mode {
            Escapes::AsIs => true,
            Escapes::Minimal => has_escapes,
            Escapes::Ascii => has_escapes || non_ascii,
            Escapes::AsciiAndSlash => has_escapes || non_ascii || body.contains(&b'/'),
        })
        .collect();
    let number_modes: &[Numbers] = if json::has_long_numbers(&node) {
        &[Numbers::AsIs, Numbers::Shortest]
    } else {
        &[Numbers::AsIs]
    };
    let mut tried = HashSet::new();
    for sort_keys in [false, true] {
        for &numbers in number_modes {
            for &escapes in &escape_modes {
                for layout in LAYOUTS {
                    let style = Style { layout, sort_keys, escapes, numbers };
                    let Some(original) = json::emit(&node, style) else {
                        continue;
                    };
                    for candidate in [original.clone(), [original.as_slice(), b"\n"].concat()] {
                        if candidate == body || !tried.insert(fingerprint(&candidate)) {
                            continue;
                        }
                        // Described only once found: describing costs two parses.
                        if check(JSON_RESERIALISED, &candidate).is_some() {
                            return Some(json_label(&candidate, body));
                        }
                    }
                }
            }
        }
    }
    None
}

/// Tells apart the candidates already checked, without keeping them.
fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// "JSON re-serialised (compact, keys sorted, …)": what turned `original` into `received`.
fn json_label(original: &[u8], received: &[u8]) -> String {
    match json::describe_reserialisation(original, received) {
        Some(changes) if !changes.is_empty() => {
            format!("{JSON_RESERIALISED} ({})", changes.join(", "))
        }
        _ => JSON_RESERIALISED.to_owned(),
    }
}

/// One or two sentences saying what the change means for the developer.
pub(crate) fn change_sentence(change: &str, provider: &str) -> String {
    match change {
        TRAILING_NEWLINE_ADDED => format!(
            "The signature matches the body without its trailing newline: something added \\n \
             after {provider} signed it."
        ),
        TRAILING_CRLF_ADDED => format!(
            "The signature matches the body without its trailing \\r\\n: something added it \
             after {provider} signed it."
        ),
        TRAILING_WHITESPACE_ADDED | LEADING_WHITESPACE_ADDED | SURROUNDING_WHITESPACE_ADDED => {
            format!(
                "The signature matches the body with the {} whitespace removed: something \
                 added it after {provider} signed it.",
                change.split(' ').next().unwrap_or("added")
            )
        }
        TRAILING_NEWLINE_REMOVED => format!(
            "The signature matches the body with a final \\n: {provider} sent one and \
             something stripped it before the body was captured."
        ),
        CRLF_LINE_ENDINGS => format!(
            "The signature matches the body with \\n line endings: something converted them to \
             \\r\\n after {provider} signed it."
        ),
        LF_LINE_ENDINGS => format!(
            "The signature matches the body with \\r\\n line endings: something converted them \
             to \\n after {provider} signed it."
        ),
        BOM_ADDED => format!(
            "The signature matches the body without its UTF-8 byte order mark: something added \
             it after {provider} signed it."
        ),
        _ if change.starts_with(JSON_RESERIALISED) => {
            let what = change
                .strip_prefix(JSON_RESERIALISED)
                .and_then(|rest| rest.trim().strip_prefix('(')?.strip_suffix(')'))
                .filter(|rest| !rest.is_empty())
                .map(|rest| format!(" What changed: {rest}."))
                .unwrap_or_default();
            format!(
                "The body was re-serialised: it holds the same JSON that {provider} signed, but \
                 written differently, so the signature matches the JSON as {provider} wrote it, \
                 not these bytes.{what} Verify the raw bytes, before any JSON parsing."
            )
        }
        _ => format!(
            "The signature matches a changed version of the body ({change}): it was modified \
             after {provider} signed it."
        ),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len() + haystack.len() / 16);
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which change `find_original` reports when `original` is what was signed.
    fn change(original: &[u8], received: &[u8]) -> Option<String> {
        find_original(received, &mut |candidate| candidate == original)
    }

    #[test]
    fn names_text_edits() {
        assert_eq!(change(b"abc", b"abc\n").as_deref(), Some(TRAILING_NEWLINE_ADDED));
        assert_eq!(change(b"abc", b"abc\r\n").as_deref(), Some(TRAILING_CRLF_ADDED));
        assert_eq!(change(b"abc", b"abc  \n\t").as_deref(), Some(TRAILING_WHITESPACE_ADDED));
        assert_eq!(change(b"abc", b"abc ").as_deref(), Some(TRAILING_WHITESPACE_ADDED));
        assert_eq!(change(b"abc", b"\n abc").as_deref(), Some(LEADING_WHITESPACE_ADDED));
        assert_eq!(change(b"abc", b" abc ").as_deref(), Some(SURROUNDING_WHITESPACE_ADDED));
        assert_eq!(change(b"abc\n", b"abc").as_deref(), Some(TRAILING_NEWLINE_REMOVED));
        assert_eq!(change(b"a\nb", b"a\r\nb").as_deref(), Some(CRLF_LINE_ENDINGS));
        assert_eq!(change(b"a\r\nb", b"a\nb").as_deref(), Some(LF_LINE_ENDINGS));
        assert_eq!(change(b"{}", b"\xEF\xBB\xBF{}").as_deref(), Some(BOM_ADDED));
        assert_eq!(change(b"abc", b"abd"), None);
    }

    /// The change named when `original` was signed and `received` arrived.
    fn json_change(original: &str, received: &str) -> String {
        change(original.as_bytes(), received.as_bytes()).unwrap_or_else(|| "none".into())
    }

    #[test]
    fn names_json_re_serialisation() {
        let pretty = "{\n  \"b\": 1,\n  \"a\": [\n    true\n  ]\n}";
        let compact = r#"{"b":1,"a":[true]}"#;
        assert_eq!(json_change(pretty, compact), "JSON re-serialised (compact)");
        assert_eq!(json_change(compact, pretty), "JSON re-serialised (pretty-printed)");
        assert_eq!(
            json_change(r#"{"a":[true],"b":1}"#, compact),
            "JSON re-serialised (keys reordered)"
        );
        assert_eq!(
            json_change(r#"{"b": 1, "a": [true]}"#, compact),
            "JSON re-serialised (compact)"
        );
        assert_eq!(
            json_change(r#"{"b":"a\/\u00e4"}"#, r#"{"b":"a/ä"}"#),
            "JSON re-serialised (\\/ escapes decoded (\\/ → /), \\u escapes decoded (\\u00e4 → ä))"
        );
        assert_eq!(json_change(r#"{"b":2}"#, compact), "none");
    }

    #[test]
    fn python_json_dumps_defaults_are_recognised() {
        // Signed compact with UTF-8 as sent; re-encoded by `json.dumps(json.loads(body))`.
        let signed = r#"{"name":"Müller","city":"Zürich","n":[1,2]}"#;
        let python = r#"{"name": "M\u00fcller", "city": "Z\u00fcrich", "n": [1, 2]}"#;
        assert_eq!(
            json_change(signed, python),
            "JSON re-serialised (separators \", \" and \": \" (Python's json.dumps default), \
             non-ASCII escaped as \\uXXXX (ü → \\u00fc))"
        );
        // Signed by Python, received after a JavaScript round trip (compact, UTF-8).
        assert_eq!(
            json_change(python, signed),
            "JSON re-serialised (compact, \\u escapes decoded (\\u00fc → ü))"
        );
    }

    #[test]
    fn names_each_form_of_re_serialisation() {
        let signed = r#"{"a":"x/ä","n":1.5,"z":{"k":true}}"#;
        for (received, expected) in [
            // PHP's json_encode defaults.
            (r#"{"a":"x\/\u00e4","n":1.5,"z":{"k":true}}"#, "slashes escaped (/ → \\/)"),
            (r#"{"a":"x\/\u00e4","n":1.5,"z":{"k":true}}"#, "non-ASCII escaped as \\uXXXX"),
            // Numbers written longer than JavaScript writes them.
            (r#"{"a":"x/ä","n":1.50,"z":{"k":true}}"#, "numbers reformatted (1.5 → 1.50)"),
            (r#"{"n":1.5,"a":"x/ä","z":{"k":true}}"#, "keys reordered"),
            (
                "{\n\t\"a\": \"x/ä\",\n\t\"n\": 1.5,\n\t\"z\": {\n\t\t\"k\": true\n\t}\n}",
                "pretty-printed",
            ),
        ] {
            let got = json_change(signed, received);
            assert!(got.starts_with(JSON_RESERIALISED), "{received}: {got}");
            assert!(got.contains(expected), "{received}: {got}");
        }
        // The signed body ended with a newline the receiver dropped while re-encoding.
        let got = json_change("{\"a\":1}\n", r#"{"a": 1}"#);
        assert!(got.contains("final newline dropped"), "{got}");
        // Numbers that changed value are not a re-serialisation.
        assert_eq!(json_change(r#"{"n":1.50}"#, r#"{"n":1.6}"#), "none");
    }

    #[test]
    fn sentences_name_the_provider() {
        let s = change_sentence(TRAILING_NEWLINE_ADDED, "Flovi");
        assert!(s.contains("trailing newline") && s.contains("Flovi"));
        let s = change_sentence("JSON re-serialised (compact)", "Fleiko");
        assert!(s.contains("re-serialised") && s.contains("What changed: compact."), "{s}");
        assert!(s.contains("raw bytes"));
        assert!(change_sentence(LEADING_WHITESPACE_ADDED, "X").contains("leading whitespace"));
    }
}
