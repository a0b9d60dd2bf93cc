//! Captured text on its way to a terminal. Anything that came from outside (a path, a header,
//! a body, a decoded field, a target's answer) may hold escape sequences that retitle the
//! window, rewrite what is on screen or reorder text (bidi overrides). Human-readable output
//! shows such characters as Rust-style escapes (`\u{1b}`); `--json` and `--raw` stay exact.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a terminal could act on `c` rather than just show it: C0 controls, DEL, C1
/// controls, and the characters that change the direction or visibility of the text around them.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'                  // Arabic letter mark
            | '\u{200b}'..='\u{200f}'   // zero-width space and joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{202a}'..='\u{202e}'   // embeddings and overrides
            | '\u{2066}'..='\u{2069}'   // isolates
            | '\u{feff}'                // zero-width no-break space
        )
}

fn escape(text: &str, keep: impl Fn(char, Option<char>) -> bool) -> Cow<'_, str> {
    let mut chars = text.chars().peekable();
    let mut at = 0;
    while let Some(c) = chars.next() {
        if is_unsafe(c) && !keep(c, chars.peek().copied()) {
            break;
        }
        at += c.len_utf8();
    }
    if at == text.len() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..at]);
    let mut chars = text[at..].chars().peekable();
    while let Some(c) = chars.next() {
        if is_unsafe(c) && !keep(c, chars.peek().copied()) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of output: every control character escaped, line breaks and tabs included, so a
/// value can neither act on the terminal nor pass for a line of its own.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, |_, _| false)
}

/// Text shown as it is laid out (a body): line breaks and tabs kept, a carriage return only
/// where it ends a line, every other control character escaped.
pub fn text(text: &str) -> Cow<'_, str> {
    escape(text, |c, next| matches!(c, '\n' | '\t') || (c == '\r' && next == Some('\n')))
}

/// [`line`] of an optional value, `-` when there is none.
pub fn or_dash(value: Option<&str>) -> Cow<'_, str> {
    value.map_or(Cow::Borrowed("-"), line)
}

/// Human output's last line of defence: escapes, in everything written through it, the
/// control characters [`text`] escapes. Fields are escaped with [`line`] before they are
/// formatted; this catches whatever a format string lets through unescaped.
pub struct Guarded<W: Write>(pub W);

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // `write!` hands over whole `str` pieces, so a character is never split between calls.
        let piece = String::from_utf8_lossy(buf);
        self.0.write_all(text(&piece).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Standard output for human-readable text.
pub fn stdout() -> Guarded<Stdout> {
    Guarded(raw_stdout())
}

/// Standard output as bytes (`--json`, `--raw`, exports), whose reader may stop early.
pub fn raw_stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

/// Set once a write found standard output's reader gone.
static READER_GONE: AtomicBool = AtomicBool::new(false);

/// Standard output that a reader closing early (`| head -1`) does not turn into an error:
/// Rust ignores SIGPIPE, so such a write fails with `BrokenPipe`, and every later write is
/// dropped instead. The command carries on to its own exit status (`verify`'s verdict
/// included) with nothing on stderr; only output nobody reads is lost.
pub struct Stdout(io::StdoutLock<'static>);

impl Stdout {
    fn quiet(&self, result: io::Result<()>) -> io::Result<()> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                READER_GONE.store(true, Ordering::Relaxed);
                Ok(())
            }
            other => other,
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !READER_GONE.load(Ordering::Relaxed) {
            let written = self.0.write_all(buf);
            self.quiet(written)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if READER_GONE.load(Ordering::Relaxed) {
            return Ok(());
        }
        let flushed = self.0.flush();
        self.quiet(flushed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_run() {
        assert_eq!(line("\u{1b}]0;pwned\u{7}"), "\\u{1b}]0;pwned\\u{7}");
        assert_eq!(line("a\u{9b}31mb\u{7f}"), "a\\u{9b}31mb\\u{7f}");
        assert_eq!(line("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(line("\u{2066}x\u{2069}\u{200f}"), "\\u{2066}x\\u{2069}\\u{200f}");
        assert_eq!(line("two\nlines\r\tand tab"), "two\\u{a}lines\\u{d}\\u{9}and tab");
    }

    #[test]
    fn ordinary_text_is_borrowed_untouched() {
        for plain in ["", "job.completed", "Åsa 🚗 — €5 ✓", "/fleiko/hooks?a=1&b=%1b"] {
            assert!(matches!(line(plain), Cow::Borrowed(s) if s == plain), "{plain}");
            assert!(matches!(text(plain), Cow::Borrowed(s) if s == plain), "{plain}");
        }
    }

    #[test]
    fn bodies_keep_their_layout() {
        let body = "{\n\t\"a\": 1\r\n}\r";
        assert_eq!(text(body), "{\n\t\"a\": 1\r\n}\\u{d}");
        assert_eq!(text("x\u{1b}[2Jy\n\u{85}"), "x\\u{1b}[2Jy\n\\u{85}");
    }

    #[test]
    fn the_guard_escapes_what_passes_through_it() {
        let mut out = Guarded(Vec::new());
        let event = "\u{1b}[31mred\u{7}";
        writeln!(out, "#{} {event}", 1).unwrap();
        out.write_all("é\u{9d}\n".as_bytes()).unwrap();
        let written = String::from_utf8(out.0).unwrap();
        assert_eq!(written, "#1 \\u{1b}[31mred\\u{7}\né\\u{9d}\n");
    }

    #[test]
    fn missing_values_show_a_dash() {
        assert_eq!(or_dash(None), "-");
        assert_eq!(or_dash(Some("a\u{1b}")), "a\\u{1b}");
    }
}
