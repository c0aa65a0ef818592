-- A forwarded envelope's SHA-256, recorded as seen by the same statement that queues it: a
-- replayed forward fails its own insert (the trigger's insert conflicts), so the replay check and
-- the queueing are one atomic statement, and a batch of forwards needs one round trip.
ALTER TABLE messages ADD COLUMN digest TEXT;

CREATE TRIGGER messages_remember_forward AFTER INSERT ON messages
WHEN NEW.digest IS NOT NULL
BEGIN
    INSERT INTO seen_messages (sender, id, seen_at) VALUES ('forward', NEW.digest, NEW.received_at);
END;
