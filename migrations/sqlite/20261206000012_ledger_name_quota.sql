-- New ledger names taken per source address and day, counted as they are reserved: a check of
-- the names created, then an insert, let concurrent requests from one address pass the daily
-- limit several times over. A reservation is one upsert that only succeeds below the limit.
CREATE TABLE ledger_name_quota (
    source  TEXT NOT NULL,
    day     BIGINT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (source, day)
);
