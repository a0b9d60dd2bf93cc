//! What a search matches, in one place for both paths a search takes: the full-text index
//! (`deliveries_fts`) and the scan of rows the index has not reached yet.
//!
//! A match is defined by SQLite's own tokenizer, never by a second implementation of it: the
//! text a search types is split into the tokens the index's tokenizer finds in it (letters and
//! digits, case and diacritics folded: `Åsa` is `asa`, `ÉCOLE` is `ecole`), and a delivery
//! matches when every one of those tokens begins some token of its text — any order, anywhere
//! in its path line, headers or body. Rows not indexed yet are matched by the same FTS5 query
//! on an in-memory table with the same tokenizer, fed the same text the index is given, so a
//! search answers the same before and after the indexer catches up.

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::{Result, headers};

/// The index's tokenizer, as `0007_search.sql` creates it (a test holds the two together).
pub(super) const TOKENIZE: &str = "unicode61 remove_diacritics 2";
/// Text indexed for search per body; the rest of a large body is stored but not indexed.
pub(super) const MAX_INDEXED_BODY: usize = 64 * 1024;

/// A delivery's text as the search index sees it.
pub(super) struct SearchDoc {
    pub id: i64,
    /// Method, path and query: `POST /flovi?x=1`.
    pub line: String,
    /// `Name: value` lines, in arrival order.
    pub headers: String,
    /// The body's first [`MAX_INDEXED_BODY`] bytes as text; none for a binary body.
    pub body: Option<String>,
}

impl SearchDoc {
    /// `body_head` is the body's first [`MAX_INDEXED_BODY`] bytes.
    pub fn new(
        id: i64,
        method: &str,
        path: &str,
        query: Option<&str>,
        headers_raw: &[u8],
        body_head: Option<&[u8]>,
    ) -> Self {
        let line = match query {
            Some(q) => format!("{method} {path}?{q}"),
            None => format!("{method} {path}"),
        };
        let mut text = String::new();
        for (name, value) in headers::to_text_pairs(&headers::decode(headers_raw)) {
            text.push_str(&name);
            text.push_str(": ");
            text.push_str(&value);
            text.push('\n');
        }
        Self { id, line, headers: text, body: body_head.and_then(body_text) }
    }
}

fn body_text(head: &[u8]) -> Option<String> {
    match std::str::from_utf8(head) {
        Ok(text) => Some(text.to_owned()),
        // A cut through a multi-byte character is still text; anything else is binary.
        Err(e) if e.error_len().is_none() => {
            Some(String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned())
        }
        Err(_) => None,
    }
}

/// An in-memory SQLite with the index's tokenizer: it turns typed text into the index's
/// query and matches rows the index has not reached.
pub(super) struct Matcher {
    conn: Connection,
}

impl Matcher {
    pub fn new() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE scan USING fts5(
                path, headers, body, content = '', detail = none, tokenize = '{TOKENIZE}'
            );
            CREATE VIRTUAL TABLE typed USING fts5(text, tokenize = '{TOKENIZE}');
            CREATE VIRTUAL TABLE typed_tokens USING fts5vocab(typed, instance);"
        ))?;
        Ok(Self { conn })
    }

    /// The FTS5 query for what a user typed: each token the tokenizer finds in it, as a
    /// prefix, all required (`evt_7f3` finds `evt_7f3a9c`; `Åsa-ö` is `"asa"* AND "o"*`). None
    /// when the text holds no token. Nothing typed reaches FTS5's query syntax.
    pub fn query(&self, typed: &str) -> Result<Option<String>> {
        self.conn.execute("DELETE FROM typed", [])?;
        self.conn.execute("INSERT INTO typed (rowid, text) VALUES (1, ?1)", [typed])?;
        let mut stmt = self.conn.prepare_cached("SELECT term FROM typed_tokens ORDER BY offset")?;
        let tokens = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut terms = Vec::new();
        for token in tokens {
            let term = format!("\"{}\"*", token?.replace('"', "\"\""));
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        Ok((!terms.is_empty()).then(|| terms.join(" AND ")))
    }

    /// Which of `docs` match `fts` (a [`Self::query`]), exactly as the index would answer.
    pub fn matching(&self, docs: &[SearchDoc], fts: &str) -> Result<HashSet<i64>> {
        self.conn.execute("INSERT INTO scan (scan) VALUES ('delete-all')", [])?;
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO scan (rowid, path, headers, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for doc in docs {
                insert.execute(params![doc.id, doc.line, doc.headers, doc.body])?;
            }
        }
        tx.commit()?;
        let mut stmt = self.conn.prepare_cached("SELECT rowid FROM scan WHERE scan MATCH ?1")?;
        let ids = stmt.query_map([fts], |r| r.get(0))?;
        Ok(ids.collect::<rusqlite::Result<_>>()?)
    }
}
