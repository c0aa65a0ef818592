-- A bundle is kept per digest *and* owner: each party's share lives for its own lifetime. Keyed by
-- digest alone, a stranger who shared a known program's bundle first (with a two-second lifetime)
-- made the host's later share a no-op, and joiners found nothing once the stranger's expired.
-- Rows of one digest hold the same files (the mediator computes the digest itself), so a fetch
-- may serve any of them that has not expired.
ALTER TABLE program_bundles DROP CONSTRAINT program_bundles_pkey;
ALTER TABLE program_bundles ADD PRIMARY KEY (digest, owner);
CREATE INDEX program_bundles_digest ON program_bundles(digest, expires_at);
