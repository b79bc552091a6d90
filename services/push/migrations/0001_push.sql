-- Push registrations and their wake state (docs/push.md). Mailbox ids, peer keys and targets are
-- stored only as HMAC-SHA-256 under the service's secret, so the tables hold no id a gateway, a
-- packet or a claim shows; the target itself (token or subscription) is kept, as a wake needs it.

-- The HMAC key when PUSH_SECRET is unset (the node): one row, made by the first start.
CREATE TABLE push_secret (
  id     int2  PRIMARY KEY CHECK (id = 1),
  secret bytea NOT NULL
);

-- Replay guard per peer key: the issued_at of its last accepted request. Rows older than twice the
-- clock window are swept (a request that old is refused by the clock check anyway).
CREATE TABLE push_keys (
  key_hash        bytea PRIMARY KEY,
  last_issued_ms  int8  NOT NULL,
  touched_ms      int8  NOT NULL
);
CREATE INDEX push_keys_touched ON push_keys (touched_ms);

-- One registration per peer key: its target and its wake state. A wake is pending while
-- queued_seq > sent_seq; next_try_ms is when the dispatcher takes it next (NULL: nothing scheduled;
-- while a wake is in flight it holds the lease's end, so a replica that dies mid-send leaves it to
-- be taken again).
CREATE TABLE push_registrations (
  id               int8     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key_hash         bytea    NOT NULL UNIQUE,
  target_hash      bytea    NOT NULL,
  provider         int2     NOT NULL,
  token            text     NOT NULL,
  endpoint         text     NOT NULL,
  p256dh           text     NOT NULL,
  auth             text     NOT NULL,
  expires_ms       int8     NOT NULL,
  queued_seq       int8     NOT NULL DEFAULT 0,
  sent_seq         int8     NOT NULL DEFAULT 0,
  pending_since_ms int8,
  next_try_ms      int8,
  tries            int4     NOT NULL DEFAULT 0,
  last_wake_ms     int8
);
CREATE INDEX push_registrations_target ON push_registrations (target_hash);
CREATE INDEX push_registrations_due ON push_registrations (provider, next_try_ms) WHERE next_try_ms IS NOT NULL;
CREATE INDEX push_registrations_expires ON push_registrations (expires_ms);

-- HMAC of a mailbox id -> the registration to wake, lapsing with it.
CREATE TABLE push_mailboxes (
  mailbox_hash    bytea PRIMARY KEY,
  registration_id int8  NOT NULL REFERENCES push_registrations (id) ON DELETE CASCADE,
  expires_ms      int8  NOT NULL
);
CREATE INDEX push_mailboxes_registration ON push_mailboxes (registration_id);
CREATE INDEX push_mailboxes_expires ON push_mailboxes (expires_ms);

-- A verified registration, in one transaction under the peer key's row lock: replay guard, caps,
-- then the peer key's earlier binding replaced (its wake state kept: a renewal loses no pending
-- wake). p_mailboxes is the 32-byte mailbox hashes concatenated.
CREATE FUNCTION push_register(
  p_key bytea, p_target bytea, p_provider int2, p_token text, p_endpoint text, p_p256dh text, p_auth text,
  p_issued int8, p_expires int8, p_mailboxes bytea, p_max_total int8, p_max_per_target int8, p_now int8)
RETURNS TABLE (status text, field text, mailboxes int4)
LANGUAGE plpgsql AS $$
DECLARE
  v_last int8;
  v_id   int8;
  v_n    int4;
BEGIN
  INSERT INTO push_keys (key_hash, last_issued_ms, touched_ms) VALUES (p_key, -1, p_now) ON CONFLICT (key_hash) DO NOTHING;
  SELECT k.last_issued_ms INTO v_last FROM push_keys k WHERE k.key_hash = p_key FOR UPDATE;
  IF p_issued <= v_last THEN
    RETURN QUERY SELECT 'stale'::text, 'issued_at_ms'::text, 0;
    RETURN;
  END IF;
  SELECT r.id INTO v_id FROM push_registrations r WHERE r.key_hash = p_key FOR UPDATE;
  IF v_id IS NULL AND (SELECT count(*) FROM (SELECT 1 FROM push_registrations LIMIT p_max_total) t) >= p_max_total THEN
    RETURN QUERY SELECT 'rate_limited'::text, 'peer_key'::text, 0;
    RETURN;
  END IF;
  IF (SELECT count(*) FROM (SELECT 1 FROM push_registrations r WHERE r.target_hash = p_target AND r.key_hash <> p_key LIMIT p_max_per_target) t) >= p_max_per_target THEN
    RETURN QUERY SELECT 'rate_limited'::text, 'target'::text, 0;
    RETURN;
  END IF;
  IF v_id IS NULL THEN
    INSERT INTO push_registrations (key_hash, target_hash, provider, token, endpoint, p256dh, auth, expires_ms)
    VALUES (p_key, p_target, p_provider, p_token, p_endpoint, p_p256dh, p_auth, p_expires)
    RETURNING id INTO v_id;
  ELSE
    UPDATE push_registrations
    SET target_hash = p_target, provider = p_provider, token = p_token, endpoint = p_endpoint, p256dh = p_p256dh, auth = p_auth,
        expires_ms = p_expires
    WHERE id = v_id;
    DELETE FROM push_mailboxes WHERE registration_id = v_id;
  END IF;
  INSERT INTO push_mailboxes (mailbox_hash, registration_id, expires_ms)
  SELECT DISTINCT substring(p_mailboxes FROM i * 32 + 1 FOR 32), v_id, p_expires
  FROM generate_series(0, length(p_mailboxes) / 32 - 1) AS i
  ON CONFLICT (mailbox_hash) DO UPDATE SET registration_id = EXCLUDED.registration_id, expires_ms = EXCLUDED.expires_ms;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  UPDATE push_keys SET last_issued_ms = p_issued, touched_ms = p_now WHERE key_hash = p_key;
  RETURN QUERY SELECT 'ok'::text, ''::text, v_n;
END;
$$;

-- A verified unregistration: replay guard, then the peer key's registration (and its mailboxes) gone.
CREATE FUNCTION push_unregister(p_key bytea, p_issued int8, p_now int8)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_last int8;
  v_n    int4;
BEGIN
  SELECT k.last_issued_ms INTO v_last FROM push_keys k WHERE k.key_hash = p_key FOR UPDATE;
  IF v_last IS NOT NULL AND p_issued <= v_last THEN
    RETURN 'stale';
  END IF;
  DELETE FROM push_registrations WHERE key_hash = p_key;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n = 0 THEN
    RETURN 'not_found';
  END IF;
  UPDATE push_keys SET last_issued_ms = p_issued, touched_ms = p_now WHERE key_hash = p_key;
  RETURN 'ok';
END;
$$;
