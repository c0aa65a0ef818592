-- The bytes each owner's queue holds per source address, beside the count: a source's share of a
-- queue is bounded in bytes as well as messages (a thousand of the largest messages from one
-- address were a quarter of a gigabyte, kept for the message TTL). Kept by the same triggers.
ALTER TABLE queue_counts ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
UPDATE queue_counts SET bytes = (
    SELECT COALESCE(SUM(LENGTH(CAST(body AS BLOB))), 0) FROM messages
    WHERE messages.owner = queue_counts.owner AND messages.source = queue_counts.source
);
DROP TRIGGER messages_counted;
DROP TRIGGER messages_uncounted;
CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN
    INSERT INTO queue_counts (owner, source, n, bytes) VALUES (NEW.owner, NEW.source, 1, LENGTH(CAST(NEW.body AS BLOB)))
        ON CONFLICT (owner, source) DO UPDATE SET n = n + 1, bytes = bytes + LENGTH(CAST(NEW.body AS BLOB));
END;
CREATE TRIGGER messages_uncounted AFTER DELETE ON messages BEGIN
    UPDATE queue_counts SET n = n - 1, bytes = bytes - LENGTH(CAST(OLD.body AS BLOB))
        WHERE owner = OLD.owner AND source = OLD.source;
    DELETE FROM queue_counts WHERE owner = OLD.owner AND source = OLD.source AND n <= 0;
END;
