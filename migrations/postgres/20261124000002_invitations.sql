-- Signed invitations published for short `_oobid` links, by the hash of their bytes.
CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    inviter     TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX invitations_expiry ON invitations(expires_at);
