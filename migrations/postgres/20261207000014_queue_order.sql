-- Two index entries fewer per forward, as in SQLite: expired messages are swept from the front
-- of the queue (every message of a mediator's run lives as long, so they expire in queue order),
-- and replay records in key order, a bounded stretch a time.
DROP INDEX IF EXISTS messages_expiry;
DROP INDEX IF EXISTS seen_messages_age;
