-- Parties the mediator has granted mediation to.
CREATE TABLE mediated (
    did         TEXT PRIMARY KEY,
    granted_at  BIGINT NOT NULL
);

-- Recipient DIDs (or DID URLs) whose forwards are stored for a mediated party.
CREATE TABLE recipients (
    recipient   TEXT PRIMARY KEY,
    owner       TEXT NOT NULL REFERENCES mediated(did) ON DELETE CASCADE
);
CREATE INDEX recipients_owner ON recipients(owner);

-- Queued messages: opaque encrypted envelopes, deleted only when their owner acknowledges them.
CREATE TABLE messages (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    owner       TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX messages_owner ON messages(owner, seq);
CREATE INDEX messages_expiry ON messages(expires_at);

-- Message ids already accepted from each authenticated sender, to refuse replays.
CREATE TABLE seen_messages (
    sender      TEXT NOT NULL,
    id          TEXT NOT NULL,
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (sender, id)
);
CREATE INDEX seen_messages_age ON seen_messages(seen_at);
