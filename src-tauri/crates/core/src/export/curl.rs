//! Deliveries as curl commands a POSIX shell runs as-is. Text is single-quoted; header bytes
//! that are not printable use bash's `$'…'`. A small text body is an argument; any other body
//! is fed on stdin by `printf`, one call per chunk: Linux refuses to start a program with an
//! argument over 128 KiB ("Argument list too long"), and a shell string cannot hold NUL bytes.

use super::ExportedDelivery;
use crate::outbound::is_hop_by_hop;

/// One command that sends the delivery again to the URL it was sent to.
pub fn curl_command(d: &ExportedDelivery) -> String {
    let mut args = vec![format!(
        "curl -X {} {}",
        shell_quote(d.method.as_bytes()),
        shell_quote(d.url().as_bytes())
    )];
    for (name, value) in &d.headers {
        // curl sets these from the URL and the body it sends.
        if is_hop_by_hop(&String::from_utf8_lossy(name)) {
            continue;
        }
        let mut line = name.clone();
        line.extend_from_slice(b": ");
        line.extend_from_slice(value);
        args.push(format!("-H {}", shell_quote(&line)));
    }
    let has_body = d.body.as_deref().is_some_and(|b| !b.is_empty());
    if has_body && d.content_type().is_none() {
        // Otherwise curl labels the body as a form.
        args.push("-H 'Content-Type:'".into());
    }
    let mut prefix = String::new();
    match d.body.as_deref() {
        None | Some([]) => {}
        Some(body) if body.len() <= MAX_INLINE_BODY && printable(body) => {
            args.push(format!("--data-binary {}", shell_quote(body)));
        }
        Some(body) => {
            prefix = stdin_pipeline(body);
            args.push("--data-binary @-".into());
        }
    }
    format!("{prefix}{}", args.join(" \\\n  "))
}

/// Text bodies up to this size are passed as an argument (quoting at most quadruples them,
/// which stays well under the kernel's 128 KiB limit per argument).
const MAX_INLINE_BODY: usize = 16 * 1024;

/// Body bytes per `printf`: escaped, each call's argument stays under the same limit even
/// where `printf` is not built into the shell.
const CHUNK: usize = 16 * 1024;

/// `printf … | ` (or `{ printf …; printf …; } | ` for a large body) writing exactly `body`.
/// Text is written with `%s` so the script stays readable; other bytes as octal escapes.
fn stdin_pipeline(body: &[u8]) -> String {
    let calls: Vec<String> = match std::str::from_utf8(body) {
        Ok(text) if printable(body) => text_chunks(text, CHUNK)
            .map(|chunk| format!("printf '%s' {}", shell_quote(chunk.as_bytes())))
            .collect(),
        _ => body.chunks(CHUNK).map(|chunk| format!("printf {}", printf_format(chunk))).collect(),
    };
    match calls.as_slice() {
        [one] => format!("{one} | "),
        many => format!("{{\n  {}\n}} | ", many.join("\n  ")),
    }
}

/// `text` in pieces of at most `max` bytes (more for a character longer than `max`), cut only
/// between characters so every piece is valid UTF-8 in the script.
fn text_chunks(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = rest.len().min(max);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        Some(piece)
    })
}

/// Text (UTF-8 without control characters other than tab and line breaks).
fn printable(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .is_ok_and(|s| s.chars().all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')))
}

/// Quotes bytes for a POSIX shell (bash's `$'…'` when they are not printable text).
pub fn shell_quote(bytes: &[u8]) -> String {
    if printable(bytes) {
        let text = String::from_utf8_lossy(bytes);
        return format!("'{}'", text.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

/// A single-quoted `printf` format that prints exactly `bytes`.
fn printf_format(bytes: &[u8]) -> String {
    let mut out = String::from("'");
    for &b in bytes {
        match b {
            b'%' => out.push_str("%%"),
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("'\\''"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(body: &[u8]) -> ExportedDelivery {
        ExportedDelivery {
            id: 1,
            received_at: 0,
            method: "POST".into(),
            path: "/fleiko".into(),
            query: Some("a=1".into()),
            target: None,
            http_version: "HTTP/1.1".into(),
            headers: vec![
                (b"Host".to_vec(), b"127.0.0.1:8787".to_vec()),
                (b"X-Quote".to_vec(), b"it's".to_vec()),
                (b"Content-Length".to_vec(), b"2".to_vec()),
            ],
            body: Some(body.to_vec()),
            body_size: body.len() as u64,
            endpoint: None,
            provider: None,
            response_status: Some(200),
            response_latency_us: None,
            response: None,
            forward_response: None,
        }
    }

    #[test]
    fn text_is_single_quoted() {
        let cmd = curl_command(&delivery(b"{\"a\":\"it's\"}"));
        assert!(cmd.starts_with("curl -X 'POST' 'http://127.0.0.1:8787/fleiko?a=1'"), "{cmd}");
        assert!(cmd.contains("-H 'X-Quote: it'\\''s'"), "{cmd}");
        assert!(!cmd.contains("Content-Length") && !cmd.contains("Host:"), "{cmd}");
        assert!(cmd.ends_with("--data-binary '{\"a\":\"it'\\''s\"}'"), "{cmd}");
    }

    #[test]
    fn binary_bodies_go_through_printf() {
        let cmd = curl_command(&delivery(&[0, b'%', 0xff, b'\'', b'a']));
        assert!(cmd.starts_with("printf '\\000%%\\377'\\''a' | curl"), "{cmd}");
        assert!(cmd.ends_with("-H 'Content-Type:' \\\n  --data-binary @-"), "{cmd}");
        assert_eq!(shell_quote(&[b'a', 0x01, b'\'']), "$'a\\x01\\''");
    }

    #[test]
    fn large_bodies_go_through_printf_in_chunks() {
        let text = "ä'%\n".repeat(50_000);
        let cmd = curl_command(&delivery(text.as_bytes()));
        assert!(cmd.starts_with("{\n  printf '%s' '"), "{}", &cmd[..40]);
        assert!(cmd.contains("\n} | curl -X 'POST'"));
        assert!(cmd.ends_with("--data-binary @-"));
        let calls = cmd.matches("\n  printf '%s' ").count();
        assert_eq!(calls, text.len().div_ceil(CHUNK), "one call per chunk");
        // Every argument stays far below the kernel's 128 KiB limit.
        assert!(cmd.lines().all(|l| l.len() < 100 * 1024));

        let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let cmd = curl_command(&delivery(&binary));
        assert_eq!(cmd.matches("\n  printf '").count(), binary.len().div_ceil(CHUNK));
        assert!(cmd.lines().all(|l| l.len() < 100 * 1024));
    }

    #[test]
    fn text_is_cut_between_characters() {
        let pieces: Vec<&str> = text_chunks("aäbü", 2).collect();
        assert_eq!(pieces, ["a", "ä", "b", "ü"]);
        assert_eq!(text_chunks("€", 1).collect::<Vec<_>>(), ["€"]);
        assert_eq!(text_chunks("", 4).count(), 0);
    }
}
