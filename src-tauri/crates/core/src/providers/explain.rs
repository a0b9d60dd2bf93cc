//! Why a signature fails although the secret is right: something between the provider and the
//! capture changed the body. We rebuild the likely originals of the received body (newline
//! stripped, line endings restored, JSON laid out as common serialisers do) and see whether one
//! of them carries the signature.

use super::json::{self, Escapes, LAYOUTS, Layout, Style};

/// Re-serialising bodies larger than this costs more than the hint is worth.
const MAX_JSON_VARIANT_BODY: usize = 4 * 1024 * 1024;

pub(crate) const TRAILING_NEWLINE_ADDED: &str = "trailing newline added";
pub(crate) const TRAILING_CRLF_ADDED: &str = "trailing CRLF added";
pub(crate) const TRAILING_WHITESPACE_ADDED: &str = "trailing whitespace added";
pub(crate) const LEADING_WHITESPACE_ADDED: &str = "leading whitespace added";
pub(crate) const SURROUNDING_WHITESPACE_ADDED: &str = "surrounding whitespace added";
pub(crate) const TRAILING_NEWLINE_REMOVED: &str = "trailing newline removed";
pub(crate) const CRLF_LINE_ENDINGS: &str = "CRLF line endings";
pub(crate) const LF_LINE_ENDINGS: &str = "LF line endings (carriage returns removed)";
pub(crate) const BOM_ADDED: &str = "byte order mark added";
pub(crate) const JSON_PRETTY: &str = "JSON re-serialised (pretty-printed)";
pub(crate) const JSON_COMPACT: &str = "JSON re-serialised (compact)";
pub(crate) const JSON_WHITESPACE: &str = "JSON re-serialised (whitespace changed)";
pub(crate) const JSON_KEYS_REORDERED: &str = "JSON keys reordered";
pub(crate) const JSON_KEYS_REORDERED_AND_RESERIALISED: &str =
    "JSON keys reordered and re-serialised";
pub(crate) const JSON_ESCAPES: &str = "JSON re-serialised (\\u and \\/ escapes removed)";

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

fn json_original(
    body: &[u8],
    check: &mut dyn FnMut(&str, &[u8]) -> Option<String>,
) -> Option<String> {
    let node = json::parse_tree(body)?;
    let received = json::layout_of(&node, body);
    let escapable = body.iter().any(|&b| b == b'/' || b >= 0x80);
    let escape_modes: &[Escapes] = if escapable {
        &[Escapes::AsIs, Escapes::Ascii, Escapes::AsciiAndSlash]
    } else {
        &[Escapes::AsIs]
    };
    for sort_keys in [false, true] {
        for &escapes in escape_modes {
            for layout in LAYOUTS {
                let label = json_label(received, layout, sort_keys, escapes);
                let Some(original) = json::emit(&node, Style { layout, sort_keys, escapes }) else {
                    continue;
                };
                if let Some(found) = check(label, &original) {
                    return Some(found);
                }
                if let Some(found) = check(label, &[original.as_slice(), b"\n"].concat()) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// What happened to a body laid out as `original` that arrived laid out as `received`.
fn json_label(
    received: Option<Layout>,
    original: Layout,
    sort_keys: bool,
    escapes: Escapes,
) -> &'static str {
    let same_layout = received == Some(original);
    if sort_keys {
        return if same_layout {
            JSON_KEYS_REORDERED
        } else {
            JSON_KEYS_REORDERED_AND_RESERIALISED
        };
    }
    if escapes != Escapes::AsIs && same_layout {
        return JSON_ESCAPES;
    }
    match received {
        Some(Layout::Compact) => JSON_COMPACT,
        Some(Layout::Indent(_)) => JSON_PRETTY,
        _ => JSON_WHITESPACE,
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
        _ if change.starts_with("JSON") => format!(
            "The signature matches the JSON as {provider} laid it out ({change}): the body was \
             parsed and serialised again before it got here. Verify the raw bytes, before any \
             JSON parsing."
        ),
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

    #[test]
    fn names_json_re_serialisation() {
        let pretty = b"{\n  \"b\": 1,\n  \"a\": [\n    true\n  ]\n}";
        let compact = b"{\"b\":1,\"a\":[true]}";
        assert_eq!(change(pretty, compact).as_deref(), Some(JSON_COMPACT));
        assert_eq!(change(compact, pretty).as_deref(), Some(JSON_PRETTY));
        assert_eq!(
            change(b"{\"a\":[true],\"b\":1}", compact).as_deref(),
            Some(JSON_KEYS_REORDERED)
        );
        assert_eq!(change(b"{\"b\": 1, \"a\": [true]}", compact).as_deref(), Some(JSON_COMPACT));
        assert_eq!(
            change(b"{\"b\":\"a\\/\\u00e4\"}", "{\"b\":\"a/ä\"}".as_bytes()).as_deref(),
            Some(JSON_ESCAPES)
        );
        assert_eq!(change(b"{\"b\":2}", compact), None);
    }

    #[test]
    fn sentences_name_the_provider() {
        let s = change_sentence(TRAILING_NEWLINE_ADDED, "Flovi");
        assert!(s.contains("trailing newline") && s.contains("Flovi"));
        assert!(change_sentence(JSON_COMPACT, "Fleiko").contains("raw bytes"));
        assert!(change_sentence(LEADING_WHITESPACE_ADDED, "X").contains("leading whitespace"));
    }
}
