-- Program bundles a session's host leaves for its parties: content-addressed by their digest,
-- owned by the party that shared them (for its quota), kept until they expire.
CREATE TABLE program_bundles (
    digest      TEXT PRIMARY KEY NOT NULL,
    owner       TEXT NOT NULL,
    body        TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX program_bundles_owner ON program_bundles(owner, expires_at);
