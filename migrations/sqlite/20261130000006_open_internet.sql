-- The mediator on the open internet.
--
-- Where each queued message came from (the client address of the forward, an IPv6 /64), so one
-- source holds at most a share of a party's queue.
ALTER TABLE messages ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_owner_source ON messages(owner, source);

-- When an enrolled party last acted (updated at most hourly): enrollments idle for longer than
-- the configured time expire with their queues.
ALTER TABLE mediated ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
UPDATE mediated SET last_seen = granted_at;

-- Enrollment tokens for a closed mediator, by SHA-256 of the token (the token itself is shown
-- once, to the operator).
CREATE TABLE enrollment_tokens (
    digest      TEXT PRIMARY KEY NOT NULL,
    label       TEXT NOT NULL,
    uses_left   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Who published each short link, counted against a per-identity quota.
CREATE INDEX invitations_inviter ON invitations(inviter, expires_at);

-- Which client address created each hosted log, counted against a per-source quota.
ALTER TABLE ledger_logs ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_logs ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ledger_logs_source ON ledger_logs(source, created_at);
