-- Enqueue, drain and ack as one function call each: one round trip and one statement, which
-- outside an explicit transaction is its own transaction (committed, WAL flushed, before the
-- reply). Statements inside PL/pgSQL keep their plans per connection, and generic plans are
-- forced, so the partition-wide drain and ack are planned once per connection instead of on
-- every call (planning them touched every partition: milliseconds each). Partitions the
-- arguments rule out are pruned when the plan runs. A cached plan is kept until ANALYZE or DDL
-- invalidates it, and one made while a table looked empty (a fresh queue, fresh partitions
-- without statistics) could scan whole tables for as long: every access is pinned to index
-- probes and ordered index scans (enable_seqscan off, and whatever else would read a whole
-- table or partition). JIT is off: a generic plan over every partition is estimated expensive
-- once the partitions hold packets, and JIT then compiled it on every call (~270 functions,
-- 150-1000 ms per drain here) for a query that runs in a millisecond.
-- Ids travel as packed bytea (16 bytes apiece), see docs/queue.md.

-- The 16-byte id at 1-based position i of a packed parameter.
CREATE FUNCTION queue_id_at(ids bytea, i int4) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT substring(ids FROM i * 16 - 15 FOR 16)';

-- Stores a batch in ONE transaction: packet i (1-based) has mailbox queue_id_at(mailboxes, i),
-- packet id queue_id_at(packet_ids, i), expiry expires_ms[i] (epoch ms; its UTC day picks the
-- partition) and bytes substring(data FROM offsets[i] FOR lengths[i]). Keys must be distinct
-- within the batch. Answers the 1-based indexes of the packets NOT stored: already stored
-- (duplicate_at) or refused because their mailbox holds `cap` packets (full_at); nearly always
-- two empty arrays, which cost the client nothing to parse.
CREATE FUNCTION queue_store(
  cap int4, mailboxes bytea, packet_ids bytea, expires_ms int8[], data bytea, offsets int4[], lengths int4[],
  OUT duplicate_at int4[], OUT full_at int4[])
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET jit = off
SET enable_seqscan = off
AS $$
DECLARE
  over_cap int4[];
