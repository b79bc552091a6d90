import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { blake3Keyed, ed25519 } from '@tacit/crypto';
import { Metrics, NoRespondersError, type Bus, type BusSubscription } from '@tacit/kit';
import {
  create,
  fromBinary,
  gatewayV1,
  QUEUE_PACKED_DAY_AT,
  QUEUE_PACKED_HEAD,
  QUEUE_PACKED_LENGTH_AT,
  QUEUE_PACKED_MAILBOX_AT,
  QUEUE_PACKED_PACKET_ID_AT,
  toBinary,
} from '@tacit/proto';
import {
  ClientFrameType,
  ServerFrameType,
  claimProofMessage,
  closeCodeFor,
  CloseCode,
  decodeClientFrame,
  ErrorCode,
  GoawayReason,
  mailboxId as deriveMailboxId,
  negotiateVersion,
  ProtocolError,
  SUPPORTED_VERSIONS,
  MAX_CLAIM,
  sendFrameTtl,
  ackFrameCount,
  ACK_IDS_AT,
  type ClaimFrame,
  type ClientFrame,
  type ErrorCodeValue,
} from '@tacit/protocol';
import { Claimants, ClientConnection, keyAt, keyOf, type ClientAddress, type ConnectionLimits } from './connection.js';
import { deliverFrames, encodeDeliverEvent, encodeReplicaBatch } from './mailbox-event.js';
import type { GatewayConfig } from './config.js';
import type { GatewayMetrics } from './metrics.js';
import type { QueueAckRef, QueuePort } from './queue-port.js';
import type { RateLimiter } from './rate-limit.js';
import type { SafeSet } from './safe-set.js';
import { headerLength, Opcode, ReadyState, refuseUpgrade, writeHeader, WsServer, type WsSocket } from './wsock/index.js';

/** The log calls the gateway makes: event name plus counts and codes, never hashes, keys, payloads or (by default) IPs. */
export interface GatewayLog {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

/** Everything the gateway talks to; each is swapped between the cluster and the single node. */
export interface GatewayDeps {
  config: GatewayConfig;
  bus: Bus;
  queue: QueuePort;
  limiter: RateLimiter;
  safe: SafeSet;
  log: GatewayLog;
  metrics: GatewayMetrics;
  now?: () => number;
}

const _STRIKES_BEFORE_CLOSE = 50;
// Largest drain page. A page is fetched once the delivery window (GATEWAY_DELIVERY_WINDOW) is at
// most half full and the socket's unsent bytes are under GATEWAY_MAX_BUFFERED_BYTES, and fills what
// is free of the window. Pages of 512 rather than 256 halved the queue requests per packet.
const _DRAIN_BATCH = 512;
// The first page of a drain: small, so the first packets reach the client while the database
// builds the full pages after it (a 512-packet page takes it milliseconds, more with many clients
// draining at once).
const _FIRST_DRAIN_BATCH = 64;
/** Shutdown waits at least this long for the last acks to reach the queue, even past the grace. */
const _SHUTDOWN_ACK_WAIT_MS = 2000;
const _MBX_SUBJECT = 'tacit.mbx.';
/** Packets handed to a replica by its id: `tacit.gw.<replica id>`; their statuses: `tacit.gws.<replica id>`. */
const _GW_SUBJECT = 'tacit.gw.';
const _GW_STATUS_SUBJECT = 'tacit.gws.';
const _REPLICA_ID = /^[0-9a-f]{16}$/;
/** Largest batch of packets for one mailbox in one request to another replica (count, bytes). */
const _REMOTE_BATCH = 64;
const _REMOTE_BATCH_BYTES = 256 * 1024;
/** Largest batch of packets for one replica (many mailboxes) in one request (count, bytes). */
const _REPLICA_BATCH = 512;
const _REPLICA_BATCH_BYTES = 512 * 1024;
/** Mailboxes whose replica this one remembers (the oldest learned is forgotten first). */
const _ROUTES_MAX = 65_536;
/**
 * In a SEND or DELIVER frame (a type byte, then the packet): where the mailbox id and the packet id
 * (16 bytes each) start, and the shortest frame that holds both. In the packet itself, one less.
 */
const _FRAME_MAILBOX_AT = 35;
const _FRAME_PACKET_ID_AT = 51;
const _FRAME_MIN = _FRAME_PACKET_ID_AT + 16;
const _PACKET_MAILBOX_AT = _FRAME_MAILBOX_AT - 1;
const _PACKET_ID_AT = _FRAME_PACKET_ID_AT - 1;

/** The mailbox id of a packet (a view). */
function _mailboxIdOf(packet: Uint8Array): Uint8Array {
  return packet.subarray(_PACKET_MAILBOX_AT, _PACKET_MAILBOX_AT + 16);
}

/** The packet id of a packet (a view). */
function _packetIdOf(packet: Uint8Array): Uint8Array {
  return packet.subarray(_PACKET_ID_AT, _PACKET_ID_AT + 16);
}

/** What became of a packet handed to another replica. */
type _RemoteOutcome = 'acked' | 'busy' | 'nobody' | 'failed';
/** Settles a packet sent by replica: 'moved' sends it again by mailbox. */
type _TicketOutcome = 'acked' | 'busy' | 'failed' | 'moved';

interface _RemoteBatch {
  key: string;
  mailboxId: Uint8Array;
  packets: Uint8Array[];
  waiters: Array<(outcome: _RemoteOutcome) => void>;
  bytes: number;
}

/** A packet handed (or about to be handed) to a replica by its id, until its status comes. */
interface _Ticket {
  /** Its mailbox's key. */
  key: string;
  /** The SEND frame after its type byte (the packet). */
  packet: Uint8Array;
  flight: _Flight | undefined;
  /** A send on the fast path: the connection to answer, and the packet's queue TTL if it must queue. */
  conn: ClientConnection | undefined;
  ttl: number;
  /** Otherwise: the waiter of deliverRemote. */
  resolve: ((outcome: _RemoteOutcome) => void) | undefined;
}

/** One ReplicaBatch in flight: its replica, the tickets still unsettled and the timer that fails them. */
interface _Flight {
  replica: string;
  left: number;
  timer: NodeJS.Timeout | undefined;
}

interface _ReplicaBatch {
  replica: string;
  tickets: _Ticket[];
  bytes: number;
}

/** Statuses of packets from one sending replica, settled this turn. */
interface _StatusBatch {
  acked: number[];
  busy: number[];
}

function _hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** True when the 16 bytes at `a` and at `b` of `page` are equal. */
function _sameId(page: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < 16; i++) if (page[a + i] !== page[b + i]) return false;
  return true;
}

