-- Acks that carry each packet's seq (AckRequest.packed_seqs). A drain page's packets of one
-- mailbox are neighbours in the (mailbox_id, seq) index, so the refs of one mailbox and expiry day
-- are deleted by ONE ordered range scan of that index — from the smallest to the largest acked
-- seq, keeping only the named packet ids (hash-joined) — instead of one primary-key probe per
-- packet, each a descent of the index comparing byteas with the partitions pruned again for every
-- ref. PostgreSQL CPU per acked packet ~12 -> ~5 us (pages of 512, see docs/benchmarks.md).
--
-- The seq is a hint, never trusted: a row is deleted only if its mailbox, day AND packet id are
-- the ones named (the primary key), so a wrong seq can only make the range miss. The grouping is
-- done by the caller (sql-repository.ts), where it is cheap, in mailbox order (the order every
-- writer takes the counts in). Group g (1-based) is mailbox queue_id_at(mailboxes, g), expiry day
-- days[g], seqs first_seqs[g]..last_seqs[g], and the next sizes[g] packet ids of `packet_ids`
-- (16 bytes each). A group whose range deleted fewer packets than it named (a wrong seq or day, a
-- packet already gone) has all its refs looked up again by queue_ack(bytea) of 0002, which finds
-- them wherever they are; so do `rest`, refs without a seq in the layout of that function.
-- Nested loops are off, so the packet ids are matched by a hash join against the range: the
-- planner cannot turn the range into one primary-key probe per id again, and a range reads no
-- more rows than the drain returned between those two seqs.
-- Answers how many packets existed and were deleted.

CREATE FUNCTION queue_ack_ranges(
  mailboxes bytea, days int4[], first_seqs int8[], last_seqs int8[], sizes int4[], packet_ids bytea, rest bytea)
RETURNS int4
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET jit = off
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_nestloop = off
SET enable_mergejoin = off
AS $$
DECLARE
  groups int4 := coalesce(array_length(days, 1), 0);
  m bytea;
  at int4 := 0;
  n int4;
  deleted int4 := 0;
  missed bytea := ''::bytea;
BEGIN
  IF length(mailboxes) <> groups * 16 OR coalesce(array_length(first_seqs, 1), 0) <> groups
     OR coalesce(array_length(last_seqs, 1), 0) <> groups OR coalesce(array_length(sizes, 1), 0) <> groups THEN
    RAISE EXCEPTION 'queue_ack_ranges: % groups but % mailboxes, % first seqs, % last seqs, % sizes',
      groups, length(mailboxes) / 16, array_length(first_seqs, 1), array_length(last_seqs, 1), array_length(sizes, 1)
      USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(sizes) AS s WHERE s IS NULL OR s < 1) THEN
    RAISE EXCEPTION 'queue_ack_ranges: every size must be at least 1' USING ERRCODE = '22023';
  END IF;
  IF length(packet_ids) <> 16 * coalesce((SELECT sum(s) FROM unnest(sizes) AS s), 0) THEN
    RAISE EXCEPTION 'queue_ack_ranges: sizes add up to % packet ids, got % bytes',
      (SELECT sum(s) FROM unnest(sizes) AS s), length(packet_ids) USING ERRCODE = '22023';
  END IF;
  FOR g IN 1 .. groups LOOP
    m := queue_id_at(mailboxes, g);
    DELETE FROM queue_packets q
    USING (SELECT substring(packet_ids FROM k * 16 + 1 FOR 16) AS p FROM generate_series(at, at + sizes[g] - 1) AS k) AS a
    WHERE q.expiry_day = days[g] AND q.mailbox_id = m AND q.seq >= first_seqs[g] AND q.seq <= last_seqs[g]
      AND q.packet_id = a.p;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
      UPDATE queue_mailboxes SET stored = stored - n WHERE mailbox_id = m;
      -- Mailbox ids rotate hourly: an emptied counter row would otherwise stay forever.
      DELETE FROM queue_mailboxes WHERE mailbox_id = m AND stored <= 0;
      deleted := deleted + n;
    END IF;
    IF n < sizes[g] THEN
      -- Day 0: looked up in every partition.
      missed := missed || (
        SELECT string_agg(m || substring(packet_ids FROM k * 16 + 1 FOR 16) || '\x00000000'::bytea, ''::bytea)
        FROM generate_series(at, at + sizes[g] - 1) AS k);
    END IF;
    at := at + sizes[g];
  END LOOP;
  IF length(missed) + length(rest) > 0 THEN
    deleted := deleted + queue_ack(missed || rest);
  END IF;
  RETURN deleted;
END
$$;
