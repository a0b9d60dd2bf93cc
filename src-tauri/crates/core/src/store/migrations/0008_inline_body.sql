-- Bodies move into their delivery's row: one B-tree to insert into and prune from per
-- delivery instead of two. The body is the last column, so reading the others never walks
-- a large body's overflow pages.
ALTER TABLE deliveries ADD COLUMN body BLOB;

UPDATE deliveries SET body = (SELECT b.body FROM delivery_bodies b WHERE b.id = deliveries.id);

DROP TABLE delivery_bodies;

-- The search index merges its segments when the writer asks, a bounded amount at a time
-- (see `writer::index`), instead of in whichever commit crosses FTS5's own threshold: that
-- commit would copy hundreds of pages while captures wait on it.
INSERT INTO deliveries_fts (deliveries_fts, rank) VALUES ('automerge', 0);
