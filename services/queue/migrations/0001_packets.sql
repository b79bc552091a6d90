-- Store-and-forward packets, partitioned by the UTC day they expire so that expiry drops whole
-- partitions instead of deleting rows. Partitions are created ahead by the service (their names
-- depend on the clock), never here.

-- Global drain order. A sequence rather than an identity column: identity on partitioned
-- tables needs PostgreSQL 17, and the cluster may run older servers.
CREATE SEQUENCE queue_packet_seq AS bigint;

CREATE TABLE queue_packets (
  -- Days since 1970-01-01 (UTC) of expires_at: the partition key.
  expiry_day  integer     NOT NULL,
  seq         bigint      NOT NULL DEFAULT nextval('queue_packet_seq'),
  mailbox_id  bytea       NOT NULL,
  packet_id   bytea       NOT NULL,
  expires_at  timestamptz NOT NULL,
  packet      bytea       NOT NULL,
  -- A unique key on a partitioned table must include the partition key, so dedup holds within
  -- one expiry day (see docs/queue.md for the edge case across days).
  PRIMARY KEY (mailbox_id, packet_id, expiry_day)
) PARTITION BY RANGE (expiry_day);

-- Drain: one mailbox's packets in seq order, merged across partitions.
CREATE INDEX queue_packets_drain ON queue_packets (mailbox_id, seq);

-- Packets currently stored per mailbox, so the cap check is one index probe per mailbox instead
-- of a count over every partition. Kept exact by enqueue (+), ack (-) and expiry (-).
CREATE TABLE queue_mailboxes (
  mailbox_id bytea   PRIMARY KEY,
  stored     integer NOT NULL
);

-- Packet partitions that expiry has detached but not yet dropped: their rows still count in
-- queue_mailboxes until the drop transaction subtracts them. Survives a crash in between.
CREATE TABLE queue_detached (
  expiry_day integer PRIMARY KEY,
  table_name text    NOT NULL
);
