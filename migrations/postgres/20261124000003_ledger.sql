-- did:webvh logs this mediator hosts, one per name (`/parties/{name}/did.jsonl`), first come,
-- first served. `entries` guards updates: an update names the count it extends.
CREATE TABLE ledger_logs (
    name        TEXT PRIMARY KEY,
    did         TEXT NOT NULL UNIQUE,
    log         TEXT NOT NULL,
    witness     TEXT,
    entries     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