/**
 * Hands a drained page to the connection and advances its cursor; answers how many packets the page
 * held. The page is read where it lies (no object or view per packet) and the DELIVER frames of the
 * packets not already out on this connection go out as ONE buffer of whole WebSocket frames: per
 * packet, an unacked entry, its key and one copy of its bytes. Packets of one mailbox share one copy
 * of its id. Throws RangeError on a truncated page, before anything is taken.
 */
export function deliverPage(conn: ClientConnection, page: Uint8Array): number {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let count = 0;
  let last = -1;
  for (let o = 0; o < page.length; ) {
    if (o + QUEUE_PACKED_HEAD > page.length) throw new RangeError(`drained page truncated at byte ${o} of ${page.length}`);
    const end = o + QUEUE_PACKED_HEAD + view.getUint32(o + QUEUE_PACKED_LENGTH_AT);
    if (end > page.length) throw new RangeError(`drained page truncated at byte ${o} of ${page.length}`);
    last = o;
    count++;
    o = end;
  }
  if (last < 0) return 0;
  // In seq order: the last one is the furthest.
  const lastSeq = view.getBigUint64(last);
  if (lastSeq > conn.drainSeq) conn.drainSeq = lastSeq;
  const send: number[] = [];
  let size = 0;
  let mailboxId!: Uint8Array;
  let mailboxAt = -1;
  for (let o = 0; o < page.length; ) {
    const n = view.getUint32(o + QUEUE_PACKED_LENGTH_AT);
    if (mailboxAt < 0 || !_sameId(page, o + QUEUE_PACKED_MAILBOX_AT, mailboxAt)) {
      // A copy, not a view: an unacked entry must not keep the whole page alive.
      mailboxId = new Uint8Array(16);
      for (let i = 0; i < 16; i++) mailboxId[i] = page[o + QUEUE_PACKED_MAILBOX_AT + i]!;
      mailboxAt = o + QUEUE_PACKED_MAILBOX_AT;
    }
    // The seq as a number (exact below 2^53; the queue takes it only as a hint): no BigInt per packet.
    const seq = view.getUint32(o) * 0x1_0000_0000 + view.getUint32(o + 4);
    if (conn.takeQueued(keyAt(page, o + QUEUE_PACKED_PACKET_ID_AT), mailboxId, view.getUint32(o + QUEUE_PACKED_DAY_AT), seq)) {
      send.push(o);
      size += headerLength(n + 1) + n + 1;
    }
    o += QUEUE_PACKED_HEAD + n;
  }
  if (send.length === 0) return count;
  const frames = Buffer.allocUnsafe(size);
  // Copied from a Buffer over the page: copy() takes offsets, where set() would need a view per packet.
  const src = Buffer.isBuffer(page) ? page : Buffer.from(page.buffer, page.byteOffset, page.byteLength);
  let at = 0;
  for (let i = 0; i < send.length; i++) {
    const o = send[i]!;
    const n = view.getUint32(o + QUEUE_PACKED_LENGTH_AT);
    at += writeHeader(frames, Opcode.BINARY, n + 1, at);
    frames[at++] = ServerFrameType.DELIVER;
    at += src.copy(frames, at, o + QUEUE_PACKED_HEAD, o + QUEUE_PACKED_HEAD + n);
  }
  conn.sendFrames(frames);
  return count;
}

/**
 * The gateway's logic, independent of how it is hosted: WebSocket sessions, claims with proof of
 * ownership, send → live delivery (this replica, another replica over the bus) or durable queueing,
 * acks, drains of queued packets, limits and graceful shutdown. Stateless across replicas: presence is
 * NATS interest — a replica serves `tacit.mbx.<id>` exactly while it holds a connection claiming it.
 */
export class Gateway {
  readonly wss: WsServer<ClientConnection>;
  private readonly connections = new Set<ClientConnection>();
  /** Claimed mailboxes on this replica → the connections claiming them and the bus subscription. */
  private readonly local = new Map<string, Claimants>();
  /** Serves `tacit.mbx.<id>` for every mailbox claimed here: one handler, the mailbox read from the subject. */
  private readonly mailboxHandler = (data: Uint8Array, subject: string): Promise<Uint8Array> =>
    this.onMailboxEvent(Buffer.from(subject.slice(_MBX_SUBJECT.length), 'hex').toString('latin1'), data);
  /** Packets for mailboxes on other replicas, collected this turn, by mailbox. */
  private readonly outbox = new Map<string, _RemoteBatch>();
  /** Packets for mailboxes whose replica is known, collected this turn, by replica. */
  private readonly replicaOutbox = new Map<string, _ReplicaBatch>();
  private outboxScheduled = false;
  /** This replica's id: other replicas hand it packets on `tacit.gw.<id>`. */
  readonly replicaId = randomBytes(8).toString('hex');
  private readonly statusSubject = _GW_STATUS_SUBJECT + this.replicaId;
  /** Mailbox → the replica that last answered for it (learned from MailboxEventReply.replica). */
  private readonly routes = new Map<string, string>();
  /** How many of `routes` name each replica. */
  private readonly routeCounts = new Map<string, number>();
  /** Packets handed to replicas by id, by ticket, until their status comes. */
  private readonly tickets = new Map<number, _Ticket>();
  private nextTicket = 0;
  /** Statuses of packets other replicas handed us, settled this turn, by their status subject. */
  private readonly statusOut = new Map<string, _StatusBatch>();
  private statusScheduled = false;
  private readonly replicaSubs: BusSubscription[];
  private ackBatch: QueueAckRef[] = [];
  private ackScheduled = false;
  /** Ack requests on their way to the queue. */
  private readonly acking = new Set<Promise<unknown>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly ipSalt = randomBytes(32);
  /** Client addresses seen lately, so connections from one address share their limit keys. */
  private readonly addresses = new Map<string, ClientAddress & { connectKey: string }>();
  /** Per-connection limits: one object for all connections. */
  private readonly limits: ConnectionLimits;
  private readonly now: () => number;
  /** Hot-path counters, bound to their labels once (cells: plain adds, taken in at a scrape). */
  private readonly m;
  accepting = true;

