-- Public prekey bundles, one per prekey address (docs/protocol.md §13.2: a hash of the app's
-- namespace and the identity key, so the relay learns neither). Nothing here is secret but the
-- service's own MAC key; rows hold what every fetcher may see anyway.

-- The MAC key of challenges: one row, made by the first replica that starts, read by every one.
CREATE TABLE prekey_secret (
  id     int2  PRIMARY KEY CHECK (id = 1),
  secret bytea NOT NULL
);

-- One row per identity: its signed prekey and last-resort post-quantum prekey (replaced by
-- uploads), counts of the one-time keys it holds (exact: kept by upload and fetch, so the cap
-- check is one row read), the replay guard and the expiry clock.
CREATE TABLE prekey_identities (
  address           bytea PRIMARY KEY,
  identity_key      bytea NOT NULL,
  registration_id   int8  NOT NULL,
  spk_id            int8,
  spk_key           bytea,
  spk_sig           bytea,
  lr_id             int8,
  lr_key            bytea,
  lr_sig            bytea,
  pre_keys          int4  NOT NULL DEFAULT 0,
  kyber_pre_keys    int4  NOT NULL DEFAULT 0,
  -- The stamp inside the challenge of the last upload (service time in ms × 1000, plus a count within
  -- the ms: unique per replica): the next upload must bring a newer one, so an upload replayed (by
  -- whoever saw it) is refused.
  last_challenge    int8  NOT NULL,
  -- When the owner last uploaded (a status check counts): rows untouched for PREKEY_BUNDLE_TTL_DAYS go.
  touched_ms        int8  NOT NULL,
  -- One-time keys handed out in hour budget_hour (ms / 3 600 000): at most PREKEY_ONE_TIME_PER_HOUR,
  -- then fetches get the last-resort key, so harvesters cannot drain the pool faster than that.
  budget_hour       int8  NOT NULL DEFAULT 0,
  budget_used       int4  NOT NULL DEFAULT 0
);
CREATE INDEX prekey_identities_touched ON prekey_identities (touched_ms);

CREATE TABLE prekey_one_time (
  address    bytea NOT NULL REFERENCES prekey_identities (address) ON DELETE CASCADE,
  key_id     int8  NOT NULL,
  public_key bytea NOT NULL,
  PRIMARY KEY (address, key_id)
);

CREATE TABLE prekey_kyber_one_time (
  address    bytea NOT NULL REFERENCES prekey_identities (address) ON DELETE CASCADE,
  key_id     int8  NOT NULL,
  public_key bytea NOT NULL,
  signature  bytea NOT NULL,
  PRIMARY KEY (address, key_id)
);

-- An upload, verified by the service (proof, signatures, challenge MAC and age) before it gets
-- here: under the identity's row lock, the replay guard, completeness and the caps, then the
-- writes, all or nothing. One-time keys come packed: key i (1-based) of opk_keys is the 33 bytes
-- at (i - 1) * 33, of kpk_keys the 1569 bytes at (i - 1) * 1569, its signature the 64 bytes of
-- kpk_sigs at (i - 1) * 64. status: ok, stale, incomplete, too_many_pre_keys,
-- too_many_kyber_pre_keys, identity_mismatch (an address taken by another key: cannot happen
-- unless BLAKE3 collides, checked all the same).
CREATE FUNCTION prekey_upload(
  p_address bytea, p_identity_key bytea, p_registration_id int8, p_challenge int8, p_now_ms int8,
  p_spk_id int8, p_spk_key bytea, p_spk_sig bytea,
  p_lr_id int8, p_lr_key bytea, p_lr_sig bytea,
  p_opk_ids int8[], p_opk_keys bytea,
  p_kpk_ids int8[], p_kpk_keys bytea, p_kpk_sigs bytea,
  p_max_pre_keys int4, p_max_kyber_pre_keys int4,
  OUT status text, OUT pre_keys int4, OUT kyber_pre_keys int4, OUT has_spk bool, OUT has_lr bool)
LANGUAGE plpgsql
AS $$
DECLARE
  r prekey_identities%ROWTYPE;
  keys_added boolean := cardinality(p_opk_ids) > 0 OR cardinality(p_kpk_ids) > 0;
  new_opk int4;
  new_kpk int4;
  added int4;
