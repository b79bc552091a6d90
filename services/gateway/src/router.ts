import { Inject, Injectable } from '@nestjs/common';
import { failSpan, PACKET_SAMPLED, samplePacket, SpanKind, startSpan, withTraceContext, type Context, type Logger, type Span } from '@tacit/kit';
import { LOGGER, SETTINGS } from '@tacit/platform';
import { ErrorCode, FRAME_PACKET_AT, PACKET_ID_AT, PACKET_MAILBOX_ID_AT, ServerFrameType } from '@tacit/protocol';
import { PUSH_CLIENT, type PushClient } from '@tacit/push-client';
import { QUEUE_CLIENT, type QueueClient } from '@tacit/queue-client';
import type { GatewayConfig } from './config.js';
import type { ClientConnection } from './connection.js';
import { AcceptTiming } from './accept-timing.js';
import { keyAt } from './keys.js';
import { GatewayMeters } from './metrics.js';
import { Presence } from './presence.js';
import { mailboxIdOf, ReplicaLink, type RemoteOutcome, type Ticket } from './replica-link.js';
import { Replies } from './replies.js';
import type { SafeSet } from './safe-set.js';
import type { RateLimiter } from './rate-limit.js';
import { QUEUE_QUOTA, RATE_LIMITER, SAFE_SET } from './tokens.js';

/** In a SEND frame: where the mailbox id and the packet id start, and the end of the packet id. */
const _FRAME_MAILBOX_AT = FRAME_PACKET_AT + PACKET_MAILBOX_ID_AT;
const _FRAME_PACKET_ID_AT = FRAME_PACKET_AT + PACKET_ID_AT;
const _FRAME_PACKET_ID_END = _FRAME_PACKET_ID_AT + 16;

/**
 * What became of a send: safe — delivered live, queued for an offline recipient, queued after a live
 * attempt, or a duplicate of a safe packet — or refused for the recipient's mailbox, the relay's
 * storage or the sender's quota.
 */
type _Safe = 'live' | 'queued' | 'queued_online' | 'duplicate' | 'full' | 'storage_full' | 'quota' | 'quota_rate';

/** The packet id of a packet (a view). */
function _packetIdOf(packet: Uint8Array): Uint8Array {
  return packet.subarray(PACKET_ID_AT, PACKET_ID_AT + 16);
}

/**
 * Makes each SEND's packet safe, then tells the sender: delivered live to a connection on this
 * replica or another (acked by the recipient), or durably queued — only then ACCEPTED. A RESEND of a
 * packet already made safe is answered from the safe set. When neither delivery nor the queue made
 * it safe, the sender gets ERROR UNAVAILABLE (MAILBOX_FULL when the queue refused it) and retries.
 */
@Injectable()
export class Router {
  private readonly maxTtl: number;
  private readonly quotaBytes: number;
  private readonly queueByteRate: number;
  private readonly pushEvents: boolean;
  /**
   * Mailboxes that had a packet queued while nobody held them, this turn of the event loop, by key:
   * each is poked and woken once, at the turn's end ({@link signalQueued}). Holds at most one entry
   * per mailbox of the packets committed in one turn (those packets are in memory anyway).
   */
  private queuedOffline = new Map<string, Uint8Array>();

  constructor(
    @Inject(Presence) private readonly presence: Presence,
    @Inject(ReplicaLink) private readonly link: ReplicaLink,
    @Inject(QUEUE_CLIENT) private readonly queue: QueueClient,
    @Inject(SAFE_SET) private readonly safe: SafeSet,
    @Inject(QUEUE_QUOTA) private readonly quota: RateLimiter,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(AcceptTiming) private readonly timing: AcceptTiming,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(GatewayMeters) private readonly meters: GatewayMeters,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(PUSH_CLIENT) private readonly push: PushClient,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.pushEvents = config.GATEWAY_PUSH_EVENTS;
    this.maxTtl = config.GATEWAY_QUEUE_TTL_SECONDS;
    this.quotaBytes = config.GATEWAY_IP_QUEUE_BYTES_PER_HOUR;
    // Never below the largest frame: a packet bigger than a whole second's budget could never be queued.
    this.queueByteRate = Math.max(config.GATEWAY_IP_QUEUE_BYTE_RATE, config.GATEWAY_MAX_FRAME_BYTES);
    // Bound once: a fast-path ticket carries no closure of its own.
    link.onTicketSettled = (t, outcome) => this.finishSend(t, outcome);
  }