  constructor(private readonly deps: GatewayDeps) {
    this.now = deps.now ?? Date.now;
    const cfg = deps.config;
    const mt = deps.metrics;
    const frames = (type: string) => Metrics.cell(mt.frames, { type });
    const accepted = (path: string) => Metrics.cell(mt.accepted, { path });
    this.m = {
      frames: { hello: frames('hello'), claim: frames('claim'), send: frames('send'), ack: frames('ack'), ping: frames('ping') },
      acceptedDuplicate: accepted('duplicate'),
      acceptedLiveLocal: accepted('live_local'),
      acceptedLiveRemote: accepted('live_remote'),
      acceptedQueued: accepted('queued'),
      drained: Metrics.cell(mt.drained),
      remoteByMailbox: Metrics.cell(mt.remoteRequests, { route: 'mailbox' }),
      remoteByReplica: Metrics.cell(mt.remoteRequests, { route: 'replica' }),
      rerouted: Metrics.cell(mt.rerouted),
    };
    this.limits = {
      maxBufferedBytes: cfg.GATEWAY_MAX_BUFFERED_BYTES,
      deliveryWindow: cfg.GATEWAY_DELIVERY_WINDOW,
      liveAckTimeoutMs: cfg.GATEWAY_LIVE_ACK_TIMEOUT_MS,
      connRate: cfg.GATEWAY_CONN_RATE,
      connBurst: cfg.GATEWAY_CONN_BURST,
    };
    // The WebSocket layer closes with 1009 on its own above this hard ceiling; between maxFrameBytes
    // and it we answer FRAME_TOO_LARGE first, so a client learns why. Two handlers for every
    // connection: a connection holds no closure of its own.
    this.wss = new WsServer<ClientConnection>({
      maxPayload: cfg.GATEWAY_MAX_FRAME_BYTES * 2,
      message: (ws, data, isBinary) => this.onMessage(ws.ctx, data, isBinary),
      close: (ws) => this.detach(ws.ctx),
    });
    Metrics.sample(mt.bufferedBytes, () => {
      let bytes = 0;
      for (const conn of this.connections) bytes += conn.ws.bufferedAmount;
      return bytes;
    });
    this.replicaSubs = [
      deps.bus.serve(_GW_SUBJECT + this.replicaId, (data) => this.onReplicaBatch(data)),
      deps.bus.subscribe(this.statusSubject, (data) => this.onReplicaStatuses(data)),
    ];
    // One sweep for idle connections instead of a timer each: idle connections must stay cheap.
    this.sweeper = setInterval(() => this.sweepIdle(), Math.min(5000, Math.max(250, cfg.GATEWAY_IDLE_TIMEOUT_MS / 4)));
    this.sweeper.unref();
  }

  /** Number of open client connections on this replica. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Takes over an HTTP upgrade on the WebSocket path; refuses floods of new connections per IP. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.accepting) return refuseUpgrade(socket, 503, 'the gateway is draining; reconnect', { 'Retry-After': '1' });
    const peer = req.socket as IncomingMessage['socket'] & { _peername?: unknown };
    const address = this.address(peer.remoteAddress ?? '');
    // net.Socket caches the peer's address in an object for the socket's life; the gateway reads it
    // once, here, so let it go (an idle connection should hold only what it needs).
    peer._peername = undefined;
    if (!this.deps.limiter.allow(address.connectKey, this.deps.config.GATEWAY_IP_CONNECT_RATE)) {
      this.deps.metrics.rejectedConnections.inc();
      return refuseUpgrade(socket, 429, 'too many new connections from this address', { 'Retry-After': '1' });
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, address));
  }

  /** The limit keys of a client address, made once per address seen lately (not once per connection). */
  private address(ip: string): ClientAddress & { connectKey: string } {
    let a = this.addresses.get(ip);
    if (!a) {
      // Forgetting all now and then bounds the map; connections keep the objects they hold.
      if (this.addresses.size >= 4096) this.addresses.clear();
      const ipKey = this.ipKey(ip);
      a = { ipKey, frameKey: `f:${ipKey}`, connectKey: `c:${ipKey}` };
      this.addresses.set(ip, a);
    }
    return a;
  }

  private ipKey(ip: string): string {
    if (this.deps.config.GATEWAY_LOG_CLIENT_IPS) return ip;
    // Limits need a stable key per address, not the address: a salted hash keeps IPs out of Redis.
    return Buffer.from(blake3Keyed(this.ipSalt, new TextEncoder().encode(ip), 12)).toString('base64url');
  }

  private attach(ws: WsSocket<ClientConnection>, address: ClientAddress): ClientConnection {
    const conn = new ClientConnection(ws, address, this.limits, this.now());
    this.connections.add(conn);
    this.deps.metrics.connections.inc();
    return conn;
  }

  private detach(conn: ClientConnection): void {
    if (!this.connections.delete(conn)) return;
    conn.state = 'closing';
    this.deps.metrics.connections.dec();
    for (const key of conn.claimed.keys()) this.unclaimLocal(key, conn);
    conn.failPending();
  }

  private close(conn: ClientConnection, code: number, reason: string): void {
    conn.state = 'closing';
    conn.ws.close(code, reason);
  }

