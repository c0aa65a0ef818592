-- Which instance's relay each party's relay connection is on now (that instance's --relay-url),
-- for mediators of several instances behind one public URL: a peer that dials the party through
-- another instance asks /relay-info?endpoint= and is sent there. NULL: not connected to an
-- instance that records it.
ALTER TABLE relay_keys ADD COLUMN relay_url TEXT;
