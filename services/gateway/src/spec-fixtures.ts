// What the gateway's unit specs share (not part of the package's API): a fake clock, a fake queue
// client, stand-in sockets, and one replica's units wired by hand on a bus (as GatewayModule wires
// them), so a spec drives units over the in-process bus without a process or a network.
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@tacit/crypto';
import { createLogger, HealthRegistry, InProcessBus, InvalidArgumentError, loadConfig, Metrics, type Bus } from '@tacit/kit';
import { packPackets, QUEUE_LIMITS, type PackedPacket } from '@tacit/proto';
import {
  claimProofMessage,
  claimProofMessageV2,
  decodeServerFrame,
  destHash,
  encodeClientFrame,
  mailboxId,
  type ClaimFrame,
  type Packet,
  type ServerFrame,
} from '@tacit/protocol';
import { BusClientProxy } from '@tacit/platform';
import { BusPushClient, type PushClient } from '@tacit/push-client';
import type { DrainedPage, EnqueueOutcome, QueueAckRef, QueueClient, QueueItem } from '@tacit/queue-client';
import { AcceptTiming } from './accept-timing.js';
import { AckBatcher } from './ack-batcher.js';
import { AddressSalt } from './address-salt.js';
import { ClientAddresses } from './client-address.js';
import { gatewayConfigSchema, type GatewayConfig } from './config.js';
import { ClientConnection } from './connection.js';
import { Connections } from './connections.js';
import { FrameDispatcher } from './dispatcher.js';
import { Drainer } from './drainer.js';
import { GatewayEdge } from './edge.js';
import { IdleSweeper } from './idle-sweeper.js';
import { keyOf } from './keys.js';
import { GatewayMeters } from './metrics.js';
import { EndpointLimiter } from './endpoint-limiter.js';
import { PrekeyEndpoint } from './prekeys.js';
import { DirectoryEndpoint } from './directory.js';
import { PushEndpoint } from './push.js';
import { Presence } from './presence.js';
import { WindowRateLimiter } from './rate-limit.js';
import { ReplicaLink } from './replica-link.js';
import { Replies } from './replies.js';
import { Router } from './router.js';
import { MemorySafeSet } from './safe-set.js';
import { Session } from './session.js';
import { GatewayShutdown } from './shutdown.js';
import { loadRelayKey } from './relay-key.js';
import { RelayKey, ReplicaIdentity, type Clock } from './tokens.js';
import type { WsSocket } from './wsock/index.js';