  private protocolFailure(conn: ClientConnection, code: ErrorCodeValue, message: string, ref?: Uint8Array | number): void {
    this.deps.metrics.errors.inc({ code: String(code) });
    conn.error(code, message, ref);
    const close = closeCodeFor(code);
    if (close !== undefined) this.close(conn, close, message.slice(0, 120));
  }

  /** One whole WebSocket message; `bytes` is its own (the SEND path keeps views of it). */
  private onMessage(conn: ClientConnection, bytes: Buffer, isBinary: boolean): void {
    if (conn.state === 'closing' && conn.ws.readyState !== ReadyState.OPEN) return;
    conn.touch(this.now());
    if (!isBinary) return this.protocolFailure(conn, ErrorCode.MALFORMED_FRAME, 'text messages are not frames; send binary');
    if (bytes.length > this.deps.config.GATEWAY_MAX_FRAME_BYTES) {
      return this.protocolFailure(
        conn,
        ErrorCode.FRAME_TOO_LARGE,
        `frame expected at most ${this.deps.config.GATEWAY_MAX_FRAME_BYTES} bytes, got ${bytes.length}`,
      );
    }
    if (!conn.take() || !this.deps.limiter.allow(conn.frameKey, this.deps.config.GATEWAY_IP_RATE)) {
      return this.rateLimited(conn, bytes);
    }
    // A well-formed SEND (nearly every frame) is checked in place: only its TTL is read here, and the
    // packet goes on as the frame's own bytes. Anything else is decoded whole, with its typed error.
    if (conn.state === 'open') {
      const ttl = sendFrameTtl(bytes, { maxFrameBytes: this.deps.config.GATEWAY_MAX_FRAME_BYTES });
      if (ttl !== undefined) {
        this.m.frames.send.inc();
        return void this.onSend(conn, bytes, ttl, bytes[0] === ClientFrameType.RESEND);
      }
      // So is a well-formed ACK (one per batch of deliveries): its ids are read where they lie.
      const acks = ackFrameCount(bytes, { maxFrameBytes: this.deps.config.GATEWAY_MAX_FRAME_BYTES });
      if (acks !== undefined) {
        this.m.frames.ack.inc();
        return this.onAck(conn, bytes, acks);
      }
    }
    let frame: ClientFrame;
    try {
      frame = decodeClientFrame(bytes, { maxFrameBytes: this.deps.config.GATEWAY_MAX_FRAME_BYTES });
    } catch (err) {
      if (err instanceof ProtocolError) return this.protocolFailure(conn, err.code, err.message);
      throw err;
    }
    this.m.frames[frame.type].inc();
    if (conn.state === 'hello') {
      if (frame.type !== 'hello') {
        return this.protocolFailure(conn, ErrorCode.HELLO_REQUIRED, `expected HELLO first, got ${frame.type.toUpperCase()}`);
      }
      return this.onHello(conn, frame.minVersion, frame.maxVersion);
    }
    switch (frame.type) {
      case 'hello':
        return this.protocolFailure(conn, ErrorCode.MALFORMED_FRAME, 'HELLO may only be sent once');
      case 'claim':
        return void this.onClaim(conn, frame);
      case 'send':
        // The packet's bytes are the frame minus its type byte: keep them to forward without re-encoding.
        return void this.onSend(conn, bytes, frame.packet.ttlSeconds, frame.resend === true);
      case 'ack':
        // Decoded whole (the connection is not open): a well-formed ACK all the same, its ids in place.
        return this.onAck(conn, bytes, frame.packetIds.length);
      case 'ping':
        conn.send({ type: 'pong', nonce: frame.nonce });
        return;
    }
  }

  private rateLimited(conn: ClientConnection, bytes: Uint8Array): void {
    this.deps.metrics.errors.inc({ code: String(ErrorCode.RATE_LIMITED) });
    const second = Math.floor(this.now() / 1000);
    if (conn.strikeWindow !== second) {
      conn.strikeWindow = second;
      conn.strikes = 0;
    }
    // A SEND's packet id sits at a fixed offset: echo it so the client knows which send to retry.
    const sent = bytes[0] === ClientFrameType.SEND || bytes[0] === ClientFrameType.RESEND;
    const ref = sent && bytes.length >= _FRAME_MIN ? bytes.subarray(_FRAME_PACKET_ID_AT, _FRAME_MIN) : undefined;
    conn.error(ErrorCode.RATE_LIMITED, 'rate limit exceeded; slow down', ref);
    if (++conn.strikes > _STRIKES_BEFORE_CLOSE) this.close(conn, CloseCode.RATE_LIMITED ?? 4429, 'rate limit exceeded');
  }

  private onHello(conn: ClientConnection, min: number, max: number): void {
    let version: number;
    try {
      version = negotiateVersion(min, max, SUPPORTED_VERSIONS);
    } catch (err) {
      if (err instanceof ProtocolError) return this.protocolFailure(conn, err.code, err.message);
      throw err;
    }
    conn.version = version;
    conn.challenge = randomBytes(32);
    conn.state = 'open';
    conn.send({
      type: 'welcome',
      version,
      challenge: conn.challenge,
      maxFrameBytes: this.deps.config.GATEWAY_MAX_FRAME_BYTES,
      idleTimeoutMs: this.deps.config.GATEWAY_IDLE_TIMEOUT_MS,
      maxClaim: MAX_CLAIM,
    });
  }

