import { Inject, Injectable } from '@nestjs/common';
import { NoRespondersError, withTraceContext, type Bus, type BusSubscription, type Context, type Logger } from '@tacit/kit';
import { BUS, LOGGER, SETTINGS } from '@tacit/platform';
import { create, fromBinary, GATEWAY_SUBJECTS, gatewayV1, toBinary } from '@tacit/proto';
import { FRAME_PACKET_AT, PACKET_MAILBOX_ID_AT } from '@tacit/protocol';
import type { GatewayConfig } from './config.js';
import type { ClientConnection } from './connection.js';
import { keyAt } from './keys.js';
import { deliverFrames, encodeDeliverEvent, encodeReplicaBatch } from './mailbox-event.js';
import { CoalescedFlush } from './coalesced-flush.js';
import { GatewayMeters } from './metrics.js';
import { hexId, Presence } from './presence.js';
import { RouteTable } from './routes.js';
import { ReplicaIdentity } from './tokens.js';

const _REPLICA_ID = /^[0-9a-f]{16}$/;
/** Largest batch of packets for one mailbox in one request to another replica (count, bytes). */
const _REMOTE_BATCH = 64;
const _REMOTE_BATCH_BYTES = 256 * 1024;
/** Largest batch of packets for one replica (many mailboxes) in one request (count, bytes). */
const _REPLICA_BATCH = 512;
const _REPLICA_BATCH_BYTES = 512 * 1024;
/** In a DELIVER frame: where the mailbox id starts, and the shortest frame that holds both ids. */
const _FRAME_MAILBOX_AT = FRAME_PACKET_AT + PACKET_MAILBOX_ID_AT;
const _FRAME_MIN = _FRAME_MAILBOX_AT + 32;
/** A poke is tried this many times in all; retries wait {@link _REPOKE_MS} each. */
const _POKE_TRIES = 5;
const _REPOKE_MS = 1000;
/** Mailboxes waiting for a poke's retry, at most (past it a failed poke is not retried). */
const _REPOKE_MAX = 65_536;
/** A poke, encoded once: it carries nothing but its kind. */
const _POKE = toBinary(gatewayV1.MailboxEventSchema, create(gatewayV1.MailboxEventSchema, { event: { case: 'poke', value: {} } }));

/** The mailbox id of a packet (a view). */
export function mailboxIdOf(packet: Uint8Array): Uint8Array {
  return packet.subarray(PACKET_MAILBOX_ID_AT, PACKET_MAILBOX_ID_AT + 16);
}

/**
 * What became of a packet handed to another replica: its recipient acked it; could not take it
 * (busy: slow reader, ack timeout, going away); nobody serves its mailbox; or the request failed.
 */
export type RemoteOutcome = 'acked' | 'busy' | 'nobody' | 'failed';
/** Settles a packet sent by replica: 'moved' sends it again by mailbox. */
type _TicketOutcome = 'acked' | 'busy' | 'failed' | 'moved';

/** A packet handed (or about to be handed) to a replica by its id, until its status comes. */
export interface Ticket {
  /** Its mailbox's key. */
  key: string;
  /** The SEND frame after its type byte (the packet). */
  packet: Uint8Array;
  flight: _Flight | undefined;
  /** A send on the fast path: the connection to answer, and the packet's queue TTL if it must queue. */
  conn: ClientConnection | undefined;
  ttl: number;
  /** When its SEND arrived (performance.now()), for the answer's timing. */
  at: number;
  /** Otherwise: the waiter of {@link ReplicaLink.deliver}. */
  resolve: ((outcome: RemoteOutcome) => void) | undefined;
}

/** One ReplicaBatch in flight: its replica, the tickets still unsettled and the timer that fails them. */
interface _Flight {
  replica: string;
  left: number;
  timer: NodeJS.Timeout | undefined;
}

interface _MailboxBatch {
  key: string;
  mailboxId: Uint8Array;
  packets: Uint8Array[];
  waiters: Array<(outcome: RemoteOutcome) => void>;
  bytes: number;
  /** A sampled packet's trace: the request continues it. */
  trace: Context | undefined;
}

interface _ReplicaBatch {
  replica: string;
  tickets: Ticket[];
  bytes: number;
}

/** Statuses of packets from one sending replica, settled this turn. */
interface _StatusBatch {
  acked: number[];
  busy: number[];
}

/**
 * Live delivery between replicas. By mailbox (`tacit.mbx.<id>`: whoever claims it answers) until a
 * reply names the replica holding it; then by replica (`tacit.gw.<replica>`), packets for all its
 * mailboxes in one ReplicaBatch per turn, statuses streamed back on our `tacit.gws.<id>` as they
 * settle. Also the receiving side: ReplicaBatches offered to this replica's claimants.
 */
