-- The primary key leads with the packet id: (packet_id, mailbox_id, expiry_day), was
-- (mailbox_id, packet_id, expiry_day). Same columns, same guarantee (dedup per expiry day), same
-- probes (every lookup by key names all three, or the packet and mailbox ids).
--
-- Why: queue_ack_ranges (0004) deletes a group of acked packets by one range of the
-- (mailbox_id, seq) index. Its plan is generic and made once per connection, when the queue warms
-- it at start, over empty partitions. On an empty table the old key, which also began with
-- mailbox_id, looked as cheap as the seq index and matched one more equality (the expiry day), so
-- the plan read the key with `mailbox_id = m` and filtered on seq: every live packet of the mailbox
-- for every group acked. With 12 500 packets waiting per mailbox that was ~50 us of PostgreSQL CPU
-- per acked packet and held a drain to ~35 000 packets/s; a key that cannot serve `mailbox_id = m`
-- leaves the plan one index to take (docs/benchmarks.md, "Drain at depth").
--
-- On a large table this rebuilds the key's index on every partition under an exclusive lock: run
-- it (`tacit migrate`, the chart's pre-upgrade Job) when a pause of enqueues and drains is fine.
ALTER TABLE queue_packets
  DROP CONSTRAINT queue_packets_pkey,
  ADD PRIMARY KEY (packet_id, mailbox_id, expiry_day);
