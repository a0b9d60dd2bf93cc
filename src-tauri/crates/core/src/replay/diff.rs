//! What differs between two requests: a retry and its original, or a replay and its source.
//! Headers by name; bodies as JSON paths when both are JSON, else line by line.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffTag};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::outbound::is_hop_by_hop;
use crate::store::outbound as db;
use crate::store::{Store, StoreError};

/// How long a line diff may search for the smallest set of changes before it settles for a
/// larger (still correct) one.
const LINE_DIFF_DEADLINE: Duration = Duration::from_secs(2);

/// One side of a comparison: a captured delivery or an outbound request (as sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
#[ts(export)]
pub enum DiffSide {
    Delivery(#[ts(type = "number")] i64),
    Outbound(#[ts(type = "number")] i64),
}

impl std::str::FromStr for DiffSide {
    type Err = String;

    /// `12` is delivery 12; `o12` (or `r12`) is outbound request (replay) 12.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || format!("{s:?} is not a delivery id (12) or a replay id (r12)");
        match s.strip_prefix(['o', 'r', 'O', 'R']) {
            Some(rest) => rest.parse().map(Self::Outbound).map_err(|_| bad()),
            None => s.parse().map(Self::Delivery).map_err(|_| bad()),
        }
    }
}

impl std::fmt::Display for DiffSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Delivery(id) => write!(f, "delivery {id}"),
            Self::Outbound(id) => write!(f, "replay r{id}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// A header present on one side only, or with other values (all values of a name, in order,
/// joined with `, `).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct HeaderDiff {
    pub name: String,
    pub change: Change,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A JSON value added, removed or changed at `path` (`$.data.items[0].id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JsonChange {
    pub path: String,
    pub change: Change,
    #[ts(type = "unknown")]
    pub old: Option<Value>,
    #[ts(type = "unknown")]
    pub new: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum LineKind {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LineDiff {
    pub kind: LineKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum BodyDiff {
    /// Byte for byte the same.
    Same,
    /// Both bodies are JSON: the values that differ.
    Json { changes: Vec<JsonChange> },
    /// At least one is not JSON: lines in order, unchanged ones included.
    Text { lines: Vec<LineDiff> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RequestDiff {
    pub a: String,
    pub b: String,
    /// Method and URL path when they differ, e.g. "POST /fleiko → PUT /fleiko/x".
    pub request_line: Option<String>,
    pub headers: Vec<HeaderDiff>,
    pub body: BodyDiff,
}

impl RequestDiff {
    pub fn is_empty(&self) -> bool {
        self.request_line.is_none() && self.headers.is_empty() && self.body == BodyDiff::Same
    }
}

/// What a side's request consists of, for comparing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Side {
    pub label: String,
    pub method: String,
    /// Path and query as sent, e.g. `/fleiko?x=1`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Loads one side from the store.
pub fn load(store: &Store, side: DiffSide) -> Result<Side, StoreError> {
    match side {
        DiffSide::Delivery(id) => {
            let detail = store.detail(id)?;
            let target = match &detail.summary.query {
                Some(q) => format!("{}?{q}", detail.summary.path),
                None => detail.summary.path.clone(),
            };
            Ok(Side {
                label: side.to_string(),
                method: detail.summary.method.clone(),
                target,
                headers: detail.headers,
                body: store.body(id)?,
            })
        }
        DiffSide::Outbound(id) => {
            let record = store.read(|c| db::get(c, id))?.ok_or(StoreError::NotFound(id))?;
            let (body, _) = store.read(|c| db::bodies(c, id))?.unwrap_or_default();
            let target = reqwest::Url::parse(&record.url)
                .map(|u| match u.query() {
                    Some(q) => format!("{}?{q}", u.path()),
                    None => u.path().to_owned(),
                })
                .unwrap_or(record.url.clone());
            Ok(Side {
                label: side.to_string(),
                method: record.method,
                target,
                headers: record.request_headers,
                body,
            })
        }
    }
}

/// Compares two stored requests.
pub fn diff_stored(store: &Store, a: DiffSide, b: DiffSide) -> Result<RequestDiff, StoreError> {
    Ok(diff(&load(store, a)?, &load(store, b)?))
}

/// Compares two requests. Hop-by-hop headers (Host, Content-Length, ...) are left out: the
/// sender recomputes them, so they differ without meaning anything.
pub fn diff(a: &Side, b: &Side) -> RequestDiff {
    let request_line = (a.method != b.method || a.target != b.target)
        .then(|| format!("{} {} → {} {}", a.method, a.target, b.method, b.target));
    RequestDiff {
        a: a.label.clone(),
        b: b.label.clone(),
        request_line,
        headers: diff_headers(&a.headers, &b.headers),
        body: diff_bodies(&a.body, &b.body),
    }
}

pub fn diff_headers(a: &[(String, String)], b: &[(String, String)]) -> Vec<HeaderDiff> {
    // Keyed by lower-case name; the first spelling seen names the row.
    fn group(headers: &[(String, String)]) -> (Vec<String>, BTreeMap<String, (String, String)>) {
        let mut order = Vec::new();
        let mut map: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (name, value) in headers.iter().filter(|(n, _)| !is_hop_by_hop(n)) {
            let key = name.to_ascii_lowercase();
            match map.get_mut(&key) {
                Some((_, joined)) => {
                    joined.push_str(", ");
                    joined.push_str(value);
                }
                None => {
                    order.push(key.clone());
                    map.insert(key, (name.clone(), value.clone()));
                }
            }
        }
        (order, map)
    }
    let (a_order, a_map) = group(a);
    let (b_order, b_map) = group(b);
    let mut out = Vec::new();
    for key in &a_order {
        let (name, old) = &a_map[key];
        match b_map.get(key) {
            None => out.push(HeaderDiff {
                name: name.clone(),
                change: Change::Removed,
                old: Some(old.clone()),
                new: None,
            }),
            Some((_, new)) if new != old => out.push(HeaderDiff {
                name: name.clone(),
                change: Change::Changed,
                old: Some(old.clone()),
                new: Some(new.clone()),
            }),
            Some(_) => {}
        }
    }
    for key in b_order.iter().filter(|k| !a_map.contains_key(*k)) {
        let (name, new) = &b_map[key];
        out.push(HeaderDiff {
            name: name.clone(),
            change: Change::Added,
            old: None,
            new: Some(new.clone()),
        });
    }
    out
}

pub fn diff_bodies(a: &[u8], b: &[u8]) -> BodyDiff {
    if a == b {
        return BodyDiff::Same;
    }
    match (serde_json::from_slice::<Value>(a), serde_json::from_slice::<Value>(b)) {
        (Ok(x), Ok(y)) => {
            let mut changes = Vec::new();
            diff_json("$", &x, &y, &mut changes);
            BodyDiff::Json { changes }
        }
        _ => BodyDiff::Text {
            lines: diff_lines(&String::from_utf8_lossy(a), &String::from_utf8_lossy(b)),
        },
    }
}

fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", serde_json::to_string(key).unwrap_or_default())
    }
}

/// Every difference between `a` and `b` below `path`. Equal values (even if formatted
/// differently in the bytes) give none.
pub fn diff_json(path: &str, a: &Value, b: &Value, out: &mut Vec<JsonChange>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (key, old) in x {
                let here = key_path(path, key);
                match y.get(key) {
                    Some(new) => diff_json(&here, old, new, out),
                    None => out.push(JsonChange {
                        path: here,
                        change: Change::Removed,
                        old: Some(old.clone()),
                        new: None,
                    }),
                }
            }
            for (key, new) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                out.push(JsonChange {
                    path: key_path(path, key),
                    change: Change::Added,
                    old: None,
                    new: Some(new.clone()),
                });
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                let here = format!("{path}[{i}]");
                match (x.get(i), y.get(i)) {
                    (Some(old), Some(new)) => diff_json(&here, old, new, out),
                    (Some(old), None) => out.push(JsonChange {
                        path: here,
                        change: Change::Removed,
                        old: Some(old.clone()),
                        new: None,
                    }),
                    (None, Some(new)) => out.push(JsonChange {
                        path: here,
                        change: Change::Added,
                        old: None,
                        new: Some(new.clone()),
                    }),
                    (None, None) => {}
                }
            }
        }
        _ if a == b => {}
        _ => out.push(JsonChange {
            path: path.to_owned(),
            change: Change::Changed,
            old: Some(a.clone()),
            new: Some(b.clone()),
        }),
    }
}

/// A line diff by Myers' algorithm, which costs time in proportion to the size of the
/// bodies times the number of differences: two large bodies that differ in a few lines
/// are quick, and past [`LINE_DIFF_DEADLINE`] the result gets coarser but stays correct.
pub fn diff_lines(a: &str, b: &str) -> Vec<LineDiff> {
    let x: Vec<&str> = a.lines().collect();
    let y: Vec<&str> = b.lines().collect();
    let deadline = Instant::now() + LINE_DIFF_DEADLINE;
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &x, &y, Some(deadline));
    let line = |kind, text: &&str| LineDiff { kind, text: (*text).to_owned() };
    let mut out = Vec::with_capacity(x.len().max(y.len()));
    for op in ops {
        let (tag, old, new) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => out.extend(x[old].iter().map(|t| line(LineKind::Same, t))),
            // Removals first, as unified diffs show them.
            DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                out.extend(x[old].iter().map(|t| line(LineKind::Removed, t)));
                out.extend(y[new].iter().map(|t| line(LineKind::Added, t)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn changes(a: Value, b: Value) -> Vec<(String, Change)> {
        let mut out = Vec::new();
        diff_json("$", &a, &b, &mut out);
        // Key order depends on serde_json's features, which other crates may switch on.
        let mut out: Vec<_> = out.into_iter().map(|c| (c.path, c.change)).collect();
        out.sort_by(|x, y| x.0.cmp(&y.0));
        out
    }

    #[test]
    fn json_paths_name_what_changed() {
        let a = json!({"id": "evt_1", "data": {"status": "open", "items": [1, 2], "old": true}});
        let b = json!({"id": "evt_2", "data": {"status": "open", "items": [1, 3, 4], "x-y": 1}});
        assert_eq!(
            changes(a, b),
            [
                ("$.data.items[1]".to_owned(), Change::Changed),
                ("$.data.items[2]".to_owned(), Change::Added),
                ("$.data.old".to_owned(), Change::Removed),
                ("$.data[\"x-y\"]".to_owned(), Change::Added),
                ("$.id".to_owned(), Change::Changed),
            ]
        );
        assert!(changes(json!({"a": [1]}), json!({"a": [1]})).is_empty());
        assert_eq!(changes(json!(1), json!("1")), [("$".to_owned(), Change::Changed)]);
    }

    #[test]
    fn reformatted_json_has_no_changes_but_is_not_same() {
        let diff = diff_bodies(br#"{"a":1,"b":[true]}"#, b"{\n  \"b\": [true],\n  \"a\": 1\n}");
        assert_eq!(diff, BodyDiff::Json { changes: vec![] });
        let old_new = diff_bodies(br#"{"a":1}"#, br#"{"a":2}"#);
        let BodyDiff::Json { changes } = old_new else { panic!("{old_new:?}") };
        assert_eq!(changes[0].old, Some(json!(1)));
        assert_eq!(changes[0].new, Some(json!(2)));
        assert_eq!(diff_bodies(b"same", b"same"), BodyDiff::Same);
    }

    #[test]
    fn text_falls_back_to_a_line_diff() {
        let BodyDiff::Text { lines } = diff_bodies(b"a\nb\nc\nd", b"a\nx\nc\nd\ne") else {
            panic!("not text")
        };
        let shown: Vec<String> = lines
            .iter()
            .map(|l| {
                let mark = match l.kind {
                    LineKind::Same => ' ',
                    LineKind::Added => '+',
                    LineKind::Removed => '-',
                };
                format!("{mark}{}", l.text)
            })
            .collect();
        assert_eq!(shown, [" a", "-b", "+x", " c", " d", "+e"]);
        assert!(diff_lines("", "").is_empty());
    }

    #[test]
    fn large_bodies_differing_in_a_few_lines_show_only_those() {
        let a: Vec<String> = (0..50_000).map(|i| format!("line {i}")).collect();
        let mut b = a.clone();
        b[10] = "changed 10".into();
        b[25_000] = "changed 25000".into();
        b.remove(40_000);
        b.insert(49_000, "inserted".into());
        let started = Instant::now();
        let lines = diff_lines(&a.join("\n"), &b.join("\n"));
        let took = started.elapsed();
        println!("50 000-line diff took {took:?}");
        let changed: Vec<(LineKind, &str)> = lines
            .iter()
            .filter(|l| l.kind != LineKind::Same)
            .map(|l| (l.kind, l.text.as_str()))
            .collect();
        assert_eq!(
            changed,
            [
                (LineKind::Removed, "line 10"),
                (LineKind::Added, "changed 10"),
                (LineKind::Removed, "line 25000"),
                (LineKind::Added, "changed 25000"),
                (LineKind::Removed, "line 40000"),
                (LineKind::Added, "inserted"),
            ]
        );
        assert_eq!(lines.iter().filter(|l| l.kind == LineKind::Same).count(), 49_997);
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }

    #[test]
    fn headers_compare_by_name_and_skip_hop_by_hop() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
        };
        let a =
            h(&[("Host", "a"), ("X-Sig", "1"), ("X-Gone", "g"), ("X-Dup", "1"), ("x-dup", "2")]);
        let b = h(&[("host", "b"), ("x-sig", "2"), ("X-Dup", "1, 2"), ("X-New", "n")]);
        let got: Vec<(String, Change)> =
            diff_headers(&a, &b).into_iter().map(|d| (d.name, d.change)).collect();
        assert_eq!(
            got,
            [
                ("X-Sig".to_owned(), Change::Changed),
                ("X-Gone".to_owned(), Change::Removed),
                ("X-New".to_owned(), Change::Added),
            ]
        );
    }

    #[test]
    fn sides_parse_from_the_command_line() {
        assert_eq!("12".parse(), Ok(DiffSide::Delivery(12)));
        assert_eq!("r7".parse(), Ok(DiffSide::Outbound(7)));
        assert_eq!("o7".parse(), Ok(DiffSide::Outbound(7)));
        assert!("x".parse::<DiffSide>().is_err());
    }
}