  /**
   * A SEND (or RESEND) from `conn`. `frame` is the whole message: ws hands each message its own
   * bytes, so the packet, its ids and (with the type byte turned into DELIVER) the frame to forward
   * are views of it — no copies.
   */
  send(conn: ClientConnection, frame: Buffer, ttl: number, resend: boolean): void {
    if (this.maxTtl < ttl) ttl = this.maxTtl;
    // One packet in 1 / TACIT_TRACE_PACKET_RATIO is traced (a counter's decrement; nothing while
    // tracing is off): it takes the general path below, whose requests carry its trace context.
    // The answer's ticker runs from the SEND, before its path is known (AcceptTiming).
    this.timing.sending();
    if (samplePacket()) return this.sendTraced(conn, frame, ttl, resend);
    conn.inflight++;
    const at = performance.now();
    // The common case in a cluster, a first attempt for a mailbox whose replica is known, goes without
    // async functions or promises (allocations per packet are what the gateway's GC pauses scale
    // with): the ticket is the whole send, and its status answers the sender (finishSend).
    if (!resend) {
      const key = keyAt(frame, _FRAME_MAILBOX_AT);
      if (!this.presence.has(key)) {
        const replica = this.link.routes.get(key);
        if (replica !== undefined) {
          this.link.byReplica(replica, { key, packet: frame.subarray(FRAME_PACKET_AT), flight: undefined, conn, ttl, at, resolve: undefined });
          return;
        }
      }
    }
    void this.answer(conn, frame.subarray(_FRAME_PACKET_ID_AT, _FRAME_PACKET_ID_END), this.route(conn, frame, ttl, resend), at);
  }

  /**
   * A sampled packet's send, in a span from the SEND to the answer: the requests made for it (to
   * another replica, to the queue) continue its trace there, and a last span marks the answer back
   * here. The span carries sizes and outcomes only, never ids or bytes.
   */
  private sendTraced(conn: ClientConnection, frame: Buffer, ttl: number, resend: boolean): void {
    const traced = startSpan('tacit.gateway.send', SpanKind.SERVER, { [PACKET_SAMPLED]: true, 'tacit.frame.bytes': frame.length, 'tacit.resend': resend });
    conn.inflight++;
    const at = performance.now();
    const routed = withTraceContext(traced.ctx, () => this.route(conn, frame, ttl, resend, traced.ctx));
    void this.answer(conn, frame.subarray(_FRAME_PACKET_ID_AT, _FRAME_PACKET_ID_END), routed, at, traced);
  }