BEGIN
  -- Held to COMMIT: enqueue transactions of every replica run one at a time, so a packet's seq is
  -- visible only after every smaller seq is (drain cursors never skip), and the counts read
  -- below cannot be raised underneath us. Taken by its own statement so that the next one reads
  -- with a snapshot taken after it. Keys: LOCK_NAMESPACE ("taci") and LOCK_ENQUEUE of sql-repository.ts.
  PERFORM pg_advisory_xact_lock(1952539497, 2);

  -- Round 1: each mailbox's packets in batch order while its count leaves room. A packet
  -- already stored inserts nothing (ON CONFLICT) and takes no room; counts are upserted in
  -- mailbox order, the order every transaction locks them in.
  WITH u AS (
    SELECT i::int4 AS i, (e / 86400000)::int4 AS d, queue_id_at(mailboxes, i::int4) AS m, queue_id_at(packet_ids, i::int4) AS p,
           e, o, l
    FROM unnest(expires_ms, offsets, lengths) WITH ORDINALITY AS t(e, o, l, i)
  ), r AS (
    SELECT u.*, row_number() OVER (PARTITION BY u.m ORDER BY u.i) <= cap - coalesce(x.stored, 0) AS fits
    FROM u LEFT JOIN queue_mailboxes x ON x.mailbox_id = u.m
  ), ins AS (
    INSERT INTO queue_packets (expiry_day, mailbox_id, packet_id, expires_at, packet)
    SELECT d, m, p, to_timestamp(e::float8 / 1000), substring(data FROM o FOR l) FROM r WHERE fits ORDER BY i
    ON CONFLICT DO NOTHING
    RETURNING mailbox_id, packet_id
  ), counted AS (
    INSERT INTO queue_mailboxes AS x (mailbox_id, stored)
    SELECT mailbox_id, count(*)::int4 FROM ins GROUP BY mailbox_id ORDER BY mailbox_id
    ON CONFLICT (mailbox_id) DO UPDATE SET stored = x.stored + EXCLUDED.stored
  )
  SELECT coalesce(array_agg(r.i) FILTER (WHERE r.fits AND ins.m IS NULL), '{}'),
         array_agg(r.i) FILTER (WHERE NOT r.fits)
  INTO duplicate_at, over_cap
  FROM r LEFT JOIN (SELECT mailbox_id AS m, packet_id AS p FROM ins) ins ON ins.m = r.m AND ins.p = r.p;

  full_at := '{}';
  IF over_cap IS NULL THEN
    RETURN;
  END IF;
  -- Round 2, rare (a mailbox at its cap): a retry of a stored packet, in any expiry day, is
  -- still a duplicate, never mailbox_full; room freed by duplicates of round 1 is handed out
  -- in batch order.
  WITH u AS (
    SELECT i, (expires_ms[i] / 86400000)::int4 AS d, queue_id_at(mailboxes, i) AS m, queue_id_at(packet_ids, i) AS p,
           expires_ms[i] AS e, offsets[i] AS o, lengths[i] AS l
    FROM unnest(over_cap) AS i
  ), e AS (
    SELECT u.*, EXISTS (SELECT 1 FROM queue_packets q WHERE q.mailbox_id = u.m AND q.packet_id = u.p) AS dup FROM u
  ), r AS (
    SELECT e.*, NOT e.dup AND row_number() OVER (PARTITION BY e.m, e.dup ORDER BY e.i) <= cap - coalesce(x.stored, 0) AS fits
    FROM e LEFT JOIN queue_mailboxes x ON x.mailbox_id = e.m
  ), ins AS (
    INSERT INTO queue_packets (expiry_day, mailbox_id, packet_id, expires_at, packet)
    SELECT d, m, p, to_timestamp(e::float8 / 1000), substring(data FROM o FOR l) FROM r WHERE fits ORDER BY i
    ON CONFLICT DO NOTHING
    RETURNING mailbox_id, packet_id
  ), counted AS (
    INSERT INTO queue_mailboxes AS x (mailbox_id, stored)
    SELECT mailbox_id, count(*)::int4 FROM ins GROUP BY mailbox_id ORDER BY mailbox_id
    ON CONFLICT (mailbox_id) DO UPDATE SET stored = x.stored + EXCLUDED.stored
  )
  SELECT duplicate_at || coalesce(array_agg(r.i) FILTER (WHERE r.dup), '{}'),
         coalesce(array_agg(r.i) FILTER (WHERE NOT r.dup AND ins.m IS NULL), '{}')
  INTO duplicate_at, full_at
  FROM r LEFT JOIN (SELECT mailbox_id AS m, packet_id AS p FROM ins) ins ON ins.m = r.m AND ins.p = r.p;
END
$$;

-- Up to `lim` unexpired packets of the mailboxes with seq > after_seq, in seq order, as ONE bytea:
-- per packet seq (int8), expiry day (int4), mailbox id (16 bytes), packet id (16 bytes), packet
-- length (int4), packet; big-endian. NULL when there is none. One value instead of a row per
-- packet: the client parses a single field, and nothing is hex-encoded in binary mode.
CREATE FUNCTION queue_drain(mailboxes bytea, after_seq int8, lim int4, now_ms int8, today int4) RETURNS bytea
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
SET jit = off
SET enable_seqscan = off
SET enable_bitmapscan = off
AS $$
DECLARE
  page bytea;
