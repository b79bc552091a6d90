-- The mailbox cap counts live packets and tells a sender no exact count (issue 12).
--
-- 1. Expired packets stop counting. queue_mailboxes.stored counts rows until an ack deletes them
--    or their expiry day's partition is dropped, so short-lived junk kept a mailbox full for up to
--    a day after it expired. Now, when a batch would bring a mailbox near its cap, that mailbox's
--    expired packets are deleted first (and subtracted), at most once a minute per mailbox
--    (purged_at): the purge reads up to `cap` index entries, work a sender filling a mailbox could
--    otherwise make the database repeat on every SEND.
-- 2. The cap is drawn for each attempt from (cap - band, cap]: a mailbox refuses a packet with
--    MAILBOX_FULL once it holds more than a random threshold in that band, so a contact who fills
--    a mailbox to MAILBOX_FULL learns only that between cap - band and cap packets wait (band =
--    cap / 8 by default), and filling it again later does not give the exact number the owner took
--    away in between. It never holds more than `cap`.
--
-- queue_store (0003) stays, unchanged, for queues of an older release during a rolling upgrade.

ALTER TABLE queue_mailboxes ADD COLUMN purged_at timestamptz;

CREATE FUNCTION queue_store_live(
  cap int4, band int4, now_ms int8,
  mailboxes bytea, packet_ids bytea, expires_ms int8[], data bytea, offsets int4[], lengths int4[],
  OUT duplicate_at int4[], OUT full_at int4[])
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET jit = off
SET enable_seqscan = off
AS $$
DECLARE
  top int4;
  now_at timestamptz := to_timestamp(now_ms::float8 / 1000);
BEGIN
  -- The lock of queue_store_checked (which takes it again, harmlessly): see 0002.
  PERFORM pg_advisory_xact_lock(1952539497, 2);
  -- The fast path of 0003, unless a mailbox would come within the band of its cap.
  BEGIN
    WITH c AS (
      INSERT INTO queue_mailboxes AS x (mailbox_id, stored)
      SELECT queue_id_at(mailboxes, i), count(*)::int4
      FROM generate_series(1, length(mailboxes) / 16) AS i
      GROUP BY 1 ORDER BY 1
      ON CONFLICT (mailbox_id) DO UPDATE SET stored = x.stored + EXCLUDED.stored
      RETURNING x.stored
    )
    SELECT max(stored) INTO top FROM c;
    IF top > cap - band THEN
      RAISE EXCEPTION 'a mailbox would come near its cap' USING ERRCODE = 'TQ001';
    END IF;
    INSERT INTO queue_packets (expiry_day, mailbox_id, packet_id, expires_at, packet)
    SELECT (e / 86400000)::int4, queue_id_at(mailboxes, i::int4), queue_id_at(packet_ids, i::int4),
           to_timestamp(e::float8 / 1000), substring(data FROM o FOR l)
    FROM unnest(expires_ms, offsets, lengths) WITH ORDINALITY AS t(e, o, l, i)
    ORDER BY i;
    duplicate_at := '{}';
    full_at := '{}';
    RETURN;
  EXCEPTION WHEN unique_violation OR SQLSTATE 'TQ001' THEN
    NULL;
  END;

  -- The expired packets of the mailboxes near their cap, not purged in the last minute, go first.
  -- Counter rows are locked in mailbox order, as every writer locks them.
  WITH k AS (
    SELECT queue_id_at(mailboxes, i) AS m, count(*)::int4 AS n
    FROM generate_series(1, length(mailboxes) / 16) AS i GROUP BY 1
  ), near AS (
    SELECT x.mailbox_id FROM queue_mailboxes x JOIN k ON k.m = x.mailbox_id
    WHERE x.stored + k.n > cap - band AND (x.purged_at IS NULL OR x.purged_at < now_at - interval '1 minute')
    ORDER BY x.mailbox_id
    FOR UPDATE OF x
  ), gone AS (
    DELETE FROM queue_packets q USING near
    WHERE q.mailbox_id = near.mailbox_id AND q.expires_at <= now_at
    RETURNING q.mailbox_id
  ), n AS (
    SELECT mailbox_id, count(*)::int4 AS c FROM gone GROUP BY 1
  )
  UPDATE queue_mailboxes x SET stored = x.stored - coalesce(n.c, 0), purged_at = now_at
  FROM near LEFT JOIN n ON n.mailbox_id = near.mailbox_id
  WHERE x.mailbox_id = near.mailbox_id;

  -- Then the checked store of 0002 against this attempt's cap.
  SELECT s.duplicate_at, s.full_at INTO duplicate_at, full_at
  FROM queue_store_checked(cap - floor(random() * band)::int4, mailboxes, packet_ids, expires_ms, data, offsets, lengths) AS s;
END
$$;