  /**
   * Settles a send once `routed` tells whether its packet is safe: ACCEPTED (for a live delivery when
   * AcceptTiming says), or a typed ERROR the SDK retries on. `at`: when the SEND arrived.
   */
  private async answer(
    conn: ClientConnection,
    ref: Uint8Array,
    routed: Promise<_Safe> | _Safe,
    at: number,
    traced?: { span: Span; ctx: Context },
  ): Promise<void> {
    const span = traced?.span;
    let held = false;
    try {
      const outcome = await routed;
      const answered = traced && startSpan('tacit.gateway.answer', SpanKind.INTERNAL, { 'tacit.outcome': outcome }, traced.ctx).span;
      if (outcome === 'live') {
        held = true;
        this.timing.release(conn, ref, at);
      } else if (outcome === 'queued' || outcome === 'queued_online' || outcome === 'duplicate') {
        held = true;
        this.timing.answer(conn, ref, at, outcome === 'queued');
      }
      else if (outcome === 'full') this.replies.error(conn, ErrorCode.MAILBOX_FULL, 'the recipient mailbox is full; retry later', ref);
      else if (outcome === 'quota') this.replies.error(conn, ErrorCode.RATE_LIMITED, 'this address queued its hourly share of storage; retry later', ref);
      else if (outcome === 'quota_rate') {
        this.replies.error(conn, ErrorCode.RATE_LIMITED, 'this address queued its share of storage writes for this second; retry shortly', ref);
        // And nothing more is read from the connection until the address's next second: reading
        // (and refusing) what a flooding sender keeps writing is work of its own.
        conn.pauseReading(1000 - (Date.now() % 1000));
      }
      // Protocol v1 has no code of its own for it: UNAVAILABLE, which the SDK retries with backoff.
      else this.replies.error(conn, ErrorCode.UNAVAILABLE, 'the relay is out of storage (STORAGE_FULL); retry later', ref);
      answered?.end();
    } catch (err) {
      if (span) failSpan(span, err);
      this.log.warn('send_failed', { error: err instanceof Error ? err.name : 'unknown' });
      this.replies.error(conn, ErrorCode.UNAVAILABLE, 'could not make the packet safe now; retry', ref);
    } finally {
      // A held answer stops counting as in flight when it is given (AcceptTiming).
      if (!held) conn.inflight--;
      span?.end();
    }
  }

  /**
   * Makes a packet safe: acked by the recipient live, or durably queued. Only then may the sender hear
   * ACCEPTED. Throws when neither happened (the sender retries with the same packet id).
   */
  private async route(conn: ClientConnection, frame: Buffer, ttlSeconds: number, resend: boolean, trace?: Context): Promise<_Safe> {
    const packet = frame.subarray(FRAME_PACKET_AT);
    const key = keyAt(frame, _FRAME_MAILBOX_AT);
    const safeKey = key + keyAt(frame, _FRAME_PACKET_ID_AT);
    // Only a RESEND can repeat a packet already made safe: a first attempt skips the lookup (a client
    // lying about it only gets its own duplicate delivered, which the recipient's SDK drops).
    const seen = resend && this.safe.has(safeKey);
    if (seen === true || (seen !== false && (await seen))) {
      this.meters.acceptedDuplicate.inc();
      return 'duplicate';
    }
    if (!this.presence.has(key)) return this.afterRemote(conn, key, safeKey, packet, ttlSeconds, await this.link.deliver(key, packet, trace), trace);
    frame[0] = ServerFrameType.DELIVER;
    if (await this.presence.deliver(key, frame)) {
      this.safe.add(safeKey);
      this.meters.acceptedLiveLocal.inc();
      return 'live';
    }
    return this.enqueue(conn, key, safeKey, packet, ttlSeconds, true, trace);
  }

  /**
   * What a delivery to another replica made of a send: acked, it is safe now ('live'). Otherwise it is
   * queued: when nobody held the mailbox, simply; after anything else (busy, timeout, a replica dying
   * mid-delivery) the recipient may be online, so its replica is poked too.
   */
  private afterRemote(conn: ClientConnection, key: string, safeKey: string, packet: Uint8Array, ttlSeconds: number, outcome: RemoteOutcome, trace?: Context): 'live' | Promise<_Safe> {
    if (outcome !== 'acked') return this.enqueue(conn, key, safeKey, packet, ttlSeconds, outcome !== 'nobody', trace);
    this.safe.add(safeKey);
    this.meters.acceptedLiveRemote.inc();
    return 'live';
  }

