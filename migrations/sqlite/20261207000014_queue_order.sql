-- Three pages fewer per forward (a forward's commit writes every page its row and index entries
-- touch into the log, and the checkpoint syncs and copies them again):
-- * `sqlite_sequence`: the queue position is assigned by the one writer (the intake), which
--   starts past the highest position ever given, kept in `queue_position` when the newest
--   message is deleted (so no position is given twice: a pickup cursor stays valid);
-- * `messages_expiry`: every message of a run of the mediator lives as long, so expiry follows
--   queue order, and the sweep deletes from the front of the queue;
-- * `seen_messages_age`: the replay records are swept in key order, a bounded stretch a time.
-- And the queue index is keyed by a number for the owner (eight bytes of its DID's digest,
-- filled in by the mediator for the messages already queued), not by its DID: a DID's index
-- entry filled a page with a dozen, and where owners are many a forward wrote two to three
-- pages of it.
DROP INDEX messages_expiry;
DROP INDEX seen_messages_age;
DROP TRIGGER messages_counted;
DROP TRIGGER messages_uncounted;
DROP TRIGGER messages_remember_forward;
DROP INDEX messages_owner;

CREATE TABLE queue_position (
    only    INTEGER PRIMARY KEY CHECK (only = 1),
    last    INTEGER NOT NULL
);
INSERT INTO queue_position (only, last) VALUES (1, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0));

CREATE TABLE messages_positioned (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    owner       TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    digest      TEXT,
    source      TEXT NOT NULL DEFAULT '',
    owner_key   INTEGER
);
INSERT INTO messages_positioned (seq, id, owner, recipient, body, received_at, expires_at, digest, source)
    SELECT seq, id, owner, recipient, body, received_at, expires_at, digest, source FROM messages;
DROP TABLE messages;
ALTER TABLE messages_positioned RENAME TO messages;
CREATE INDEX messages_owner ON messages(owner_key, seq);

CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN
    INSERT INTO queue_counts (owner, source, n, bytes) VALUES (NEW.owner, NEW.source, 1, LENGTH(CAST(NEW.body AS BLOB)))
        ON CONFLICT (owner, source) DO UPDATE SET n = n + 1, bytes = bytes + LENGTH(CAST(NEW.body AS BLOB));
END;
CREATE TRIGGER messages_uncounted AFTER DELETE ON messages BEGIN
    UPDATE queue_counts SET n = n - 1, bytes = bytes - LENGTH(CAST(OLD.body AS BLOB))
        WHERE owner = OLD.owner AND source = OLD.source;
    DELETE FROM queue_counts WHERE owner = OLD.owner AND source = OLD.source AND n <= 0;
END;
CREATE TRIGGER messages_remember_forward AFTER INSERT ON messages
WHEN NEW.digest IS NOT NULL
BEGIN
    INSERT INTO seen_messages (sender, id, seen_at) VALUES ('forward', NEW.digest, NEW.received_at);
END;
-- The newest message deleted: its position is kept, so the next forward is placed after it.
CREATE TRIGGER messages_position_kept AFTER DELETE ON messages
WHEN OLD.seq > (SELECT last FROM queue_position WHERE only = 1)
BEGIN
    UPDATE queue_position SET last = OLD.seq WHERE only = 1;
END;
