-- Two index entries fewer per forward, as in SQLite: expired messages are swept from the front
-- of the queue (every message of a mediator's run lives as long, so they expire in queue order),
-- and replay records in key order, a bounded stretch a time.
-- The queue index keyed by a number for the owner (eight bytes of its DID's digest, filled in
-- by the mediator for the messages already queued), not by its DID; and no index by owner and
-- source (the counts per source are kept in `queue_counts`).
ALTER TABLE messages ADD COLUMN owner_key BIGINT;
DROP INDEX IF EXISTS messages_owner;
CREATE INDEX messages_owner ON messages(owner_key, seq);
DROP INDEX IF EXISTS messages_owner_source;
DROP INDEX IF EXISTS messages_expiry;
DROP INDEX IF EXISTS seen_messages_age;