  /**
   * Queues a packet that live delivery did not make safe; pokes the recipient's replica when the
   * recipient may be online. `packet` is the SEND frame after its type byte.
   */
  private async enqueue(conn: ClientConnection, key: string, safeKey: string, packet: Uint8Array, ttlSeconds: number, online: boolean, trace?: Context): Promise<_Safe> {
    // What a sender may make the relay write: its address's bytes per second (the store's speed is
    // shared by every sender: GATEWAY_IP_QUEUE_BYTE_RATE) and per hour (its space), across replicas.
    if (!this.limiter.allow(conn.address.queueKey, this.queueByteRate, packet.length)) return 'quota_rate';
    if (!this.quota.allow(conn.ipKey, this.quotaBytes, packet.length)) return 'quota';
    const mailboxId = mailboxIdOf(packet);
    const item = { mailboxId, packetId: _packetIdOf(packet), packet, ttlSeconds };
    const outcome = await this.queue.enqueue(trace ? { ...item, trace } : item);
    if (outcome === 'mailbox_full') return 'full';
    if (outcome === 'storage_full') return 'storage_full';
    this.safe.add(safeKey);
    this.meters.acceptedQueued.inc();
    if (!online) {
      // Nobody held the mailbox when asked, but the recipient may have claimed it since, and its
      // claim's drain may have read the mailbox before this commit: then only a poke gets the packet
      // to it before its next claim. One event with no reply awaited (NATS drops it when nobody
      // serves the subject); a claim that settles after it drains after this commit anyway.
      if (this.queuedOffline.size === 0) setImmediate(() => this.signalQueued());
      if (!this.queuedOffline.has(key)) this.queuedOffline.set(key, mailboxId);
      return 'queued';
    }
    if (!this.presence.poke(key)) this.link.poke(mailboxId);
    return 'queued_online';
  }

  /**
   * The poke (or nudge) and the push wake of each mailbox queued for while nobody held it, once per
   * mailbox per turn of the event loop, after the commits that queued its packets. A group commit
   * answers hundreds of sends in one turn, often many for one mailbox, and the push service wakes a
   * device once per burst anyway (PUSH_COALESCE_WINDOW): one signal per packet was ~8 % of the node's
   * CPU while it stored 16 mailboxes' packets (profiled in tacit-enqueue-deep), and in a cluster one
   * NATS publish and one JetStream message per packet.
   */
  private signalQueued(): void {
    const due = this.queuedOffline;
    this.queuedOffline = new Map();
    for (const [key, mailboxId] of due) {
      if (!this.presence.poke(key)) this.link.nudge(mailboxId);
      this.wake(mailboxId);
    }
  }

  /**
   * Tells the push service that a packet was queued for a mailbox nobody held, so it can wake the
   * device bound to it (docs/push.md). Fire and forget, never awaited: a publish is a write of 18
   * bytes into the bus connection's buffer (NATS) or a delivery scheduled in process — measured at
   * ~4 µs on NATS and ~1 µs in process on the shared 2-core dev machine (push-events.spec.ts prints
   * it), after a queue commit of milliseconds, so the send path does not notice it. A publish the
   * bus refuses at once (a closed connection) is counted, not thrown: the packet is safe, and the
   * device wakes at its next event.
   * Not after 'queued_online' (a connection may hold the mailbox) nor a duplicate (woken already).
   */
  private wake(mailboxId: Uint8Array): void {
    if (!this.pushEvents) return;
    try {
      this.push.publishQueued(mailboxId);
      this.meters.pushEventsPublished.inc();
    } catch {
      this.meters.pushEventsFailed.inc();
    }
  }

  /** The end of a send that took the fast path ({@link send}): acked live, or queued now. */
  private finishSend(t: Ticket, outcome: RemoteOutcome): void {
    const conn = t.conn!;
    const ref = _packetIdOf(t.packet);
    const safe = this.afterRemote(conn, t.key, t.key + keyAt(t.packet, PACKET_ID_AT), t.packet, t.ttl, outcome);
    if (safe !== 'live') return void this.answer(conn, ref, safe, t.at);
    this.timing.release(conn, ref, t.at);
  }
}