/** A clock the spec moves by hand. */
export class FakeClock implements Clock {
  constructor(public t = 1_800_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * A clock at the middle of a minute, for specs that count requests in a per-minute window: on the
 * wall clock, a run that crosses a minute boundary between two requests counts them in two windows.
 */
export const midMinute = (): number => 29_000_000 * 60_000 + 30_000;

/** Gateway settings: the defaults with `over` applied, validated as the service validates them. */
export function settings(over: Record<string, string> = {}): GatewayConfig {
  return loadConfig(gatewayConfigSchema, over);
}

/**
 * A queue client that keeps packets in memory, in seq order, and records every call. `failWith`
 * makes the next calls reject; `outcome` overrides what enqueue answers.
 */
export class FakeQueue implements QueueClient {
  readonly stored: PackedPacket[] = [];
  readonly enqueued: QueueItem[] = [];
  readonly drains: Array<{ mailboxIds: Uint8Array[]; afterSeq: bigint; limit: number }> = [];
  readonly acks: QueueAckRef[][] = [];
  /** Every drain asked for, failed ones included (`drains` keeps those that were answered). */
  drainCalls = 0;
  failWith: Error | undefined;
  outcome: EnqueueOutcome | undefined;
  /** When set, an enqueue waits for it before it stores (a commit that takes its time). */
  gate: Promise<void> | undefined;
  private seq = 0n;

  async enqueue(item: QueueItem): Promise<EnqueueOutcome> {
    if (this.failWith) throw this.failWith;
    this.enqueued.push(item);
    if (this.gate) await this.gate;
    if (this.outcome) return this.outcome;
    this.stored.push({ seq: ++this.seq, expiryDay: 20_000, mailboxId: item.mailboxId.slice(), packetId: item.packetId.slice(), packet: item.packet.slice() });
    return 'stored';
  }

  async drain(mailboxIds: readonly Uint8Array[], afterSeq: bigint, limit: number): Promise<DrainedPage> {
    this.drainCalls++;
    if (this.failWith) throw this.failWith;
    // What the real queue refuses (QueueService.drainPacked): a gateway asking past it would never drain.
    if (limit < 1 || limit > QUEUE_LIMITS.maxDrainLimit) throw new InvalidArgumentError(`"limit" expected 1..${QUEUE_LIMITS.maxDrainLimit}, got ${limit}`);
    if (mailboxIds.length > QUEUE_LIMITS.maxDrainMailboxes) throw new InvalidArgumentError(`at most ${QUEUE_LIMITS.maxDrainMailboxes} mailboxes, got ${mailboxIds.length}`);
    this.drains.push({ mailboxIds: [...mailboxIds], afterSeq, limit });
    const keys = new Set(mailboxIds.map((m) => keyOf(m)));
    const match = this.stored.filter((p) => p.seq > afterSeq && keys.has(keyOf(p.mailboxId)));
    return { page: packPackets(match.slice(0, limit)), more: match.length > limit };
  }

  async ack(refs: readonly QueueAckRef[]): Promise<number> {
    if (this.failWith) throw this.failWith;
    this.acks.push([...refs]);
    let deleted = 0;
    for (const r of refs) {
      const i = this.stored.findIndex((p) => keyOf(p.packetId) === keyOf(r.packetId) && keyOf(p.mailboxId) === keyOf(r.mailboxId));
      if (i >= 0) {
        this.stored.splice(i, 1);
        deleted++;
      }
    }
    return deleted;
  }
}

/** A stand-in socket: what the gateway writes to it, decoded; `read` says whether it reads (a slow reader does not). */
export class FakeSocket {
  readyState = 1;
  bufferedAmount = 0;
  /** Bytes of an unfinished frame the socket holds (a spec sets it: the real layer tracks its own). */
  receivingBytes = 0;
  get receiving(): boolean {
    return this.receivingBytes > 0;
  }
  /** Every message written, one entry per frame (a page of DELIVERs is split into its frames). */
  readonly written: Uint8Array[] = [];
  closed: { code: number; reason: string } | undefined;
  readonly socket = { on() {}, off() {} };
  /** Each pause of reading asked for, ms. */
  readonly pauses: number[] = [];
  cork(): void {}
  uncork(): void {}
  pauseReading(ms: number): void {
    this.pauses.push(ms);
  }
  send(b: Uint8Array): boolean {
    this.written.push(b);
    return true;
  }
  sendFrames(buf: Uint8Array): boolean {
    for (let at = 0; at < buf.length; ) {
      let n = buf[at + 1]! & 0x7f;
      let head = 2;
      if (n === 126) [n, head] = [(buf[at + 2]! << 8) | buf[at + 3]!, 4];
      else if (n === 127) [n, head] = [Number(Buffer.from(buf.subarray(at + 2, at + 10)).readBigUInt64BE()), 10];
      this.written.push(buf.subarray(at + head, at + head + n));
      at += head + n;
    }
    return true;
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }
  /** Cut off without a close frame (the gateway's answer to a client that does not read). */
  terminate(): void {
    this.closed = { code: 1006, reason: 'terminated' };
    this.readyState = 3;
  }
  /** The server frames written so far, decoded; `take` empties the list. */
  frames(take = true): ServerFrame[] {
    const out = this.written.map((b) => decodeServerFrame(b));
    if (take) this.written.length = 0;
    return out;
  }
}

/** The units of one replica on `bus`, wired as GatewayModule wires them. */
export interface Replica {
  readonly bus: Bus;
  readonly queue: FakeQueue;
  readonly clock: FakeClock;
  readonly config: GatewayConfig;
  readonly identity: ReplicaIdentity;
  readonly meters: GatewayMeters;
  readonly replies: Replies;
  readonly drainer: Drainer;
  readonly presence: Presence;
  readonly link: ReplicaLink;
  readonly router: Router;
  readonly timing: AcceptTiming;
  readonly relayKey: RelayKey;
  readonly acks: AckBatcher;
  readonly session: Session;
  readonly connections: Connections;
  readonly dispatcher: FrameDispatcher;
  readonly sweeper: IdleSweeper;
  readonly shutdown: GatewayShutdown;
  readonly limiter: WindowRateLimiter;
  /** The client listener over these units (not listening until its onServiceStart). */
  readonly edge: GatewayEdge;
  /** A connection as the edge attaches it, over a {@link FakeSocket}, not yet past HELLO. */
  connect(): { conn: ClientConnection; ws: FakeSocket };
  /** A connection past HELLO (WELCOME read and dropped). */
  open(): { conn: ClientConnection; ws: FakeSocket };
  /** A connection past HELLO that claimed `dests` for `owner` (CLAIMED read and dropped). */
  claimed(owner: Owner, dests?: Uint8Array[]): Promise<{ conn: ClientConnection; ws: FakeSocket; count: number }>;
  /** A client frame through the dispatcher, as the socket would hand it over. */
  receive(conn: ClientConnection, frame: Uint8Array): void;
  close(): Promise<void>;
}

/** One replica's units on `bus` (default: a new in-process bus), with a fake queue and clock (and `push`, the push client: default one over `bus`). */
export function replica(opts: { bus?: Bus; queue?: FakeQueue; clock?: FakeClock; config?: Record<string, string>; push?: PushClient } = {}): Replica {
  const bus = opts.bus ?? new InProcessBus();
  const queue = opts.queue ?? new FakeQueue();
  const clock = opts.clock ?? new FakeClock();
  const config = settings(opts.config);
  const log = createLogger({ service: 'gateway', write: () => {} });
  const identity = new ReplicaIdentity();
  const meters = new GatewayMeters(new Metrics({ service: 'gateway', defaultMetrics: false }));
  const replies = new Replies(meters);
  const limiter = new WindowRateLimiter({ now: () => clock.now() });
  const drainer = new Drainer(queue, meters, log, limiter, config);
  const presence = new Presence(bus, identity, drainer);
  const link = new ReplicaLink(bus, identity, presence, config, meters, log);
  const safe = new MemorySafeSet(10 * 60_000, 1_000_000, () => clock.now());
  const quota = new WindowRateLimiter({ now: () => clock.now(), windowMs: 3_600_000 });
  const timing = new AcceptTiming(config);
  // The push client publishes queued events on `bus` (push-events.spec.ts listens); its requests go
  // to whatever serves PUSH_ROUTES there (push.spec.ts has its own endpoint).
  const push = opts.push ?? new BusPushClient(new BusClientProxy(bus, { timeoutMs: 1000 }));
  const router = new Router(presence, link, queue, safe, quota, limiter, timing, replies, meters, log, push, config);
  const acks = new AckBatcher(queue, replies, log);
  const relayKey = loadRelayKey({});
  const connections = new Connections(presence, meters, clock, config, new AddressSalt());
  const session = new Session(presence, connections, drainer, bus, replies, meters, config, relayKey);
  const dispatcher = new FrameDispatcher(session, router, acks, replies, limiter, meters, clock, config);
  const sweeper = new IdleSweeper(connections, replies, clock, config);
  const shutdown = new GatewayShutdown(connections, sweeper, acks, presence, link, replies, clock, config);
  const addresses = new ClientAddresses(config);
  // The prekey endpoints' client is never called by these specs (prekeys.spec.ts has its own).
  const noPrekeys = { challenge: () => Promise.reject(new Error('no prekey service here')), upload: () => Promise.reject(new Error('no prekey service here')), fetch: () => Promise.reject(new Error('no prekey service here')) };
  const prekeys = new PrekeyEndpoint(noPrekeys, new EndpointLimiter(), addresses, shutdown, log, new Metrics({ service: 'gateway', defaultMetrics: false }), config);
  // Nor the directory endpoints' (directory-endpoint.spec.ts has its own).
  const noDirectory = () => Promise.reject(new Error('no directory service here'));
  const directory = new DirectoryEndpoint(
    { challenge: noDirectory, register: noDirectory, lookup: noDirectory, transfer: noDirectory, release: noDirectory },
    new EndpointLimiter(),
    new AddressSalt(),
    addresses,
    shutdown,
    log,
    new Metrics({ service: 'gateway', defaultMetrics: false }),
    config,
  );
  const pushEndpoint = new PushEndpoint(push, new EndpointLimiter(), new AddressSalt(), addresses, shutdown, log, new Metrics({ service: 'gateway', defaultMetrics: false }), config);
  const edge = new GatewayEdge(connections, addresses, dispatcher, sweeper, shutdown, limiter, meters, new HealthRegistry(), log, config, prekeys, directory, pushEndpoint);
  const connect = () => {
    const ws = new FakeSocket();
    const conn = connections.attach(ws as unknown as WsSocket<ClientConnection>, connections.address('127.0.0.1'));
    return { conn, ws };
  };
  const receive = (conn: ClientConnection, frame: Uint8Array) => dispatcher.onMessage(conn, Buffer.from(frame), true);
  return {
    bus, queue, clock, config, identity, meters, replies, drainer, presence, link, router, acks, session, connections, dispatcher, sweeper, shutdown, limiter, edge, timing, relayKey,
    connect,
    receive,
    open() {
      const c = connect();
      receive(c.conn, encodeClientFrame({ type: 'hello', minVersion: 1, maxVersion: 1 }));
      c.ws.frames();
      return c;
    },
    async claimed(owner: Owner, dests = [owner.dest]) {
      const c = this.open();
      receive(c.conn, encodeClientFrame(owner.claim(c.conn.challenge!, dests)));
      await until(() => c.ws.written.length > 0);
      const claimed = decodeServerFrame(c.ws.written.shift()!);
      if (claimed?.type !== 'claimed') throw new Error(`expected CLAIMED, got ${JSON.stringify(claimed)}`);
      return { ...c, count: claimed.count };
    },
    async close() {
      sweeper.stop();
      await edge.closeListener();
      link.close();
      presence.close();
      await limiter.close();
      await quota.close();
      if (!opts.bus) await bus.close();
    },
  };
}

/** A mailbox owner: an Ed25519 key, a namespace, the current destination hash and mailbox id. */
export class Owner {
  readonly secretKey = ed25519.keygen().secretKey;
  readonly publicKey = ed25519.getPublicKey(this.secretKey);
  readonly namespace = new Uint8Array(randomBytes(32));
  readonly dest = destHash(this.namespace, this.publicKey, 500_000);
  readonly mailbox = mailboxId(this.dest, this.publicKey);

  /** A CLAIM of `dests` signed over `challenge`. */
  claim(challenge: Uint8Array, dests: Uint8Array[] = [this.dest], requestId = 7): ClaimFrame {
    return { type: 'claim', requestId, peerKey: this.publicKey, signature: ed25519.sign(this.secretKey, claimProofMessage(challenge, dests)), dests };
  }

  /** A CLAIM_V2 of `dests`: bound to `relayKey` and the connection's `ephemeral` public key. */
  claimV2(challenge: Uint8Array, relayKey: Uint8Array, ephemeral: Uint8Array, dests: Uint8Array[] = [this.dest], requestId = 7): ClaimFrame {
    const signature = ed25519.sign(this.secretKey, claimProofMessageV2(challenge, relayKey, ephemeral, dests));
    return { type: 'claim', requestId, peerKey: this.publicKey, ephemeral, signature, dests };
  }

  /** A packet to this owner's current mailbox (256-byte payload, random id). */
  packet(over: Partial<Packet> = {}): Packet {
    return {
      version: 1,
      hopLimit: 4,
      destHash: this.dest,
      mailboxId: this.mailbox,
      packetId: new Uint8Array(randomBytes(16)),
      ttlSeconds: 3600,
      payload: new Uint8Array(randomBytes(256)),
      ...over,
    };
  }
}

/** A SEND (or RESEND) frame of `packet`. */
export function sendFrame(packet: Packet, resend = false): Uint8Array {
  return encodeClientFrame({ type: 'send', packet, ...(resend ? { resend: true } : {}) });
}

/** An ACK frame of `ids`. */
export function ackFrame(ids: Uint8Array[]): Uint8Array {
  return encodeClientFrame({ type: 'ack', packetIds: ids });
}

/** Resolves once `cond` holds (checked every turn), or throws after `ms`. */
export async function until(cond: () => boolean, ms = 3000, what = 'the condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * An open connection over a stand-in socket (what sendRaw, sendFrames and canTake read), with a
 * delivery window of `deliveryWindow`; `sent` is what went out, one entry per write.
 */
export function openConnection(deliveryWindow: number): { conn: ClientConnection; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const ws = {
    readyState: 1,
    bufferedAmount: 0,
    cork() {},
    uncork() {},
    send: (b: Uint8Array) => (sent.push(b), true),
    sendFrames: (b: Uint8Array) => (sent.push(b), true),
  };
  const limits = { maxBufferedBytes: 1 << 20, deliveryWindow, liveAckTimeoutMs: 60_000, connRate: 100, connBurst: 100, byteRate: 1 << 24, byteBurst: 1 << 24, maxInflight: 1000, deliveryAckTimeoutMs: 60_000 };
  const conn = new ClientConnection(ws as unknown as WsSocket<ClientConnection>, { ipKey: 'ip', frameKey: 'f', byteKey: 'b', claimKey: 'n', queueKey: 'q', drainKey: 'd' }, limits, Date.now());
  conn.state = 'open';
  return { conn, sent };
}