BEGIN
  SELECT * INTO r FROM prekey_identities WHERE address = p_address FOR UPDATE;
  IF NOT FOUND THEN
    IF p_spk_key IS NULL AND p_lr_key IS NULL AND NOT keys_added THEN
      -- A status check of an identity with nothing on file (new, or expired): creates nothing.
      status := 'ok'; pre_keys := 0; kyber_pre_keys := 0; has_spk := false; has_lr := false;
      RETURN;
    END IF;
    IF keys_added AND (p_spk_key IS NULL OR p_lr_key IS NULL) THEN
      status := 'incomplete';
      RETURN;
    END IF;
    -- The caps, before anything is written (ids are distinct within an upload: the service checked).
    IF cardinality(p_opk_ids) > p_max_pre_keys THEN
      status := 'too_many_pre_keys'; pre_keys := 0;
      RETURN;
    END IF;
    IF cardinality(p_kpk_ids) > p_max_kyber_pre_keys THEN
      status := 'too_many_kyber_pre_keys'; kyber_pre_keys := 0;
      RETURN;
    END IF;
    INSERT INTO prekey_identities (address, identity_key, registration_id, last_challenge, touched_ms)
    VALUES (p_address, p_identity_key, p_registration_id, -1, p_now_ms)
    ON CONFLICT (address) DO NOTHING;
    -- Inserted, or made meanwhile by a concurrent first upload: either way it is locked here now
    -- (a new statement, so a new snapshot that sees the other transaction's row).
    SELECT * INTO r FROM prekey_identities WHERE address = p_address FOR UPDATE;
  END IF;
  IF r.identity_key <> p_identity_key THEN
    status := 'identity_mismatch';
    RETURN;
  END IF;
  IF p_challenge <= r.last_challenge THEN
    status := 'stale';
    RETURN;
  END IF;
  IF keys_added AND (coalesce(p_spk_key, r.spk_key) IS NULL OR coalesce(p_lr_key, r.lr_key) IS NULL) THEN
    status := 'incomplete';
    RETURN;
  END IF;
  SELECT count(*) INTO new_opk FROM unnest(p_opk_ids) AS i(id)
  WHERE NOT EXISTS (SELECT 1 FROM prekey_one_time o WHERE o.address = p_address AND o.key_id = i.id);
  IF r.pre_keys + new_opk > p_max_pre_keys THEN
    status := 'too_many_pre_keys'; pre_keys := r.pre_keys;
    RETURN;
  END IF;
  SELECT count(*) INTO new_kpk FROM unnest(p_kpk_ids) AS i(id)
  WHERE NOT EXISTS (SELECT 1 FROM prekey_kyber_one_time o WHERE o.address = p_address AND o.key_id = i.id);
  IF r.kyber_pre_keys + new_kpk > p_max_kyber_pre_keys THEN
    status := 'too_many_kyber_pre_keys'; kyber_pre_keys := r.kyber_pre_keys;
    RETURN;
  END IF;

  -- A key id already held keeps its key: an upload retried after a lost reply adds nothing twice.
  INSERT INTO prekey_one_time (address, key_id, public_key)
  SELECT p_address, id, substring(p_opk_keys FROM (n::int4 - 1) * 33 + 1 FOR 33)
  FROM unnest(p_opk_ids) WITH ORDINALITY AS t(id, n)
  ON CONFLICT DO NOTHING;
  INSERT INTO prekey_kyber_one_time (address, key_id, public_key, signature)
  SELECT p_address, id, substring(p_kpk_keys FROM (n::int4 - 1) * 1569 + 1 FOR 1569), substring(p_kpk_sigs FROM (n::int4 - 1) * 64 + 1 FOR 64)
  FROM unnest(p_kpk_ids) WITH ORDINALITY AS t(id, n)
  ON CONFLICT DO NOTHING;
  UPDATE prekey_identities AS x SET
    registration_id = p_registration_id,
    spk_id = CASE WHEN p_spk_key IS NULL THEN x.spk_id ELSE p_spk_id END,
    spk_key = coalesce(p_spk_key, x.spk_key),
    spk_sig = CASE WHEN p_spk_key IS NULL THEN x.spk_sig ELSE p_spk_sig END,
    lr_id = CASE WHEN p_lr_key IS NULL THEN x.lr_id ELSE p_lr_id END,
    lr_key = coalesce(p_lr_key, x.lr_key),
    lr_sig = CASE WHEN p_lr_key IS NULL THEN x.lr_sig ELSE p_lr_sig END,
    pre_keys = x.pre_keys + new_opk,
    kyber_pre_keys = x.kyber_pre_keys + new_kpk,
    last_challenge = p_challenge,
    touched_ms = p_now_ms
  WHERE x.address = p_address
  RETURNING x.pre_keys, x.kyber_pre_keys, x.spk_key IS NOT NULL, x.lr_key IS NOT NULL
  INTO pre_keys, kyber_pre_keys, has_spk, has_lr;
  status := 'ok';
END
$$;

-- A fetch: the bundle at the address with one one-time key of each kind handed out (deleted) at
-- most once, or the last-resort key when none is left or the identity's hourly budget is spent.
-- The identity's row is locked first, so fetches of one identity run one after another and each
-- statement after the lock reads with a snapshot that sees the previous fetch's deletes; SKIP
-- LOCKED keeps a key another transaction holds from being waited for (it is not ours to take).
-- ok is false when there is no complete bundle at the address.
CREATE FUNCTION prekey_fetch(
  p_address bytea, p_now_ms int8, p_budget int4,
  OUT ok bool, OUT identity_key bytea, OUT registration_id int8,
  OUT spk_id int8, OUT spk_key bytea, OUT spk_sig bytea,
  OUT kyber_id int8, OUT kyber_key bytea, OUT kyber_sig bytea, OUT last_resort bool,
  OUT opk_id int8, OUT opk_key bytea)
LANGUAGE plpgsql
AS $$
DECLARE
  r prekey_identities%ROWTYPE;
  cur_hour int8 := p_now_ms / 3600000;
  used int4;
  k_id int8;
  k_key bytea;
  k_sig bytea;
BEGIN
  -- First without a lock: when there is nothing to hand out (both pools empty, or this hour's
  -- budget spent) the last-resort bundle is answered by a read alone, no lock, no write, no commit
  -- to flush, so a harvester past the budget costs a read. Counts read here may be stale; a fetch
  -- that finds keys just uploaded a moment late still gets the last-resort key, which is harmless.
  SELECT * INTO r FROM prekey_identities WHERE address = p_address;
  IF NOT FOUND OR r.spk_key IS NULL OR r.lr_key IS NULL THEN
    ok := false;
    RETURN;
  END IF;
  IF (r.pre_keys > 0 OR r.kyber_pre_keys > 0) AND NOT (r.budget_hour = cur_hour AND r.budget_used >= p_budget) THEN
    SELECT * INTO r FROM prekey_identities WHERE address = p_address FOR UPDATE;
    IF NOT FOUND OR r.spk_key IS NULL OR r.lr_key IS NULL THEN
      ok := false;
      RETURN;
    END IF;
  ELSE
    ok := true;
    identity_key := r.identity_key; registration_id := r.registration_id;
    spk_id := r.spk_id; spk_key := r.spk_key; spk_sig := r.spk_sig;
    kyber_id := r.lr_id; kyber_key := r.lr_key; kyber_sig := r.lr_sig; last_resort := true;
    RETURN;
  END IF;
  ok := true;
  identity_key := r.identity_key; registration_id := r.registration_id;
  spk_id := r.spk_id; spk_key := r.spk_key; spk_sig := r.spk_sig;
  kyber_id := r.lr_id; kyber_key := r.lr_key; kyber_sig := r.lr_sig; last_resort := true;
  used := CASE WHEN r.budget_hour = cur_hour THEN r.budget_used ELSE 0 END;
  IF used < p_budget THEN
    DELETE FROM prekey_one_time o WHERE o.address = p_address AND o.key_id = (
      SELECT key_id FROM prekey_one_time WHERE address = p_address ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING o.key_id, o.public_key INTO opk_id, opk_key;
    DELETE FROM prekey_kyber_one_time o WHERE o.address = p_address AND o.key_id = (
      SELECT key_id FROM prekey_kyber_one_time WHERE address = p_address ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING o.key_id, o.public_key, o.signature INTO k_id, k_key, k_sig;
    IF k_id IS NOT NULL THEN
      kyber_id := k_id; kyber_key := k_key; kyber_sig := k_sig; last_resort := false;
    END IF;
    IF opk_id IS NOT NULL OR NOT last_resort THEN
      used := used + 1;
    END IF;
  END IF;
  IF opk_id IS NOT NULL OR NOT last_resort THEN
    UPDATE prekey_identities AS x SET
      pre_keys = x.pre_keys - (opk_id IS NOT NULL)::int4,
      kyber_pre_keys = x.kyber_pre_keys - (NOT last_resort)::int4,
      budget_hour = cur_hour,
      budget_used = used
    WHERE x.address = p_address;
  END IF;
END
$$;
