//! JSON as the providers need it: a forgiving parse for display, field lookup that accepts both
//! snake_case and camelCase, and an order-preserving re-serialiser that rebuilds the layouts
//! common frameworks produce (to recognise a body that was re-serialised after signing).

use std::borrow::Cow;

use serde_json::Value;

use super::DecodedField;

/// Deeper nesting than this is not re-serialised: hostile input must not exhaust the stack.
const MAX_DEPTH: usize = 128;

/// The parsed body, and whether it needed repairs (comments, `{..}` placeholders, trailing
/// commas: the provider docs' examples contain all three).
pub(crate) fn parse_lenient(body: &[u8]) -> Result<(Value, bool), String> {
    parse_lenient_with(body, serde_json::from_slice, |repaired| serde_json::from_slice(repaired))
}

/// As [`parse_lenient`], into a [`Brief`] tree: for lookups that never look inside arrays (a
/// provider's envelope and ids), at a fraction of the cost. The whole body is still checked
/// to be JSON.
pub(crate) fn parse_lenient_brief(body: &[u8]) -> Result<(Brief<'_>, bool), String> {
    // The repaired text goes when parsing returns: a tree read from it keeps copies.
    parse_lenient_with(body, parse_brief, |repaired| parse_brief(repaired).map(Brief::into_owned))
}

fn parse_brief(bytes: &[u8]) -> serde_json::Result<Brief<'_>> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = BriefSeed.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// `strict(body)`, else `repaired` of the body with the docs' liberties repaired (and
/// `true`), else the strict parse's error.
fn parse_lenient_with<'a, T>(
    body: &'a [u8],
    strict: impl FnOnce(&'a [u8]) -> serde_json::Result<T>,
    repaired: impl FnOnce(&[u8]) -> serde_json::Result<T>,
) -> Result<(T, bool), String> {
    let strict_error = match strict(body) {
        Ok(v) => return Ok((v, false)),
        Err(e) => e.to_string(),
    };
    let text = String::from_utf8_lossy(body);
    match repaired(repair(&text).as_bytes()) {
        Ok(v) => Ok((v, true)),
        Err(_) => Err(strict_error),
    }
}

/// A parsed body for lookups alone. Strings borrow from the body unless they had escapes;
/// objects keep their fields in a list (a repeated key's last value wins, as in [`Value`]);
/// arrays are checked and dropped. No map is built and most strings are never copied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Brief<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(Cow<'a, str>),
    /// Contents skipped.
    Array,
    Object(Vec<(Cow<'a, str>, Brief<'a>)>),
}

impl Brief<'_> {
    fn into_owned(self) -> Brief<'static> {
        match self {
            Brief::Null => Brief::Null,
            Brief::Bool(b) => Brief::Bool(b),
            Brief::Number(n) => Brief::Number(n),
            Brief::Str(s) => Brief::Str(Cow::Owned(s.into_owned())),
            Brief::Array => Brief::Array,
            Brief::Object(fields) => Brief::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }
}

/// Builds a [`Brief`] from a deserializer.
struct BriefSeed;

