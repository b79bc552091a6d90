-- The username directory (docs/directory.md). Nothing here names a handle, a namespace or an
-- owner's key: entries are addressed by entry_id, a hash of the policy and the lookup key (itself
-- from Argon2id of the namespace id and the handle); records are ciphertext under a key the service
-- never sees; owners are the hashes of per-entry control keys; requesters are MACs under the secret.

-- The MAC key of challenges and requester names: one row, made by the first replica that starts.
CREATE TABLE directory_secret (
  id     int2  PRIMARY KEY CHECK (id = 1),
  secret bytea NOT NULL
);

-- One row per entry. A released entry keeps its row with record and owner_hash NULL (a tombstone),
-- so its sequence goes on rising: a grant made before the release can never match again.
CREATE TABLE directory_entries (
  entry_id       bytea PRIMARY KEY,
  record         bytea,
  owner_hash     bytea,
  -- Every write adds one; grants name the sequence they change.
  sequence       int8  NOT NULL,
  -- The stamp inside the challenge of the last write (service time in ms × 1000 plus a count): the
  -- next write must bring a newer one, so a registration replayed by whoever saw it is refused.
  last_challenge int8  NOT NULL,
  created_ms     int8  NOT NULL,
  updated_ms     int8  NOT NULL,
  CHECK ((record IS NULL) = (owner_hash IS NULL))
);

-- Fixed-window request counts per requester and kind (1: lookups, 2: writes), shared by every
-- replica; rows of windows long past are swept.
CREATE TABLE directory_rate (
  requester    bytea NOT NULL,
  kind         int2  NOT NULL,
  window_start int8  NOT NULL,
  hits         int4  NOT NULL,
  PRIMARY KEY (requester, kind)
);
CREATE INDEX directory_rate_window ON directory_rate (window_start);

-- A registration the service verified (challenge MAC and age, proof of possession): a new entry, a
-- released one taken again, the owner's own update, or (p_lww) anyone's takeover. status: ok,
-- taken, stale (challenge not newer than the entry's last write: a replay, or under p_lww a writer
-- who lost a race and asks for a new challenge).
CREATE FUNCTION directory_register(
  p_entry bytea, p_record bytea, p_owner bytea, p_challenge int8, p_now_ms int8, p_lww bool,
  OUT status text, OUT sequence int8)
LANGUAGE plpgsql
AS $$
DECLARE
  r directory_entries%ROWTYPE;
BEGIN
  INSERT INTO directory_entries (entry_id, record, owner_hash, sequence, last_challenge, created_ms, updated_ms)
  VALUES (p_entry, p_record, p_owner, 1, p_challenge, p_now_ms, p_now_ms)
  ON CONFLICT (entry_id) DO NOTHING;
  IF FOUND THEN
    status := 'ok'; sequence := 1;
    RETURN;
  END IF;
  -- There already: lock it (a new statement, so a snapshot that sees a concurrent first insert).
  SELECT * INTO r FROM directory_entries WHERE entry_id = p_entry FOR UPDATE;
  -- Taken first: a loser of a race for a new handle hears that it is taken, not that its challenge
  -- (minted before the winner's write) is stale.
  IF r.owner_hash IS NOT NULL AND r.owner_hash <> p_owner AND NOT p_lww THEN
    status := 'taken';
    RETURN;
  END IF;
  IF p_challenge <= r.last_challenge THEN
    status := 'stale';
    RETURN;
  END IF;
  UPDATE directory_entries AS x SET
    record = p_record, owner_hash = p_owner, sequence = r.sequence + 1, last_challenge = p_challenge, updated_ms = p_now_ms
  WHERE x.entry_id = p_entry;
  status := 'ok'; sequence := r.sequence + 1;
END
$$;

-- A transfer (p_record and p_owner: the new owner's) or a release (both NULL) the service verified
-- against the entry as it read it (owner p_expect_owner at sequence p_expect_seq); applied only if
-- the entry is still so. status: ok, not_found, not_owner, replayed (the entry moved on meanwhile),
-- stale (a transfer's challenge not newer than the entry's last write).
CREATE FUNCTION directory_replace(
  p_entry bytea, p_expect_owner bytea, p_expect_seq int8, p_record bytea, p_owner bytea, p_challenge int8, p_now_ms int8,
  OUT status text, OUT sequence int8)
LANGUAGE plpgsql
AS $$
DECLARE
  r directory_entries%ROWTYPE;
BEGIN
  SELECT * INTO r FROM directory_entries WHERE entry_id = p_entry FOR UPDATE;
  IF NOT FOUND OR r.owner_hash IS NULL THEN
    status := 'not_found';
    RETURN;
  END IF;
  IF r.owner_hash <> p_expect_owner THEN
    status := 'not_owner';
    RETURN;
  END IF;
  IF r.sequence <> p_expect_seq THEN
    status := 'replayed';
    RETURN;
  END IF;
  IF p_challenge IS NOT NULL AND p_challenge <= r.last_challenge THEN
    status := 'stale';
    RETURN;
  END IF;
  UPDATE directory_entries AS x SET
    record = p_record, owner_hash = p_owner, sequence = r.sequence + 1,
    last_challenge = coalesce(p_challenge, r.last_challenge), updated_ms = p_now_ms
  WHERE x.entry_id = p_entry;
  status := 'ok'; sequence := r.sequence + 1;
END
$$;
