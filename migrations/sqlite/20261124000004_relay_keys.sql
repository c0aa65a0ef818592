-- The Ed25519 keys (hex) that may use the relay: the signing key of each DID that enrolled here,
-- recorded at mediate-request. A party that rotates its key enrolls again.
CREATE TABLE relay_keys (
    endpoint_id TEXT PRIMARY KEY NOT NULL,
    did         TEXT NOT NULL
);
