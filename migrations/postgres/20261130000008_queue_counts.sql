-- How many messages each owner's queue holds, per source address: what the queue caps compare
-- against on every forward. Counting the queue itself costs time in proportion to its depth, so a
-- popular recipient (a session host) got slower with every message it had waiting. A trigger
-- keeps the counts exact on every insert and delete, whatever path deletes (acknowledgement,
-- purge, expiry, an enrollment's end) and whichever instance.
CREATE TABLE queue_counts (
    owner   TEXT NOT NULL,
    source  TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (owner, source)
);
INSERT INTO queue_counts (owner, source, n) SELECT owner, source, COUNT(*) FROM messages GROUP BY owner, source;
CREATE FUNCTION count_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO queue_counts (owner, source, n) VALUES (NEW.owner, NEW.source, 1)
            ON CONFLICT (owner, source) DO UPDATE SET n = queue_counts.n + 1;
        RETURN NEW;
    END IF;
    UPDATE queue_counts SET n = n - 1 WHERE owner = OLD.owner AND source = OLD.source;
    DELETE FROM queue_counts WHERE owner = OLD.owner AND source = OLD.source AND n <= 0;
    RETURN OLD;
END
$$;
CREATE TRIGGER messages_counted AFTER INSERT OR DELETE ON messages FOR EACH ROW EXECUTE FUNCTION count_queued();