BEGIN
  -- Most drains (every reconnect, every hour's fresh mailbox) find nothing: the counter table
  -- says which mailboxes hold packets at all. Per holding mailbox, the (mailbox_id, seq) index
  -- yields rows in seq order merged across partitions, so each scan stops after `lim` rows.
  SELECT string_agg(int8send(p.seq) || int4send(p.expiry_day) || p.mailbox_id || p.packet_id
                    || int4send(length(p.packet)) || p.packet, ''::bytea ORDER BY p.seq)
  INTO page
  FROM (
    SELECT q.seq, q.expiry_day, q.mailbox_id, q.packet_id, q.packet
    FROM generate_series(1, length(mailboxes) / 16) AS i
    JOIN queue_mailboxes x ON x.mailbox_id = queue_id_at(mailboxes, i) AND x.stored > 0
    CROSS JOIN LATERAL (
      SELECT seq, expiry_day, mailbox_id, packet_id, packet FROM queue_packets
      WHERE mailbox_id = x.mailbox_id AND seq > after_seq
        AND expiry_day >= today AND expires_at > to_timestamp(now_ms::float8 / 1000)
      ORDER BY seq LIMIT lim
    ) q
    ORDER BY q.seq LIMIT lim
  ) p;
  RETURN page;
END
$$;

-- Deletes acked packets and lowers the counts; answers how many existed. Ref i is the 36 bytes
-- at 36 * (i - 1) of `refs`: mailbox id (16), packet id (16) and the expiry day its drain
-- reported (int4, big-endian), 0 when unknown: the layout of AckRequest.packed_refs. A ref is
-- looked up in its day's partition only (one probe of its primary key: the other partitions are
-- pruned as the plan runs); one not found there (no day, a wrong day, or already deleted) is
-- looked up in every partition, as refs without days always were. Every lookup is an equality on
-- the whole primary key, the one plan that stays right whatever the statistics say when it is
-- made (grouping a mailbox's refs into packet_id = ANY halves the cost of a delete, but a plan
-- made while a partition was empty scanned the whole mailbox per group instead). Counts are
-- lowered in mailbox order, the order enqueues raise them in, so the two do not deadlock (should
-- a plan ever differ, the deadlock is detected and the caller retries).
CREATE FUNCTION queue_ack(refs bytea) RETURNS int4
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET jit = off
SET enable_seqscan = off
SET enable_mergejoin = off
AS $$
DECLARE
  deleted int4;
  more int4;
  missed int4[];
  emptied bytea[];
  emptied_more bytea[];
BEGIN
  WITH r AS (
    SELECT i, substring(refs FROM o + 1 FOR 16) AS m, substring(refs FROM o + 17 FOR 16) AS p,
           (get_byte(refs, o + 32) << 24) | (get_byte(refs, o + 33) << 16) | (get_byte(refs, o + 34) << 8) | get_byte(refs, o + 35) AS d
    FROM generate_series(1, length(refs) / 36) AS i, LATERAL (SELECT (i - 1) * 36 AS o) AS at
  ), del AS (
    DELETE FROM queue_packets q USING r
    WHERE q.expiry_day = r.d AND q.mailbox_id = r.m AND q.packet_id = r.p
    RETURNING r.i, q.mailbox_id AS m
  ), c AS (
    UPDATE queue_mailboxes x SET stored = x.stored - c.n
    FROM (SELECT m, count(*)::int4 AS n FROM del GROUP BY m ORDER BY m) c
    WHERE x.mailbox_id = c.m
    RETURNING x.mailbox_id, x.stored
  )
  SELECT (SELECT count(*)::int4 FROM del),
         (SELECT array_agg(r.i) FROM r WHERE NOT EXISTS (SELECT 1 FROM del WHERE del.i = r.i)),
         (SELECT array_agg(c.mailbox_id) FROM c WHERE c.stored <= 0)
  INTO deleted, missed, emptied;

  IF missed IS NOT NULL THEN
    -- The refs not found in their day, wherever they are.
    WITH r AS (
      SELECT substring(refs FROM (i - 1) * 36 + 1 FOR 16) AS m, substring(refs FROM (i - 1) * 36 + 17 FOR 16) AS p
      FROM unnest(missed) AS i
    ), del AS (
      DELETE FROM queue_packets q USING r
      WHERE q.mailbox_id = r.m AND q.packet_id = r.p
      RETURNING q.mailbox_id AS m
    ), c AS (
      UPDATE queue_mailboxes x SET stored = x.stored - c.n
      FROM (SELECT m, count(*)::int4 AS n FROM del GROUP BY m ORDER BY m) c
      WHERE x.mailbox_id = c.m
      RETURNING x.mailbox_id, x.stored
    )
    SELECT (SELECT count(*)::int4 FROM del), (SELECT array_agg(c.mailbox_id) FROM c WHERE c.stored <= 0)
    INTO more, emptied_more;
    deleted := deleted + more;
    emptied := emptied || emptied_more;
  END IF;

  -- Mailbox ids rotate hourly: an emptied counter row would otherwise stay forever.
  IF emptied IS NOT NULL THEN
    DELETE FROM queue_mailboxes WHERE mailbox_id = ANY (emptied) AND stored <= 0;
  END IF;
  RETURN deleted;
END
$$;