@Injectable()
export class ReplicaLink {
  /** Told when a fast-path ticket (one with `conn`) settles; the router sets it. */
  onTicketSettled: (t: Ticket, outcome: RemoteOutcome) => void = () => {};
  readonly routes = new RouteTable();
  private readonly statusSubject: string;
  /** Packets for mailboxes on other replicas, collected this turn, by mailbox. */
  private readonly outbox = new Map<string, _MailboxBatch>();
  /** Packets for mailboxes whose replica is known, collected this turn, by replica. */
  private readonly replicaOutbox = new Map<string, _ReplicaBatch>();
  /** Sends what this turn collected for other replicas ({@link turnEnd}). */
  private readonly turnEndFlush: CoalescedFlush;
  /** Packets handed to replicas by id, by ticket, until their status comes. */
  private readonly tickets = new Map<number, Ticket>();
  private nextTicket = 0;
  /** Statuses of packets other replicas handed us, settled this turn, by their status subject. */
  private readonly statusOut = new Map<string, _StatusBatch>();
  private readonly subs: BusSubscription[];
  private readonly offStatus: (() => void) | undefined;
  private closed = false;
  private readonly timeoutMs: number;

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(ReplicaIdentity) private readonly replica: ReplicaIdentity,
    @Inject(Presence) private readonly presence: Presence,
    @Inject(SETTINGS) config: GatewayConfig,
    @Inject(GatewayMeters) private readonly meters: GatewayMeters,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.timeoutMs = config.GATEWAY_LIVE_ACK_TIMEOUT_MS + 500;
    this.turnEndFlush = new CoalescedFlush(() => this.turnEnd(), config.GATEWAY_REPLICA_COALESCE_MS);
    this.statusSubject = GATEWAY_SUBJECTS.replicaStatus + replica.id;
    // Direct bus handlers, not @BusHandle: the subjects carry this replica's random id, and every
    // cross-replica packet passes here (Nest's per-message pipeline is for the services' APIs).
    this.subs = [
      bus.serve(GATEWAY_SUBJECTS.replica + replica.id, (data) => this.onReplicaBatch(data)),
      bus.subscribe(this.statusSubject, (data) => this.onReplicaStatuses(data)),
    ];
    this.offStatus = bus.onStatus?.((status) => {
      if (status === 'disconnected') this.connectionLost();
    });
  }

  /**
   * Hands a packet to the replica holding its mailbox: by the replica's id once known, else by the
   * mailbox's subject. A sampled packet (`trace`) goes by mailbox, in a request that carries its trace.
   */
  deliver(key: string, packet: Uint8Array, trace?: Context): Promise<RemoteOutcome> {
    const replica = this.routes.get(key);
    if (replica === undefined || trace) return this.byMailbox(key, mailboxIdOf(packet), packet, trace);
    return new Promise<RemoteOutcome>((resolve) => {
      this.byReplica(replica, { key, packet, flight: undefined, conn: undefined, ttl: 0, at: 0, resolve });
    });
  }

  /**
   * Packets for one mailbox in the same turn of the event loop travel as one request to its subject
   * (a burst from a sender costs one NATS round trip, not one each).
   */
  byMailbox(key: string, mailboxId: Uint8Array, packet: Uint8Array, trace?: Context): Promise<RemoteOutcome> {
    let batch = this.outbox.get(key);
    if (!batch) {
      batch = { key, mailboxId, packets: [], waiters: [], bytes: 0, trace: undefined };
      this.outbox.set(key, batch);
    }
    const b = batch;
    b.trace ??= trace;
    return new Promise<RemoteOutcome>((resolve) => {
      b.packets.push(packet);
      b.waiters.push(resolve);
      b.bytes += packet.length;
      if (b.packets.length >= _REMOTE_BATCH || b.bytes >= _REMOTE_BATCH_BYTES) {
        this.outbox.delete(key);
        void this.sendByMailbox(b);
      } else this.turnEndFlush.schedule();
    });
  }

  /** Packets for the mailboxes of one replica in the same turn travel as one ReplicaBatch. */
  byReplica(replica: string, ticket: Ticket): void {
    let batch = this.replicaOutbox.get(replica);
    if (!batch) {
      batch = { replica, tickets: [], bytes: 0 };
      this.replicaOutbox.set(replica, batch);
    }
    batch.tickets.push(ticket);
    batch.bytes += ticket.packet.length;
    if (batch.tickets.length >= _REPLICA_BATCH || batch.bytes >= _REPLICA_BATCH_BYTES) {
      this.replicaOutbox.delete(replica);
      void this.sendByReplica(batch);
    } else this.turnEndFlush.schedule();
  }

  /**
   * Tells the mailbox's replica (whoever claims it) that packets were queued for it. A poke that got
   * no answer (the bus lost its connection, or nobody served the mailbox yet: its replica may not
   * have subscribed again after a NATS restart) is tried again, up to {@link _POKE_TRIES} times in
   * ~4 s; past that, the recipient's next claim drains the packet.
   */
  poke(mailboxId: Uint8Array, tries = 0): void {
    this.bus.request(GATEWAY_SUBJECTS.mailbox + hexId(mailboxId), _POKE, { timeoutMs: 2000 }).catch(() => this.pokeLater(mailboxId, tries + 1));
  }

  /** Pokes to try again, one per mailbox (the tries of the oldest kept), at most {@link _REPOKE_MAX}. */
  private readonly repoke = new Map<string, { mailboxId: Uint8Array; tries: number }>();
  private repokeTimer: NodeJS.Timeout | undefined;

  private pokeLater(mailboxId: Uint8Array, tries: number): void {
    const key = hexId(mailboxId);
    if (tries >= _POKE_TRIES || this.closed || this.repoke.has(key) || this.repoke.size >= _REPOKE_MAX) return;
    this.repoke.set(key, { mailboxId, tries });
    this.repokeTimer ??= setTimeout(() => this.pokeAgain(), _REPOKE_MS).unref();
  }

  private pokeAgain(): void {
    this.repokeTimer = undefined;
    const due = [...this.repoke.values()];
    this.repoke.clear();
    for (const { mailboxId, tries } of due) this.poke(mailboxId, tries);
  }

  /** As {@link poke}, but an event: no reply awaited, nothing kept (for mailboxes nobody held a moment ago). */
  nudge(mailboxId: Uint8Array): void {
    try {
      this.bus.publish(GATEWAY_SUBJECTS.mailbox + hexId(mailboxId), _POKE);
    } catch {
      // The bus is closing (shutdown): the packet is queued; its recipient's next claim drains it.
    }
  }

  /** Stops serving this replica's subjects (shutdown). */
  close(): void {
    this.closed = true;
    clearTimeout(this.repokeTimer);
    this.repoke.clear();
    this.offStatus?.();
    for (const sub of this.subs) sub.unsubscribe();
  }

  /**
   * The bus lost its connection: statuses of packets handed to replicas on it are published on it
   * too and may never come. Each counts as failed now (queued, then poked) instead of at the
   * live-ack timeout: a NATS restart otherwise held every such sender's ACCEPTED for 2.5 s.
   */
  private connectionLost(): void {
    for (const id of [...this.tickets.keys()]) this.settleTicket(id, 'failed');
  }

  /**
   * What this turn of the event loop has for other replicas (packets by mailbox and by replica, the
   * statuses of packets they handed us) goes out in one callback: nats.js writes what one callback
   * published in one syscall. While the link is busy it waits for GATEWAY_REPLICA_COALESCE_MS after
   * the last time ({@link CoalescedFlush}): on this machine a write that wakes nats-server cost
   * ~30 µs of the gateway's CPU (profiled in tacit-cross-replica), more than a packet's own work,
   * and 1 ms cut the servers' CPU per packet by ~18 % (docs/benchmarks.md).
   */
  private turnEnd(): void {
    if (this.outbox.size > 0) {
      const batches = [...this.outbox.values()];
      this.outbox.clear();
      for (const next of batches) void this.sendByMailbox(next);
    }
    if (this.replicaOutbox.size > 0) {
      const byReplica = [...this.replicaOutbox.values()];
      this.replicaOutbox.clear();
      for (const next of byReplica) void this.sendByReplica(next);
    }
    if (this.statusOut.size > 0) this.publishStatuses();
  }

  private async sendByMailbox(b: _MailboxBatch): Promise<void> {
    const S = gatewayV1.MailboxEventReply_Status;
    const single = b.packets.length === 1;
    let statuses: gatewayV1.MailboxEventReply_Status[];
    this.meters.remoteByMailbox.inc();
    try {
      const reply = fromBinary(
        gatewayV1.MailboxEventReplySchema,
        await withTraceContext(b.trace, () =>
          this.bus.request(GATEWAY_SUBJECTS.mailbox + hexId(b.mailboxId), encodeDeliverEvent(b.packets), { timeoutMs: this.timeoutMs }),
        ),
      );
      statuses = single ? [reply.status] : reply.statuses;
      if (_REPLICA_ID.test(reply.replica) && reply.replica !== this.replica.id) this.routes.learn(b.key, reply.replica);
    } catch (err) {
      const outcome: RemoteOutcome = err instanceof NoRespondersError ? 'nobody' : 'failed';
      for (const w of b.waiters) w(outcome);
      return;
    }
    b.waiters.forEach((w, i) => w(statuses[i] === S.ACKED ? 'acked' : 'busy'));
  }

  /**
   * Sends a ReplicaBatch: its tickets wait for their statuses (ReplicaStatuses on our status subject)
   * or the live-ack timeout. Packets whose mailbox moved, or all of them when the replica is gone,
   * are sent again by mailbox; on a timeout or failure they count as failed (queued, then poked).
   */
  private async sendByReplica(b: _ReplicaBatch): Promise<void> {
    const n = b.tickets.length;
    const first = this.nextTicket;
    this.nextTicket = (first + n) >>> 0;
    const flight: _Flight = { replica: b.replica, left: n, timer: undefined };
    const packets = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) {
      const t = b.tickets[i]!;
      t.flight = flight;
      packets[i] = t.packet;
      this.tickets.set((first + i) >>> 0, t);
    }
    flight.timer = setTimeout(() => this.settleTickets(first, n, 'failed'), this.timeoutMs);
    this.meters.remoteByReplica.inc();
    try {
      const reply = fromBinary(
        gatewayV1.ReplicaBatchReplySchema,
        await this.bus.request(GATEWAY_SUBJECTS.replica + b.replica, encodeReplicaBatch(first, this.statusSubject, packets), { timeoutMs: this.timeoutMs }),
      );
      for (const i of reply.notHere) if (i < n) this.settleTicket((first + i) >>> 0, 'moved');
    } catch (err) {
      // Gone (nobody serves its subject) or not answering: route by mailbox until a reply names one.
      this.routes.forgetReplica(b.replica);
      this.settleTickets(first, n, err instanceof NoRespondersError ? 'moved' : 'failed');
    }
  }

  private settleTickets(first: number, n: number, outcome: _TicketOutcome): void {
    for (let i = 0; i < n; i++) this.settleTicket((first + i) >>> 0, outcome);
  }

  private settleTicket(id: number, outcome: _TicketOutcome): void {
    const t = this.tickets.get(id);
    if (!t) return; // settled already (a late status, or one after the timeout)
    this.tickets.delete(id);
    const flight = t.flight!;
    if (--flight.left === 0) clearTimeout(flight.timer);
    if (outcome !== 'moved') return this.settled(t, outcome);
    if (this.routes.get(t.key) === flight.replica) this.routes.drop(t.key);
    this.meters.rerouted.inc();
    void this.byMailbox(t.key, mailboxIdOf(t.packet), t.packet).then((o) => this.settled(t, o));
  }

  private settled(t: Ticket, outcome: RemoteOutcome): void {
    if (t.conn) this.onTicketSettled(t, outcome);
    else t.resolve!(outcome);
  }

  /** Another replica hands us packets for mailboxes it believes are claimed here. */
  private onReplicaBatch(data: Uint8Array): Uint8Array {
    const batch = fromBinary(gatewayV1.ReplicaBatchSchema, data);
    const frames = deliverFrames(batch.packets);
    const notHere: number[] = [];
    const first = batch.firstTicket;
    const subject = batch.statusSubject;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      const key = frame.length >= _FRAME_MIN ? keyAt(frame, _FRAME_MAILBOX_AT) : undefined;
      if (key === undefined || !this.presence.has(key)) {
        notHere.push(i);
        continue;
      }
      const ticket = (first + i) >>> 0;
      this.presence.offer(key, frame, (acked) => this.reportStatus(subject, ticket, acked));
    }
    return toBinary(gatewayV1.ReplicaBatchReplySchema, create(gatewayV1.ReplicaBatchReplySchema, { notHere }));
  }

  /** Statuses settled in one turn go back to each sending replica in one message. */
  private reportStatus(subject: string, ticket: number, acked: boolean): void {
    let out = this.statusOut.get(subject);
    if (!out) {
      out = { acked: [], busy: [] };
      this.statusOut.set(subject, out);
    }
    (acked ? out.acked : out.busy).push(ticket);
    this.turnEndFlush.schedule();
  }

  private publishStatuses(): void {
    for (const [to, statuses] of this.statusOut) {
      try {
        this.bus.publish(to, toBinary(gatewayV1.ReplicaStatusesSchema, create(gatewayV1.ReplicaStatusesSchema, statuses)));
      } catch (err) {
        // A malformed status subject, or the bus closing: the sender's timeout settles those packets.
        this.log.warn('replica_status_failed', { packets: statuses.acked.length + statuses.busy.length, error: err instanceof Error ? err.name : 'unknown' });
      }
    }
    this.statusOut.clear();
  }

  private onReplicaStatuses(data: Uint8Array): void {
    const statuses = fromBinary(gatewayV1.ReplicaStatusesSchema, data);
    for (const t of statuses.acked) this.settleTicket(t, 'acked');
    for (const t of statuses.busy) this.settleTicket(t, 'busy');
  }
}
