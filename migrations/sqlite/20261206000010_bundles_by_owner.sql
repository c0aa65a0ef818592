-- A bundle is kept per digest *and* owner: each party's share lives for its own lifetime. Keyed by
-- digest alone, a stranger who shared a known program's bundle first (with a two-second lifetime)
-- made the host's later share a no-op, and joiners found nothing once the stranger's expired.
-- Rows of one digest hold the same files (the mediator computes the digest itself), so a fetch
-- may serve any of them that has not expired.
CREATE TABLE program_bundles_by_owner (
    digest      TEXT NOT NULL,
    owner       TEXT NOT NULL,
    body        TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (digest, owner)
);
INSERT INTO program_bundles_by_owner (digest, owner, body, bytes, expires_at)
    SELECT digest, owner, body, bytes, expires_at FROM program_bundles;
DROP TABLE program_bundles;
ALTER TABLE program_bundles_by_owner RENAME TO program_bundles;
CREATE INDEX program_bundles_owner ON program_bundles(owner, expires_at);
CREATE INDEX program_bundles_digest ON program_bundles(digest, expires_at);