  private async onClaim(conn: ClientConnection, frame: ClaimFrame): Promise<void> {
    const fresh = frame.dests.length;
    if (conn.claimed.size + fresh > this.deps.config.GATEWAY_MAX_CLAIMS) {
      this.deps.metrics.errors.inc({ code: String(ErrorCode.TOO_MANY_CLAIMS) });
      conn.error(
        ErrorCode.TOO_MANY_CLAIMS,
        `"dests" would claim ${conn.claimed.size + fresh} mailboxes on this connection; at most ${this.deps.config.GATEWAY_MAX_CLAIMS}`,
        frame.requestId,
      );
      return;
    }
    const message = claimProofMessage(conn.challenge!, frame.dests);
    if (!ed25519.verify(frame.peerKey, message, frame.signature)) {
      this.deps.metrics.errors.inc({ code: String(ErrorCode.BAD_PROOF) });
      conn.error(ErrorCode.BAD_PROOF, '"signature" does not prove ownership of "peerKey" for these dests', frame.requestId);
      return;
    }
    let count = 0;
    let subscribed = false;
    for (const dest of frame.dests) {
      const id = deriveMailboxId(dest, frame.peerKey);
      const key = keyOf(id);
      if (!conn.claimed.has(key)) {
        conn.claimed.set(key);
        subscribed = this.claimLocal(key, id, conn) || subscribed;
      }
      count++;
    }
    this.deps.metrics.claims.inc(count);
    // Answered (and drained) only once the bus serves the new mailboxes here: a packet sent the
    // moment the client hears CLAIMED would otherwise find no one serving its mailbox, be queued
    // after this drain had run, and wait there until the client's next drain.
    if (subscribed) await this.deps.bus.settled();
    conn.send({ type: 'claimed', requestId: frame.requestId, count });
    this.redrain(conn);
  }

  /** Adds `conn` to the mailbox's claimants here; true when that made a new bus subscription. */
  private claimLocal(key: string, id: Uint8Array, conn: ClientConnection): boolean {
    const claimants = this.local.get(key);
    if (claimants) {
      claimants.add(conn);
      return false;
    }
    this.local.set(key, new Claimants(this.deps.bus.serve(_MBX_SUBJECT + _hex(id), this.mailboxHandler), conn));
    return true;
  }

  private unclaimLocal(key: string, conn: ClientConnection): void {
    const claimants = this.local.get(key);
    if (!claimants) return;
    claimants.delete(conn);
    if (claimants.size === 0) {
      this.local.delete(key);
      claimants.sub.unsubscribe();
    }
  }

  /** Another replica (or this one, via the bus) hands us a packet for a mailbox claimed here, or pokes. */
  private async onMailboxEvent(mbxKey: string, data: Uint8Array): Promise<Uint8Array> {
    const event = fromBinary(gatewayV1.MailboxEventSchema, data);
    const Status = gatewayV1.MailboxEventReply_Status;
    let status = Status.BUSY;
    if (event.event.case === 'poke') {
      for (const conn of this.local.get(mbxKey) ?? []) this.redrain(conn);
      status = Status.POKED;
    } else if (event.event.case === 'deliver') {
      const acked = await this.deliverLocal(mbxKey, deliverFrames([event.event.value])[0]!);
      status = acked ? Status.ACKED : Status.BUSY;
    } else if (event.event.case === 'deliverBatch') {
      const acked = await Promise.all(deliverFrames(event.event.value.packets).map((frame) => this.deliverLocal(mbxKey, frame)));
      const statuses = acked.map((a) => (a ? Status.ACKED : Status.BUSY));
      return toBinary(gatewayV1.MailboxEventReplySchema, create(gatewayV1.MailboxEventReplySchema, { statuses, replica: this.routeFor(mbxKey) }));
    }
    const replica = event.event.case === 'deliver' ? this.routeFor(mbxKey) : '';
    return toBinary(gatewayV1.MailboxEventReplySchema, create(gatewayV1.MailboxEventReplySchema, { status, replica }));
  }

  /** The replica id a reply names for a mailbox: ours while a connection here claims it, else none. */
  private routeFor(mbxKey: string): string {
    return this.local.has(mbxKey) ? this.replicaId : '';
  }

  /** Offers a DELIVER frame to this replica's connections claiming the mailbox; true once one acked it. */
  private deliverLocal(mbxKey: string, deliver: Uint8Array): Promise<boolean> {
    return new Promise<boolean>((resolve) => this.offerLocal(mbxKey, deliver, resolve));
  }

  /**
   * {@link deliverLocal} without promises (the receiving replica's hot path): the claimants in turn,
   * the next one only if the previous could not take it or did not ack in time; `done` hears once.
   */
  private offerLocal(mbxKey: string, deliver: Uint8Array, done: (acked: boolean) => void): void {
    const conns = this.local.get(mbxKey);
    if (!conns) return done(false);
    const key = keyAt(deliver, _FRAME_PACKET_ID_AT);
    const only = conns.only;
    if (only) {
      if (!only.offerLive(deliver, key, done)) done(false);
      return;
    }
    this.offerFrom(conns[Symbol.iterator](), deliver, key, done);
  }

  private offerFrom(claimants: Iterator<ClientConnection>, deliver: Uint8Array, key: string, done: (acked: boolean) => void): void {
    for (let next = claimants.next(); !next.done; next = claimants.next()) {
      const settled = (acked: boolean): void => (acked ? done(true) : this.offerFrom(claimants, deliver, key, done));
      if (next.value.offerLive(deliver, key, settled)) return;
    }
    done(false);
  }

  /**
   * `frame` is the whole SEND message: ws hands each message its own bytes, so the packet, its ids and
   * (with the type byte turned into DELIVER) the frame to forward are views of it — no copies.
   */
  private onSend(conn: ClientConnection, frame: Buffer, ttl: number, resend: boolean): void {
    if (this.deps.config.GATEWAY_QUEUE_TTL_SECONDS < ttl) ttl = this.deps.config.GATEWAY_QUEUE_TTL_SECONDS;
    conn.inflight++;
    // The common case in a cluster, a first attempt for a mailbox whose replica is known, goes without
    // async functions or promises (allocations per packet are what the gateway's GC pauses scale
    // with): the ticket is the whole send, and its status answers the sender (finishSend).
    if (!resend) {
      const mbxKey = keyAt(frame, _FRAME_MAILBOX_AT);
      if (!this.local.has(mbxKey)) {
        const replica = this.routes.get(mbxKey);
        if (replica !== undefined) {
          this.deliverByReplica(replica, { key: mbxKey, packet: frame.subarray(1), flight: undefined, conn, ttl, resolve: undefined });
          return;
        }
      }
    }
    void this.answer(conn, frame.subarray(_FRAME_PACKET_ID_AT, _FRAME_MIN), this.route(frame, ttl, resend));
  }

