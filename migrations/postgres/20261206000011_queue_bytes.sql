-- The bytes each owner's queue holds per source address, beside the count: a source's share of a
-- queue is bounded in bytes as well as messages (a thousand of the largest messages from one
-- address were a quarter of a gigabyte, kept for the message TTL). Kept by the same trigger.
ALTER TABLE queue_counts ADD COLUMN bytes BIGINT NOT NULL DEFAULT 0;
UPDATE queue_counts SET bytes = (
    SELECT COALESCE(SUM(OCTET_LENGTH(body)), 0) FROM messages
    WHERE messages.owner = queue_counts.owner AND messages.source = queue_counts.source
);
CREATE OR REPLACE FUNCTION count_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO queue_counts (owner, source, n, bytes) VALUES (NEW.owner, NEW.source, 1, OCTET_LENGTH(NEW.body))
            ON CONFLICT (owner, source) DO UPDATE
            SET n = queue_counts.n + 1, bytes = queue_counts.bytes + OCTET_LENGTH(NEW.body);
        RETURN NEW;
    END IF;
    UPDATE queue_counts SET n = n - 1, bytes = bytes - OCTET_LENGTH(OLD.body)
        WHERE owner = OLD.owner AND source = OLD.source;
    DELETE FROM queue_counts WHERE owner = OLD.owner AND source = OLD.source AND n <= 0;
    RETURN OLD;
END
$$;
