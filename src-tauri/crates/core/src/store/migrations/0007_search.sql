-- The search index forgets a pruned delivery by its id alone (`contentless_delete`), instead of
-- being handed the same text again: pruning no longer reads and re-tokenises every body it
-- drops. Rebuilt from scratch; the writer indexes stored deliveries again in quiet moments,
-- and searches cover rows not yet indexed on their own meanwhile.
DROP TABLE deliveries_fts;

CREATE VIRTUAL TABLE deliveries_fts USING fts5(
    path, headers, body,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = "unicode61 remove_diacritics 2"
);

UPDATE meta SET value = 0 WHERE key = 'fts_indexed_upto';