  /** Settles a send once `routed` tells whether its packet is safe: ACCEPTED, or a typed ERROR the SDK retries on. */
  private async answer(conn: ClientConnection, ref: Uint8Array, routed: Promise<'ok' | 'full'>): Promise<void> {
    try {
      const outcome = await routed;
      if (outcome === 'ok') conn.accept(ref);
      else {
        this.deps.metrics.errors.inc({ code: String(ErrorCode.MAILBOX_FULL) });
        conn.error(ErrorCode.MAILBOX_FULL, 'the recipient mailbox is full; retry later', ref);
      }
    } catch (err) {
      this.deps.metrics.errors.inc({ code: String(ErrorCode.UNAVAILABLE) });
      this.deps.log.warn('send_failed', { error: err instanceof Error ? err.name : 'unknown' });
      conn.error(ErrorCode.UNAVAILABLE, 'could not make the packet safe now; retry', ref);
    } finally {
      conn.inflight--;
    }
  }

  /**
   * Makes a packet safe: acked by the recipient live, or durably queued. Only then may the sender hear
   * ACCEPTED. Throws when neither happened (the sender retries with the same packet id).
   */
  private async route(frame: Buffer, ttlSeconds: number, resend: boolean): Promise<'ok' | 'full'> {
    const packet = frame.subarray(1);
    const mbxKey = keyAt(frame, _FRAME_MAILBOX_AT);
    const safeKey = mbxKey + keyAt(frame, _FRAME_PACKET_ID_AT);
    // Only a RESEND can repeat a packet already made safe: a first attempt skips the lookup (a client
    // lying about it only gets its own duplicate delivered, which the recipient's SDK drops).
    const seen = resend && this.deps.safe.has(safeKey);
    if (seen === true || (seen !== false && (await seen))) {
      this.m.acceptedDuplicate.inc();
      return 'ok';
    }
    if (!this.local.has(mbxKey)) return this.afterRemote(mbxKey, safeKey, packet, ttlSeconds, await this.deliverRemote(mbxKey, packet));
    frame[0] = ServerFrameType.DELIVER;
    if (await this.deliverLocal(mbxKey, frame)) {
      this.deps.safe.add(safeKey);
      this.m.acceptedLiveLocal.inc();
      return 'ok';
    }
    return this.enqueue(mbxKey, safeKey, packet, ttlSeconds, true);
  }

  /**
   * What a delivery to another replica made of a send: acked, it is safe now ('ok'). Otherwise it is
   * queued: when nobody held the mailbox, simply; after anything else (busy, timeout, a replica dying
   * mid-delivery) the recipient may be online, so its replica is poked too.
   */
  private afterRemote(mbxKey: string, safeKey: string, packet: Uint8Array, ttlSeconds: number, outcome: _RemoteOutcome): 'ok' | Promise<'ok' | 'full'> {
    if (outcome !== 'acked') return this.enqueue(mbxKey, safeKey, packet, ttlSeconds, outcome !== 'nobody');
    this.deps.safe.add(safeKey);
    this.m.acceptedLiveRemote.inc();
    return 'ok';
  }

  /**
   * Queues a packet that live delivery did not make safe; pokes the recipient's replica when the
   * recipient may be online. `packet` is the SEND frame after its type byte.
   */
  private async enqueue(mbxKey: string, safeKey: string, packet: Uint8Array, ttlSeconds: number, online: boolean): Promise<'ok' | 'full'> {
    const mailboxId = _mailboxIdOf(packet);
    const outcome = await this.deps.queue.enqueue({ mailboxId, packetId: _packetIdOf(packet), packet, ttlSeconds });
    if (outcome === 'mailbox_full') return 'full';
    this.deps.safe.add(safeKey);
    this.m.acceptedQueued.inc();
    if (online) this.poke(mbxKey, mailboxId);
    return 'ok';
  }

  /** The end of a send that took the fast path (onSend): acked live, or queued now. */
  private finishSend(t: _Ticket, outcome: _RemoteOutcome): void {
    const conn = t.conn!;
    const ref = _packetIdOf(t.packet);
    const safe = this.afterRemote(t.key, t.key + keyAt(t.packet, _PACKET_ID_AT), t.packet, t.ttl, outcome);
    if (safe !== 'ok') return void this.answer(conn, ref, safe);
    conn.accept(ref);
    conn.inflight--;
  }

  /**
   * Hands a packet to the replica holding its mailbox: by the replica's id once a reply has named it
   * (packets for all its mailboxes in one request per turn), else by the mailbox's subject.
   */
  private deliverRemote(mbxKey: string, packet: Uint8Array): Promise<_RemoteOutcome> {
    const replica = this.routes.get(mbxKey);
    if (replica === undefined) return this.deliverByMailbox(mbxKey, _mailboxIdOf(packet), packet);
    return new Promise<_RemoteOutcome>((resolve) => {
      this.deliverByReplica(replica, { key: mbxKey, packet, flight: undefined, conn: undefined, ttl: 0, resolve });
    });
  }

  /**
   * Packets for one mailbox in the same turn of the event loop travel as one request to its subject
   * (a burst from a sender costs one NATS round trip, not one each).
   */
  private deliverByMailbox(mbxKey: string, mailboxId: Uint8Array, packet: Uint8Array): Promise<_RemoteOutcome> {
    let batch = this.outbox.get(mbxKey);
    if (!batch) {
      batch = { key: mbxKey, mailboxId, packets: [], waiters: [], bytes: 0 };
      this.outbox.set(mbxKey, batch);
    }
    const b = batch;
    return new Promise<_RemoteOutcome>((resolve) => {
      b.packets.push(packet);
      b.waiters.push(resolve);
      b.bytes += packet.length;
      if (b.packets.length >= _REMOTE_BATCH || b.bytes >= _REMOTE_BATCH_BYTES) {
        this.outbox.delete(mbxKey);
        void this.sendRemote(b);
      } else this.scheduleOutbox();
    });
  }

