-- Fewer pages per forward. A forward's commit writes every page its row and index entries touch
-- into the log, and the checkpoint copies each again; at one forward per commit that was ten
-- pages. Two go:
-- * `messages_owner_source`: the per-source counts it served are kept in `queue_counts` now;
-- * `seen_messages` without a rowid: its primary key is the table, not a second B-tree beside it.
DROP INDEX IF EXISTS messages_owner_source;

-- The trigger that records a forward's digest names the table: it goes while the table is
-- rebuilt, and comes back unchanged.
DROP TRIGGER messages_remember_forward;
CREATE TABLE seen_messages_keyed (
    sender      TEXT NOT NULL,
    id          TEXT NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (sender, id)
) WITHOUT ROWID;
INSERT INTO seen_messages_keyed (sender, id, seen_at) SELECT sender, id, seen_at FROM seen_messages;
DROP TABLE seen_messages;
ALTER TABLE seen_messages_keyed RENAME TO seen_messages;
CREATE INDEX seen_messages_age ON seen_messages(seen_at);
CREATE TRIGGER messages_remember_forward AFTER INSERT ON messages
WHEN NEW.digest IS NOT NULL
BEGIN
    INSERT INTO seen_messages (sender, id, seen_at) VALUES ('forward', NEW.digest, NEW.received_at);
END;