impl<'de> serde::de::DeserializeSeed<'de> for BriefSeed {
    type Value = Brief<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Brief<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for BriefSeed {
    type Value = Brief<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Brief<'de>, E> {
        Ok(Brief::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Brief<'de>, E> {
        Ok(Brief::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Brief<'de>, E> {
        Ok(Brief::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Brief<'de>, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Brief::Null, Brief::Number))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Brief<'de>, E> {
        Ok(Brief::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Brief<'de>, E> {
        Ok(Brief::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Brief<'de>, E> {
        Ok(Brief::Str(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Brief<'de>, E> {
        Ok(Brief::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Brief<'de>, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Brief::Array)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Brief<'de>, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            fields.push((key, map.next_value_seed(BriefSeed)?));
        }
        Ok(Brief::Object(fields))
    }
}

/// An object key, borrowed from the body when it has no escapes.
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// What field lookups need of a parsed body, whether a full [`Value`] or a [`Brief`].
pub(crate) trait Doc {
    /// The field named exactly `key`, when this is an object that has it.
    fn key(&self, key: &str) -> Option<&Self>;
    fn is_object(&self) -> bool;
    fn is_null(&self) -> bool;
    /// A scalar shown as text: strings as they are, numbers and booleans as written.
    fn text(&self) -> Option<String>;
    /// A whole number, or a string that holds one.
    fn integer(&self) -> Option<i64>;
}

impl Doc for Value {
    fn key(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }

    fn is_object(&self) -> bool {
        Value::is_object(self)
    }

    fn is_null(&self) -> bool {
        Value::is_null(self)
    }

    fn text(&self) -> Option<String> {
        text(self)
    }

    fn integer(&self) -> Option<i64> {
        integer(self)
    }
}

impl Doc for Brief<'_> {
    fn key(&self, key: &str) -> Option<&Self> {
        match self {
            Brief::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn is_object(&self) -> bool {
        matches!(self, Brief::Object(_))
    }

    fn is_null(&self) -> bool {
        matches!(self, Brief::Null)
    }

    fn text(&self) -> Option<String> {
        match self {
            Brief::Str(s) => Some(s.to_string()),
            Brief::Number(n) => Some(n.to_string()),
            Brief::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn integer(&self) -> Option<i64> {
        match self {
            Brief::Number(n) => whole(n),
            Brief::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// The body as JSON for guessing its sender; large bodies are not worth parsing for a guess.
pub(crate) fn parse_for_detect(body: &[u8]) -> Option<Value> {
    const MAX_DETECT_BODY: usize = 1024 * 1024;
    if body.len() > MAX_DETECT_BODY {
        return None;
    }
    serde_json::from_slice(body).ok()
}

/// Drops comments, `..`/`...`/`…` placeholders and trailing commas outside strings.
fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for skipped in chars.by_ref() {
                    if prev == '*' && skipped == '/' {
                        break;
                    }
                    prev = skipped;
                }
            }
            '.' if chars.peek() == Some(&'.') => {
                while chars.peek() == Some(&'.') {
                    chars.next();
                }
            }
            '…' => {}
            '}' | ']' => {
                let kept = out.trim_end_matches([' ', '\t', '\r', '\n']).len();
                if out[..kept].ends_with(',') {
                    out.replace_range(kept - 1..kept, "");
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A JSON document with every token kept as written, so re-emitting it changes only layout.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    /// A number, `true`, `false` or `null`, verbatim.
    Atom(&'a [u8]),
    /// A string token including its quotes, verbatim.
    Str(&'a [u8]),
    Array(Vec<Node<'a>>),
    Object(Vec<(&'a [u8], Node<'a>)>),
}

pub(crate) fn parse_tree(input: &[u8]) -> Option<Node<'_>> {
    let mut p = Parser { s: input, i: 0 };
    p.ws();
    let node = p.value(0)?;
    p.ws();
    (p.i == input.len()).then_some(node)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.s.get(self.i) == Some(&byte) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.s.get(self.i)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Node::Str),
            _ => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
                {
                    self.i += 1;
                }
                (self.i > start).then(|| Node::Atom(&self.s[start..self.i]))
            }
        }
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        if !self.eat(b'"') {
            return None;
        }
        loop {
            match self.s.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return self.s.get(start..self.i);
                }
                _ => self.i += 1,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Node<'a>> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Some(Node::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            if self.eat(b']') {
                return Some(Node::Array(items));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Node<'a>> {
        self.i += 1;
        let mut entries = Vec::new();
        self.ws();
        if self.eat(b'}') {
            return Some(Node::Object(entries));
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            if !self.eat(b':') {
                return None;
            }
            self.ws();
            entries.push((key, self.value(depth + 1)?));
            self.ws();
            if self.eat(b'}') {
                return Some(Node::Object(entries));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }
}

/// Where a serialiser puts whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `{"a":1,"b":2}`: JSON.stringify, serde_json, PHP json_encode.
    Compact,
    /// `{"a": 1, "b": 2}`: Python's json.dumps.
    Spaced,
    /// One entry per line with this indent and `": "`: JSON.stringify(x, null, 2) and friends.
    Indent(&'static str),
}

pub(crate) const LAYOUTS: [Layout; 5] = [
    Layout::Compact,
    Layout::Spaced,
    Layout::Indent("  "),
    Layout::Indent("    "),
    Layout::Indent("\t"),
];

/// Which characters inside strings a serialiser escapes. Every mode but `AsIs` decodes the
/// string and writes it again the way that serialiser would, whatever the received escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    AsIs,
    /// Only what JSON requires (`"`, `\\`, control characters): JSON.stringify, serde_json,
    /// Go with HTML escaping off, PHP with JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES.
    Minimal,
    /// Non-ASCII as `\uXXXX` too (Python's default).
    Ascii,
    /// Non-ASCII and `/` (PHP's default).
    AsciiAndSlash,
}

pub(crate) const ESCAPES: [Escapes; 4] =
    [Escapes::AsIs, Escapes::Minimal, Escapes::Ascii, Escapes::AsciiAndSlash];

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Numbers {
    AsIs,
    /// As JavaScript prints a double: `1.50` → `1.5`, `1.0` → `1`, `1e3` → `1000`.
    Shortest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    pub layout: Layout,
    pub sort_keys: bool,
    pub escapes: Escapes,
    pub numbers: Numbers,
}

impl Style {
    /// `layout`, with everything else as received.
    pub(crate) fn layout(layout: Layout) -> Self {
        Self { layout, sort_keys: false, escapes: Escapes::AsIs, numbers: Numbers::AsIs }
    }
}

/// `node` written in `style`; `None` when a string is not UTF-8 and cannot be escaped.
pub(crate) fn emit(node: &Node, style: Style) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    write_node(node, style, 0, &mut out)?;
    Some(out)
}

fn write_node(node: &Node, style: Style, level: usize, out: &mut Vec<u8>) -> Option<()> {
    match node {
        Node::Atom(a) if style.numbers == Numbers::Shortest => match shortest_number(a) {
            Some(n) => out.extend_from_slice(n.as_bytes()),
            None => out.extend_from_slice(a),
        },
        Node::Atom(a) => out.extend_from_slice(a),
        Node::Str(s) => write_str(s, style.escapes, out)?,
        Node::Array(items) => {
            if items.is_empty() {
                out.extend_from_slice(b"[]");
                return Some(());
            }
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                separator(style.layout, i == 0, level + 1, out);
                write_node(item, style, level + 1, out)?;
            }
            close(style.layout, level, out);
            out.push(b']');
        }
        Node::Object(entries) => {
            if entries.is_empty() {
                out.extend_from_slice(b"{}");
                return Some(());
            }
            let mut order: Vec<&(&[u8], Node)> = entries.iter().collect();
            if style.sort_keys {
                order.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push(b'{');
            for (i, (key, value)) in order.into_iter().enumerate() {
                separator(style.layout, i == 0, level + 1, out);
                write_str(key, style.escapes, out)?;
                out.extend_from_slice(match style.layout {
                    Layout::Compact => b":",
                    _ => b": ",
                });
                write_node(value, style, level + 1, out)?;
            }
            close(style.layout, level, out);
            out.push(b'}');
        }
    }
    Some(())
}

fn separator(layout: Layout, first: bool, level: usize, out: &mut Vec<u8>) {
    match layout {
        Layout::Compact if !first => out.push(b','),
        Layout::Spaced if !first => out.extend_from_slice(b", "),
        Layout::Compact | Layout::Spaced => {}
        Layout::Indent(unit) => {
            if !first {
                out.push(b',');
            }
            out.push(b'\n');
            for _ in 0..level {
                out.extend_from_slice(unit.as_bytes());
            }
        }
    }
}

fn close(layout: Layout, level: usize, out: &mut Vec<u8>) {
    if let Layout::Indent(unit) = layout {
        out.push(b'\n');
        for _ in 0..level {
            out.extend_from_slice(unit.as_bytes());
        }
    }
}

fn write_str(token: &[u8], escapes: Escapes, out: &mut Vec<u8>) -> Option<()> {
    if escapes == Escapes::AsIs {
        out.extend_from_slice(token);
        return Some(());
    }
    let text: String = serde_json::from_slice(token).ok()?;
    // serde_json escapes exactly what JSON requires, as JSON.stringify and Python do.
    let minimal = serde_json::to_string(&text).ok()?;
    if escapes == Escapes::Minimal {
        out.extend_from_slice(minimal.as_bytes());
        return Some(());
    }
    for c in minimal.chars() {
        match c {
            '/' if escapes == Escapes::AsciiAndSlash => out.extend_from_slice(b"\\/"),
            c if c.is_ascii() => out.push(c as u8),
            c => {
                let mut units = [0; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
        }
    }
    Some(())
}

/// A number token as JavaScript would print its value; `None` for `true`, `false`, `null`
/// and numbers a double cannot hold.
fn shortest_number(token: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(token).ok()?;
    if !text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return None;
    }
    if text.bytes().all(|b| b == b'-' || b.is_ascii_digit()) {
        return Some(text.to_owned());
    }
    let value: f64 = text.parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    if value.fract() == 0.0 && value.abs() < 1e21 {
        return Some(format!("{value:.0}"));
    }
    // Rust prints the shortest digits that read back as the same double, as JavaScript does.
    Some(format!("{value}"))
}

/// True when some number in `node` is written otherwise than [`Numbers::Shortest`] writes it.
pub(crate) fn has_long_numbers(node: &Node) -> bool {
    match node {
        Node::Atom(a) => shortest_number(a).is_some_and(|n| n.as_bytes() != *a),
        Node::Str(_) => false,
        Node::Array(items) => items.iter().any(has_long_numbers),
        Node::Object(entries) => entries.iter().any(|(_, v)| has_long_numbers(v)),
    }
}

/// What a re-serialisation changed between two JSON documents that hold the same value:
/// layout, key order, string escapes, number formatting, the final newline. Each entry is a
/// short phrase with an example; `None` when the two are not the same JSON value.
pub(crate) fn describe_reserialisation(original: &[u8], received: &[u8]) -> Option<Vec<String>> {
    let (a, b) = (parse_tree(original)?, parse_tree(received)?);
    let mut found = Changes::default();
    compare(&a, &b, &mut found)?;
    let mut out = Vec::new();
    let (layout_a, layout_b) = (layout_of(&a, original), layout_of(&b, received));
    let relaid = match (layout_a, layout_b) {
        (Some(x), Some(y)) => x != y,
        _ => whitespace_runs(original) != whitespace_runs(received),
    };
    if relaid {
        out.push(match layout_b {
            Some(Layout::Compact) => "compact".to_owned(),
            Some(Layout::Spaced) => {
                "separators \", \" and \": \" (Python's json.dumps default)".to_owned()
            }
            Some(Layout::Indent(_)) => "pretty-printed".to_owned(),
            None => "whitespace changed".to_owned(),
        });
    }
    if let Some(sorted) = found.key_order {
        out.push(if sorted { "keys sorted" } else { "keys reordered" }.to_owned());
    }
    out.extend(found.escapes.into_iter().map(|(what, was, now)| format!("{what} ({was} → {now})")));
    if let Some((was, now)) = found.number {
        out.push(format!("numbers reformatted ({was} → {now})"));
    }
    match (original.ends_with(b"\n"), received.ends_with(b"\n")) {
        (true, false) => out.push("final newline dropped".to_owned()),
        (false, true) => out.push("final newline added".to_owned()),
        _ => {}
    }
    Some(out)
}

#[derive(Default)]
struct Changes {
    /// `Some(sorted)` when an object's keys came in another order; `sorted`: now in order.
    key_order: Option<bool>,
    /// Each kind of escape change, with its first example: as it was, as it is.
    escapes: Vec<(&'static str, String, String)>,
    number: Option<(String, String)>,
}

impl Changes {
    /// Notes how two tokens of the same string differ, unit by unit.
    fn strings(&mut self, a: &[u8], b: &[u8]) {
        let (Ok(a), Ok(b)) = (std::str::from_utf8(a), std::str::from_utf8(b)) else {
            return;
        };
        for (was, now) in units(a).zip(units(b)).filter(|(x, y)| x != y) {
            let what = escape_kind(was, now);
            if !self.escapes.iter().any(|(w, _, _)| *w == what) {
                self.escapes.push((what, was.to_owned(), now.to_owned()));
            }
        }
    }
}

/// The whitespace between tokens, run by run (strings skipped; one final newline ignored).
fn whitespace_runs(body: &[u8]) -> Vec<&[u8]> {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let mut runs = Vec::new();
    let (mut i, mut in_string) = (0, false);
    while i < body.len() {
        let b = body[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            let start = i;
            while i < body.len() && matches!(body[i], b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            runs.push(&body[start..i]);
        } else {
            in_string = b == b'"';
            i += 1;
        }
    }
    runs
}

/// Walks two trees side by side; `None` as soon as their values differ.
fn compare(a: &Node, b: &Node, found: &mut Changes) -> Option<()> {
    match (a, b) {
        (Node::Atom(x), Node::Atom(y)) => {
            if x != y {
                let (nx, ny) = (shortest_number(x)?, shortest_number(y)?);
                let (vx, vy): (f64, f64) = (nx.parse().ok()?, ny.parse().ok()?);
                if vx != vy {
                    return None;
                }
                found.number.get_or_insert_with(|| (lossy(x), lossy(y)));
            }
        }
        (Node::Str(x), Node::Str(y)) => {
            if x != y {
                let (sx, sy): (String, String) =
                    (serde_json::from_slice(x).ok()?, serde_json::from_slice(y).ok()?);
                if sx != sy {
                    return None;
                }
                found.strings(x, y);
            }
        }
        (Node::Array(x), Node::Array(y)) => {
            if x.len() != y.len() {
                return None;
            }
            for (p, q) in x.iter().zip(y) {
                compare(p, q, found)?;
            }
        }
        (Node::Object(x), Node::Object(y)) => {
            if x.len() != y.len() {
                return None;
            }
            let key = |k: &[u8]| serde_json::from_slice::<String>(k).ok();
            let keys_x: Vec<String> = x.iter().map(|(k, _)| key(k)).collect::<Option<_>>()?;
            let keys_y: Vec<String> = y.iter().map(|(k, _)| key(k)).collect::<Option<_>>()?;
            if keys_x != keys_y && found.key_order.is_none() {
                found.key_order = Some(keys_y.is_sorted());
            }
            for (i, name) in keys_x.iter().enumerate() {
                let j = keys_y.iter().position(|k| k == name)?;
                compare(&x[i].1, &y[j].1, found)?;
                if x[i].0 != y[j].0 {
                    found.strings(x[i].0, y[j].0);
                }
            }
        }
        _ => return None,
    }
    Some(())
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A string token cut into the pieces that each write one character.
fn units(token: &str) -> impl Iterator<Item = &str> {
    let mut rest = token;
    std::iter::from_fn(move || {
        let mut chars = rest.chars();
        let first = chars.next()?;
        let len = if first != '\\' {
            first.len_utf8()
        } else if rest[1..].starts_with('u') {
            let high = rest.get(2..6).and_then(|h| u16::from_str_radix(h, 16).ok());
            let pair = high.is_some_and(|h| (0xd800..0xdc00).contains(&h))
                && rest.get(6..8) == Some("\\u");
            if pair { 12 } else { 6 }
        } else {
            2
        };
        let len = len.min(rest.len());
        let cut = (len..=rest.len()).find(|&i| rest.is_char_boundary(i)).unwrap_or(rest.len());
        let (unit, tail) = rest.split_at(cut);
        rest = tail;
        Some(unit)
    })
}

/// What kind of change turned one written character into another.
fn escape_kind(was: &str, now: &str) -> &'static str {
    if now.starts_with("\\u") && !was.starts_with('\\') && !was.is_ascii() {
        "non-ASCII escaped as \\uXXXX"
    } else if was.starts_with("\\u") && !now.starts_with('\\') && !now.is_ascii() {
        "\\u escapes decoded"
    } else if now == "\\/" {
        "slashes escaped"
    } else if was == "\\/" {
        "\\/ escapes decoded"
    } else {
        "escapes changed"
    }
}

/// The layout `body` was written in, if it is exactly one of [`LAYOUTS`].
pub(crate) fn layout_of(node: &Node, body: &[u8]) -> Option<Layout> {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    LAYOUTS
        .into_iter()
        .find(|&layout| emit(node, Style::layout(layout)).is_some_and(|out| out == body))
}

/// `snake_case` → `camelCase`, for looking a field up under both spellings.
pub(crate) fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// [`camel`] written into `buf`, for an ASCII name that fits: capture looks a dozen fields up
/// in every delivery, most under the spelling they were not sent in, and this spares an
/// allocation each time.
fn camel_ascii<'b>(snake: &str, buf: &'b mut [u8; 64]) -> Option<&'b str> {
    if !snake.is_ascii() || snake.len() > buf.len() {
        return None;
    }
    let mut len = 0;
    let mut upper = false;
    for &b in snake.as_bytes() {
        if b == b'_' {
            upper = true;
        } else {
            buf[len] = if upper { b.to_ascii_uppercase() } else { b };
            upper = false;
            len += 1;
        }
    }
    std::str::from_utf8(&buf[..len]).ok()
}

/// Field `name` of an object under its snake_case or camelCase spelling; `a.b` walks objects.
/// Nulls count as absent.
pub(crate) fn get<'v, D: Doc>(value: &'v D, name: &str) -> Option<&'v D> {
    let mut current = value;
    for part in name.split('.') {
        // Most lookups hit (or have no second spelling): spell camelCase only when needed.
        current = match current.key(part) {
            Some(found) => found,
            None if current.is_object() && part.as_bytes().contains(&b'_') => {
                let mut buf = [0; 64];
                match camel_ascii(part, &mut buf) {
                    Some(name) => current.key(name)?,
                    None => current.key(&camel(part))?,
                }
            }
            None => return None,
        };
    }
    (!current.is_null()).then_some(current)
}

pub(crate) fn get_any<'v, D: Doc>(value: &'v D, names: &[&str]) -> Option<&'v D> {
    names.iter().find_map(|n| get(value, n))
}

/// A scalar shown as text: strings as they are, numbers and booleans as written.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn text_any<D: Doc>(value: &D, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| get(value, n).and_then(Doc::text))
}

/// A number, or a string that holds one (amounts often arrive as "12.50").
pub(crate) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

pub(crate) fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => whole(n),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A number without a fraction, within the range an `f64` holds exactly.
fn whole(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

pub(crate) fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Leaves of `value` as dotted paths, for payloads whose shape the docs leave open.
pub(crate) fn flatten(value: &Value, limit: usize) -> Vec<DecodedField> {
    const MAX_VALUE_CHARS: usize = 200;
    let mut out = Vec::new();
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), value)];
    while let Some((path, v)) = stack.pop() {
        if out.len() >= limit {
            break;
        }
        match v {
            Value::Object(map) => {
                for (k, child) in map.iter().rev() {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    stack.push((p, child));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().rev() {
                    stack.push((format!("{path}[{i}]"), child));
                }
            }
            scalar => {
                let shown = text(scalar).unwrap_or_else(|| "null".to_owned());
                out.push(DecodedField { path, value: truncate(&shown, MAX_VALUE_CHARS) });
            }
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn fields_are_found_under_either_spelling() {
        let body = serde_json::json!({
            "companyId": "c1",
            "data": { "job_id": "j1", "jobReference": "R-9", "fahrerNäme": "n" },
            "null_field": null,
        });
        assert_eq!(get(&body, "company_id"), Some(&serde_json::json!("c1")));
        assert_eq!(get(&body, "data.job_id"), Some(&serde_json::json!("j1")));
        assert_eq!(get(&body, "data.job_reference"), Some(&serde_json::json!("R-9")));
        // Too long or not ASCII for the spelling buffer: the same answer, the slower way.
        let long = format!("{}_id", "x".repeat(70));
        let long_camel =
            Value::from(serde_json::Map::from_iter([(format!("{}Id", "x".repeat(70)), 7.into())]));
        assert_eq!(get(&long_camel, &long), Some(&serde_json::json!(7)));
        assert_eq!(get(&body, "data.fahrer_näme"), Some(&serde_json::json!("n")));
        assert_eq!(get(&body, "null_field"), None);
        assert_eq!(get(&body, "data.missing_field"), None);
    }

    #[test]
    fn brief_parse_answers_lookups_as_the_full_one_does() {
        let body = br#"{"id":"evt_1","n":-3,"f":1.5,"big":18446744073709551615,"ok":true,
            "none":null,"esc":"a\"b\u00e4","dup":1,"dup":2,"companyId":"c1",
            "data":{"items":[{"sku":"a"},[1,2]],"job":{"id":"j1","n":"42"}},"list":[1]}"#;
        let (full, _) = parse_lenient(body).unwrap();
        let (brief, lenient) = parse_lenient_brief(body).unwrap();
        assert!(!lenient);
        for name in [
            "id",
            "n",
            "f",
            "big",
            "ok",
            "none",
            "esc",
            "dup",
            "company_id",
            "data.job.id",
            "data.job.n",
            "data.items",
            "list",
            "missing",
            "id.deeper",
        ] {
            let (f, b) = (get(&full, name), get(&brief, name));
            assert_eq!(f.is_some(), b.is_some(), "{name}");
            assert_eq!(f.and_then(Doc::text), b.and_then(Doc::text), "{name}");
            assert_eq!(f.and_then(Doc::integer), b.and_then(Doc::integer), "{name}");
            assert_eq!(f.map(Doc::is_object), b.map(Doc::is_object), "{name}");
        }
        assert!(matches!(get(&brief, "esc"), Some(Brief::Str(Cow::Owned(_)))), "escapes copied");
        assert!(matches!(get(&brief, "id"), Some(Brief::Str(Cow::Borrowed(_)))), "others borrowed");
        assert_eq!(get(&brief, "list"), Some(&Brief::Array), "arrays are dropped");
        // Still a full check of the syntax, inside arrays too, and still lenient.
        assert!(parse_lenient_brief(br#"{"a":[1,}]}"#).is_err());
        assert!(parse_lenient_brief(br#"{"a":[1] x}"#).is_err());
        let (repaired, lenient) =
            parse_lenient_brief(b"{\"a\": [1,], \"b\": \"x\", // c\n}").unwrap();
        assert!(lenient);
        assert_eq!(get(&repaired, "b").and_then(Doc::text).as_deref(), Some("x"));
    }

    use super::*;

    #[test]
    fn repairs_the_docs_placeholders() {
        let (v, lenient) =
            parse_lenient(b"{\"a\": {..}, \"b\": \"co_\xe2\x80\xa6\", // x\n \"c\": [1,],}")
                .unwrap();
        assert!(lenient);
        assert_eq!(v["b"], "co_…");
        assert_eq!(v["c"][0], 1);
        assert!(v["a"].as_object().unwrap().is_empty());
        let (_, lenient) = parse_lenient(b"{\"a\": \"x // not a comment ..\"}").unwrap();
        assert!(!lenient);
        assert!(parse_lenient(b"\xff\xfe").is_err());
    }

    #[test]
    fn re_emits_layouts_verbatim() {
        let pretty = b"{\n  \"b\": [\n    1,\n    2.50\n  ],\n  \"a\": {},\n  \"c\": \"x\\ny\"\n}";
        let node = parse_tree(pretty).unwrap();
        assert_eq!(layout_of(&node, pretty), Some(Layout::Indent("  ")));
        let compact = Style::layout(Layout::Compact);
        assert_eq!(emit(&node, compact).unwrap(), b"{\"b\":[1,2.50],\"a\":{},\"c\":\"x\\ny\"}");
        let sorted = Style { sort_keys: true, ..compact };
        assert_eq!(emit(&node, sorted).unwrap(), b"{\"a\":{},\"b\":[1,2.50],\"c\":\"x\\ny\"}");
        let spaced = Style { layout: Layout::Spaced, ..compact };
        assert_eq!(
            emit(&node, spaced).unwrap(),
            b"{\"b\": [1, 2.50], \"a\": {}, \"c\": \"x\\ny\"}"
        );
    }

    #[test]
    fn escapes_like_php_and_python() {
        let node = parse_tree("{\"u\":\"a/ä😀\"}".as_bytes()).unwrap();
        let style = Style { escapes: Escapes::Ascii, ..Style::layout(Layout::Compact) };
        assert_eq!(emit(&node, style).unwrap(), b"{\"u\":\"a/\\u00e4\\ud83d\\ude00\"}");
        let php = Style { escapes: Escapes::AsciiAndSlash, ..style };
        assert_eq!(emit(&node, php).unwrap(), b"{\"u\":\"a\\/\\u00e4\\ud83d\\ude00\"}");
        // Received escaped (upper-case hex, `\/`), written back as a minimal serialiser would.
        let node = parse_tree(b"{\"u\":\"a\\/\\u00E4\\n\\ud83d\\ude00\"}").unwrap();
        let minimal = Style { escapes: Escapes::Minimal, ..style };
        assert_eq!(emit(&node, minimal).unwrap(), "{\"u\":\"a/ä\\n😀\"}".as_bytes());
        assert_eq!(emit(&node, style).unwrap(), b"{\"u\":\"a/\\u00e4\\n\\ud83d\\ude00\"}");
    }

    #[test]
    fn numbers_as_javascript_prints_them() {
        for (token, shortest) in [
            ("1", Some("1")),
            ("-0", Some("-0")),
            ("1.50", Some("1.5")),
            ("1.0", Some("1")),
            ("1e3", Some("1000")),
            ("2.5E-3", Some("0.0025")),
            ("true", None),
            ("1e400", None),
        ] {
            assert_eq!(shortest_number(token.as_bytes()).as_deref(), shortest, "{token}");
        }
        let node = parse_tree(b"[1.50, 2, {\"a\": 1e2}]").unwrap();
        assert!(has_long_numbers(&node));
        let style = Style { numbers: Numbers::Shortest, ..Style::layout(Layout::Compact) };
        assert_eq!(emit(&node, style).unwrap(), b"[1.5,2,{\"a\":100}]");
        assert!(!has_long_numbers(&parse_tree(b"[1.5, 2]").unwrap()));
    }

    #[test]
    fn re_serialisation_is_described_with_examples() {
        let describe = |a: &str, b: &str| describe_reserialisation(a.as_bytes(), b.as_bytes());
        assert_eq!(
            describe(r#"{"a":"ü","b":[1]}"#, r#"{"a": "\u00fc", "b": [1]}"#).unwrap(),
            [
                "separators \", \" and \": \" (Python's json.dumps default)",
                "non-ASCII escaped as \\uXXXX (ü → \\u00fc)",
            ]
        );
        assert_eq!(
            describe(r#"{"b":1.50,"a":"x\/y"}"#, "{\"a\":\"x/y\",\"b\":1.5}\n").unwrap(),
            [
                "keys sorted",
                "\\/ escapes decoded (\\/ → /)",
                "numbers reformatted (1.50 → 1.5)",
                "final newline added",
            ]
        );
        assert_eq!(
            describe(r#"{"b":1,"a":2,"c":3}"#, "{\n  \"c\": 3,\n  \"a\": 2,\n  \"b\": 1\n}")
                .unwrap(),
            ["pretty-printed", "keys reordered"]
        );
        assert_eq!(
            describe(r#"{"e":"\ud83d\ude00"}"#, r#"{"e":"😀"}"#).unwrap(),
            ["\\u escapes decoded (\\ud83d\\ude00 → 😀)"]
        );
        assert_eq!(describe(r#"{"a":1}"#, r#"{"a":2}"#), None);
        assert_eq!(describe(r#"{"a":1}"#, r#"{"b":1}"#), None);
        assert_eq!(describe(r#"[1,2]"#, r#"[1]"#), None);
        assert_eq!(describe(r#""a""#, r#""b""#), None);
    }

    #[test]
    fn tree_parser_refuses_deep_or_broken_input() {
        assert!(parse_tree(&[b'['; 10_000]).is_none());
        assert!(parse_tree(b"{\"a\" 1}").is_none());
        assert!(parse_tree(b"\"unterminated").is_none());
        assert!(parse_tree(b"").is_none());
    }

    #[test]
    fn field_lookup_accepts_both_spellings() {
        let v: Value = serde_json::json!({"licensePlate": "ABC-1", "a": {"b_c": 2}, "n": null});
        assert_eq!(text_any(&v, &["license_plate"]), Some("ABC-1".to_owned()));
        assert_eq!(get(&v, "a.b_c"), Some(&Value::from(2)));
        assert_eq!(get(&v, "n"), None);
        assert_eq!(truncate("abcdef", 3), "abc…");
    }
}