  /** Packets for the mailboxes of one replica in the same turn travel as one ReplicaBatch. */
  private deliverByReplica(replica: string, ticket: _Ticket): void {
    let batch = this.replicaOutbox.get(replica);
    if (!batch) {
      batch = { replica, tickets: [], bytes: 0 };
      this.replicaOutbox.set(replica, batch);
    }
    batch.tickets.push(ticket);
    batch.bytes += ticket.packet.length;
    if (batch.tickets.length >= _REPLICA_BATCH || batch.bytes >= _REPLICA_BATCH_BYTES) {
      this.replicaOutbox.delete(replica);
      void this.sendReplica(batch);
    } else this.scheduleOutbox();
  }

  private scheduleOutbox(): void {
    if (this.outboxScheduled) return;
    this.outboxScheduled = true;
    setImmediate(() => {
      this.outboxScheduled = false;
      const batches = [...this.outbox.values()];
      this.outbox.clear();
      for (const next of batches) void this.sendRemote(next);
      const byReplica = [...this.replicaOutbox.values()];
      this.replicaOutbox.clear();
      for (const next of byReplica) void this.sendReplica(next);
    });
  }

  private async sendRemote(b: _RemoteBatch): Promise<void> {
    const S = gatewayV1.MailboxEventReply_Status;
    const single = b.packets.length === 1;
    let statuses: gatewayV1.MailboxEventReply_Status[];
    this.m.remoteByMailbox.inc();
    try {
      const reply = fromBinary(
        gatewayV1.MailboxEventReplySchema,
        await this.deps.bus.request(_MBX_SUBJECT + _hex(b.mailboxId), encodeDeliverEvent(b.packets), {
          timeoutMs: this.deps.config.GATEWAY_LIVE_ACK_TIMEOUT_MS + 500,
        }),
      );
      statuses = single ? [reply.status] : reply.statuses;
      if (_REPLICA_ID.test(reply.replica) && reply.replica !== this.replicaId) this.learnRoute(b.key, reply.replica);
    } catch (err) {
      const outcome: _RemoteOutcome = err instanceof NoRespondersError ? 'nobody' : 'failed';
      for (const w of b.waiters) w(outcome);
      return;
    }
    b.waiters.forEach((w, i) => w(statuses[i] === S.ACKED ? 'acked' : 'busy'));
  }

  private learnRoute(mbxKey: string, replica: string): void {
    if (this.routes.get(mbxKey) === replica) return;
    this.dropRoute(mbxKey);
    if (this.routes.size >= _ROUTES_MAX) this.dropRoute(this.routes.keys().next().value!);
    this.routes.set(mbxKey, replica);
    this.routeCounts.set(replica, (this.routeCounts.get(replica) ?? 0) + 1);
  }

  private dropRoute(mbxKey: string): void {
    const replica = this.routes.get(mbxKey);
    if (replica === undefined) return;
    this.routes.delete(mbxKey);
    const left = this.routeCounts.get(replica)! - 1;
    if (left === 0) this.routeCounts.delete(replica);
    else this.routeCounts.set(replica, left);
  }

  /**
   * Forgets every mailbox routed to `replica` (it is gone, or failed to answer). A replica with no
   * routes left costs nothing: its other failing batches, arriving after the first, scan nothing.
   */
  private forgetReplica(replica: string): void {
    if (!this.routeCounts.has(replica)) return;
    for (const [key, r] of this.routes) if (r === replica) this.dropRoute(key);
  }

  /**
   * Sends a ReplicaBatch: its tickets wait for their statuses (ReplicaStatuses on our status subject)
   * or the live-ack timeout. Packets whose mailbox moved, or all of them when the replica is gone,
   * are sent again by mailbox; on a timeout or failure they count as failed (queued, then poked).
   */
  private async sendReplica(b: _ReplicaBatch): Promise<void> {
    const timeoutMs = this.deps.config.GATEWAY_LIVE_ACK_TIMEOUT_MS + 500;
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
    flight.timer = setTimeout(() => this.settleTickets(first, n, 'failed'), timeoutMs);
    this.m.remoteByReplica.inc();
    try {
      const reply = fromBinary(
        gatewayV1.ReplicaBatchReplySchema,
        await this.deps.bus.request(_GW_SUBJECT + b.replica, encodeReplicaBatch(first, this.statusSubject, packets), { timeoutMs }),
      );
      for (const i of reply.notHere) if (i < n) this.settleTicket((first + i) >>> 0, 'moved');
    } catch (err) {
      // Gone (nobody serves its subject) or not answering: route by mailbox until a reply names one.
      this.forgetReplica(b.replica);
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
    if (this.routes.get(t.key) === flight.replica) this.dropRoute(t.key);
    this.m.rerouted.inc();
    void this.deliverByMailbox(t.key, _mailboxIdOf(t.packet), t.packet).then((o) => this.settled(t, o));
  }

  private settled(t: _Ticket, outcome: _RemoteOutcome): void {
    if (t.conn) this.finishSend(t, outcome);
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
      if (key === undefined || !this.local.has(key)) {
        notHere.push(i);
        continue;
      }
      const ticket = (first + i) >>> 0;
      this.offerLocal(key, frame, (acked) => this.reportStatus(subject, ticket, acked));
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
    if (this.statusScheduled) return;
    this.statusScheduled = true;
    setImmediate(() => {
      this.statusScheduled = false;
      for (const [to, statuses] of this.statusOut) {
        try {
          this.deps.bus.publish(to, toBinary(gatewayV1.ReplicaStatusesSchema, create(gatewayV1.ReplicaStatusesSchema, statuses)));
        } catch (err) {
          // A malformed status subject, or the bus closing: the sender's timeout settles those packets.
          this.deps.log.warn('replica_status_failed', { packets: statuses.acked.length + statuses.busy.length, error: err instanceof Error ? err.name : 'unknown' });
        }
      }
      this.statusOut.clear();
    });
  }

  private onReplicaStatuses(data: Uint8Array): void {
    const statuses = fromBinary(gatewayV1.ReplicaStatusesSchema, data);
    for (const t of statuses.acked) this.settleTicket(t, 'acked');
    for (const t of statuses.busy) this.settleTicket(t, 'busy');
  }

  private poke(mbxKey: string, mailboxId: Uint8Array): void {
    const local = this.local.get(mbxKey);
    if (local) {
      for (const conn of local) this.redrain(conn);
      return;
    }
    const event = toBinary(gatewayV1.MailboxEventSchema, create(gatewayV1.MailboxEventSchema, { event: { case: 'poke', value: {} } }));
    this.deps.bus.request(_MBX_SUBJECT + _hex(mailboxId), event, { timeoutMs: 2000 }).catch(() => undefined);
  }

  /** An ACK frame's `count` ids, read where they lie (no view or frame object per id). */
  private onAck(conn: ClientConnection, frame: Uint8Array, count: number): void {
    let unknown = -1;
    for (let i = 0, at = ACK_IDS_AT; i < count; i++, at += 16) {
      const settled = conn.settle(keyAt(frame, at), true);
      if (settled === undefined) unknown = at;
      else if (settled) this.queueAck(settled);
    }
    if (unknown >= 0) {
      this.deps.metrics.errors.inc({ code: String(ErrorCode.UNKNOWN_PACKET) });
      conn.error(ErrorCode.UNKNOWN_PACKET, '"packetIds" names a packet not delivered on this connection', frame.subarray(unknown, unknown + 16));
    }
  }

  /**
   * Acks of queued packets from all connections of one tick go to the queue together (the port splits
   * them into requests the queue accepts); each names the partition and seq its drain reported.
   */
  private queueAck(ref: QueueAckRef): void {
    this.ackBatch.push(ref);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => this.flushAcks());
  }

  /** Sends the acks batched so far to the queue; shutdown waits for those still on their way. */
  private flushAcks(): void {
    this.ackScheduled = false;
    const batch = this.ackBatch;
    if (batch.length === 0) return;
    this.ackBatch = [];
    // A failed ack leaves the packet queued: it is delivered again later and the SDK drops it.
    const sent: Promise<unknown> = this.deps.queue
      .ack(batch)
      .catch((err: unknown) => {
        this.deps.log.warn('queue_ack_failed', { packets: batch.length, error: err instanceof Error ? err.name : 'unknown' });
      })
      .finally(() => this.acking.delete(sent));
    this.acking.add(sent);
  }

  /**
   * Drains from the start of the queue again: packets committed out of sequence order while a drain
   * ran are picked up, and those already delivered and unacked are skipped by packet id.
   */
  private redrain(conn: ClientConnection): void {
    conn.drainSeq = 0n;
    void this.drain(conn);
  }

  /** Streams a connection's queued packets in order, within its delivery window; re-runs when poked. */
  private async drain(conn: ClientConnection): Promise<void> {
    if (conn.draining) {
      conn.drainAgain = true;
      return;
    }
    conn.draining = true;
    try {
      do {
        conn.drainAgain = false;
        for (let page = 0; ; page++) {
          if (conn.state !== 'open' || conn.claimed.size === 0) return;
          await conn.roomInWindow();
          if (conn.state !== 'open') return;
          const room = Math.max(1, Math.min(page === 0 ? _FIRST_DRAIN_BATCH : _DRAIN_BATCH, conn.limits.deliveryWindow - conn.pending.size));
          const { page: bytes, more } = await this.deps.queue.drain([...conn.claimed.values()], conn.drainSeq, room);
          this.m.drained.inc(deliverPage(conn, bytes));
          if (!more) break;
        }
      } while (conn.drainAgain);
    } catch (err) {
      this.deps.log.warn('drain_failed', { error: err instanceof Error ? err.name : 'unknown' });
    } finally {
      conn.draining = false;
    }
  }

  private sweepIdle(): void {
    const deadline = this.now() - this.deps.config.GATEWAY_IDLE_TIMEOUT_MS;
    for (const conn of this.connections) {
      if (conn.lastActivity < deadline && conn.state !== 'closing') {
        conn.send({ type: 'goaway', reason: GoawayReason.IDLE_TIMEOUT, retryAfterMs: 0 });
        this.protocolFailure(conn, ErrorCode.IDLE_TIMEOUT, `no frame for ${this.deps.config.GATEWAY_IDLE_TIMEOUT_MS} ms`);
      }
    }
  }

  /**
   * Graceful drain for SIGTERM: stop taking connections, tell clients to reconnect elsewhere, let
   * in-flight sends finish (bounded by the grace period), close with 1012, then hand the queue the
   * acks that arrived last and wait for them.
   */
  async shutdown(graceMs = this.deps.config.GATEWAY_DRAIN_GRACE_MS): Promise<void> {
    this.accepting = false;
    clearInterval(this.sweeper);
    for (const conn of this.connections) {
      conn.send({ type: 'goaway', reason: GoawayReason.DRAINING, retryAfterMs: Math.floor(Math.random() * 1000) });
    }
    const deadline = this.now() + graceMs;
    while (this.now() < deadline && [...this.connections].some((c) => c.inflight > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const conn of [...this.connections]) {
      this.close(conn, 1012, 'going away');
      this.detach(conn);
    }
    // The clients' last acks go to the queue now and are waited for (within the grace, and at least
    // a moment): a packet acked here is not delivered again after the client reconnects elsewhere.
    this.flushAcks();
    if (this.acking.size > 0) {
      const wait = Math.max(deadline - this.now(), _SHUTDOWN_ACK_WAIT_MS);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.acking]), new Promise((r) => (timer = setTimeout(r, wait)))]);
      clearTimeout(timer);
    }
    for (const claimants of this.local.values()) claimants.sub.unsubscribe();
    this.local.clear();
    for (const sub of this.replicaSubs) sub.unsubscribe();
  }
}
