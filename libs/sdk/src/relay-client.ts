import { ed25519, x25519, type KeyPair } from '@tacit/crypto';
import {
  channelKey,
  channelTag,
  CHANNEL_TAG_LEN,
  claimProofMessage,
  claimProofMessageV2,
  currentEpoch,
  decodeServerFrame,
  destHash,
  encodeClientFrame,
  ClientFrameType,
  encodePaddedSend,
  ErrorCode,
  mailboxId,
  MAX_ACK,
  MAX_CLAIM,
  MAX_TTL_SECONDS,
  missedEpochs,
  PROTOCOL_VERSION,
  ProtocolError,
  skewWindow,
  unpad,
  DEFAULT_TTL_HOURS,
  type Packet,
  type ServerFrame,
} from '@tacit/protocol';
import { DedupSet } from './dedup.js';

/** The browser WebSocket shape; Node 24's global WebSocket and the `ws` package both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

/** A received message, surfaced exactly once per packet id. */
export interface ReceivedMessage {
  packetId: Uint8Array;
  destHash: Uint8Array;
  payload: Uint8Array;
}

/** The mailbox owner's key for one namespace: Ed25519, 32-byte seed and public key. */
export interface MailboxIdentity {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Options of {@link RelayClient}. */
export interface RelayClientOptions {
  /** Gateway URLs (ws://…/v1); the client rotates through them when one fails. */
  urls: string[];
  namespaceId: Uint8Array;
  identity: MailboxIdentity;
  /** Opens a socket; default: the global WebSocket. */
  webSocket?: WebSocketFactory;
  /**
   * Called once per new packet; the ACK is sent after it settles, so a process that dies mid-handler
   * gets the packet again. A handler that throws or rejects does not: the packet is acked and
   * dropped (reported to `onDropped`), so a packet the app cannot handle — a contact's junk — never
   * holds the mailbox's delivery up.
   */
  onMessage?: (msg: ReceivedMessage) => void | Promise<void>;
  /** Told about each packet acked without reaching the app: not padded as the protocol says, or its handler failed. */
  onDropped?: (packetId: Uint8Array, reason: 'undecodable' | 'handler_failed', err?: unknown) => void;
  /**
   * Send on a second connection that claims nothing (default false): the relay then cannot link
   * this client's sends to the mailboxes it receives on by their connection (it may still by timing
   * and address: docs/protocol.md §11.1). Costs one more connection.
   */
  separateSender?: boolean;
  /**
   * The relay key each gateway URL must show (X25519 public keys, 32 bytes; e.g. from an invite or the
   * app's config). A gateway showing another key is not the relay meant — one in the middle, say —
   * and the client closes the connection before claiming and tries the next URL. Unset for a URL:
   * the key the gateway shows is used as it is (claims are still bound to it and to the connection,
   * so a gateway relaying them to another gets nothing it can use: docs/protocol.md §3.1).
   */
  relayKeys?: Readonly<Record<string, Uint8Array>>;
  /**
   * Also speak protocol version 1 to gateways that speak nothing newer (default false). Only for a
   * rolling upgrade from gateways of before version 2, and for benchmarks comparing such a build: a
   * v1 claim is not bound to the relay, so a gateway in the middle can replay it and delete packets
   * (docs/protocol.md §4.1). Never with `relayKeys` for that URL: a v1 gateway shows no key.
   */
  allowVersion1?: boolean;
  /** Told when a gateway showed a relay key other than the one pinned for its URL in `relayKeys`. */
  onRelayKeyMismatch?: (url: string) => void;
  /** Allow `ws://` URLs to hosts other than loopback (default false: only `wss://`, or `ws://` to 127.0.0.0/8, ::1, localhost). */
  allowInsecure?: boolean;
  /** How long a send refused with MAILBOX_FULL keeps being retried, with backoff, before it is rejected (default 600 000 ms). */
  fullRetryMs?: number;
  /** Claim this connection's mailboxes (default true); a send-only client may skip it. */
  receive?: boolean;
  /** When the client was last online (ms), to claim the epochs missed since; default: only the skew window. */
  lastSeenMs?: number;
  /** Called each time the connection is ready (claims made), with the client's time: persist it as the next `lastSeenMs`. */
  onReady?: (nowMs: number) => void;
  /**
   * How often to look whether the hour turned (ms, default 60 000; 0: never): the epochs of the new
   * skew window are then claimed on the open connection, so a sender addressing the new hour reaches
   * this client live. {@link RelayClient.refreshClaims} does it at once.
   */
  claimCheckMs?: number;
  /** Packet ids remembered for dedup (default 100,000; 1..2^26, else RangeError): 16 bytes each plus an index, grown as ids arrive. */
  dedupCapacity?: number;
  /** Reconnect backoff bounds (ms). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
  random?: (n: number) => Uint8Array;
}

/** The gateway refused a packet for good (e.g. the recipient's mailbox is full). */
export class SendRejectedError extends Error {
  override readonly name = 'SendRejectedError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The client was closed before the packet was accepted. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
}

interface _Outgoing {
  frame: Uint8Array;
  resolve: () => void;
  reject: (e: unknown) => void;
  sent: boolean;
  /** Times written to a socket: every attempt after the first goes as RESEND (the gateway checks its dedup set). */
  tries: number;
  /** When the mailbox was first found full (ms), while it stays full. */
  fullSince?: number;
  /** The wait before the next attempt at a full mailbox (ms). */
  fullBackoff?: number;
  /** The wait before the next attempt after RATE_LIMITED or UNAVAILABLE (ms). */
  retryBackoff?: number;
}

/** True for a URL the client may use without `allowInsecure`: `wss:`, or `ws:` to a loopback host. */
export function isSecureRelayUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'wss:') return true;
  if (u.protocol !== 'ws:') return false;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Longest delay Node's timers hold. */
const _MAX_TIMER_MS = 0x7fff_ffff;

const _HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Hex of `b`; portable (no Buffer). */
function _hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += _HEX[b[i]!];
  return s;
}

/**
 * A map key for a 16-byte id: one char per byte (cheaper than hex per packet). Sixteen arguments
 * spelled out: 0.04 µs against 0.15 µs for `apply` over the array (Node 24).
 */
function _key(id: Uint8Array): string {
  if (id.length !== 16) return String.fromCharCode.apply(null, id as unknown as number[]);
  return String.fromCharCode(id[0]!, id[1]!, id[2]!, id[3]!, id[4]!, id[5]!, id[6]!, id[7]!, id[8]!, id[9]!, id[10]!, id[11]!, id[12]!, id[13]!, id[14]!, id[15]!);
}

/**
 * Random packet ids from a pooled buffer: one getRandomValues call per 256 ids instead of one per
 * packet (the call, not the bytes, is what costs).
 */
function _pooledRandom(): (n: number) => Uint8Array {
  let pool = new Uint8Array(0);
  let off = 0;
  return (n) => {
    if (off + n > pool.length) {
      pool = crypto.getRandomValues(new Uint8Array(Math.max(4096, n)));
      off = 0;
    }
    const out = pool.slice(off, off + n);
    off += n;
    return out;
  };
}

function _bytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) {
    const total = data.reduce((n: number, b: Uint8Array) => n + b.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const b of data as Uint8Array[]) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  }
  throw new ProtocolError(ErrorCode.MALFORMED_FRAME, 'message', 'text message from the gateway');
}

/**
 * A connection to Tacit relays: HELLO, claims with proof of ownership, send with retry until ACCEPTED,
 * receive with dedup (each packet id surfaces once) and coalesced acks, reconnect with backoff across
 * gateway URLs. Sends that were not yet ACCEPTED are re-sent after a reconnect with the same packet id.
 */
export class RelayClient {
  private ws: WebSocketLike | undefined;
  private urlIndex = 0;
  private closed = false;
  private backoff: number;
  private readonly outbox = new Map<string, _Outgoing>();
  private readonly seen: DedupSet;
  private readonly addresses = new Map<string, { epoch: number; dest: Uint8Array; mailbox: Uint8Array }>();
  private corked = false;
  private lastAddress: { recipient: Uint8Array; epoch: number; dest: Uint8Array; mailbox: Uint8Array } | undefined;
  private ackQueue: Uint8Array[] = [];
  private ackScheduled = false;
  private requestId = 0;
  /** Claims not yet answered: the frame is kept to send again after RATE_LIMITED (with its backoff, ms). */
  private readonly claimWaiters = new Map<number, { resolve: () => void; reject: (e: unknown) => void; frame: Uint8Array; backoff: number }>();
  private readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private ready = false;
  private lastSeenMs: number | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private goawayTimer: ReturnType<typeof setTimeout> | undefined;
  /** The open connection's WELCOME challenge and the epochs claimed on it. */
  private challenge: Uint8Array | undefined;
  /** The open connection's relay key, this client's ephemeral key pair for it, and the channel key they agree. */
  private channel: { relayKey: Uint8Array; ephemeral: KeyPair; key: Uint8Array } | undefined;
  /** The open connection speaks version 1 (`allowVersion1`): claims and ACKs unbound. */
  private v1 = false;
  /** The URL of the open connection. */
  private url = '';
  private readonly claimedEpochs = new Set<number>();
  private claimTimer: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;
  private readonly random: (n: number) => Uint8Array;
  /** Counts for tests and benchmarks. */
  readonly stats = { connects: 0, delivered: 0, duplicates: 0, dropped: 0, accepted: 0, resent: 0, goaways: 0, fullRetries: 0, relayKeyMismatches: 0 };

  /** The send-only connection, with `separateSender`. */
  private readonly sender: RelayClient | undefined;

  constructor(private readonly opts: RelayClientOptions) {
    if (opts.urls.length === 0) throw new RangeError('"urls" expected at least 1 gateway URL, got 0');
    for (const [url, key] of Object.entries(opts.relayKeys ?? {})) {
      if (!(key instanceof Uint8Array) || key.length !== 32) throw new RangeError(`"relayKeys[${JSON.stringify(url)}]" expected 32 bytes`);
    }
    for (const url of opts.urls) {
      if (!opts.allowInsecure && !isSecureRelayUrl(url)) {
        throw new RangeError(`"urls" expected wss:// (or ws:// to loopback), got ${JSON.stringify(url)}: a relay on a plain connection can be impersonated (allowInsecure overrides)`);
      }
    }
    // The send-only connection claims nothing, so it has no hour to re-claim and no "last seen" to report.
    if (opts.separateSender) this.sender = new RelayClient({ ...opts, separateSender: false, receive: false, onMessage: undefined, onReady: undefined });
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? _pooledRandom();
    this.backoff = opts.minBackoffMs ?? 100;
    this.lastSeenMs = opts.lastSeenMs;
    this.seen = new DedupSet(opts.dedupCapacity ?? 100_000);
  }

  /** The public key senders address this client by. */
  get peerKey(): Uint8Array {
    return this.opts.identity.publicKey;
  }

  /** Sends not yet accepted. */
  get pendingSends(): number {
    return this.sender ? this.sender.pendingSends : this.outbox.size;
  }

  /** Opens the connection (HELLO, claims; and the send-only one); resolves once ready to send and receive. */
  connect(): Promise<void> {
    this.closed = false;
    const p = this.waitReady();
    if (!this.ws) this.open();
    const every = this.opts.claimCheckMs ?? 60_000;
    if (every > 0 && this.claimTimer === undefined && (this.opts.receive ?? true)) {
      this.claimTimer = setInterval(() => void this.refreshClaims().catch(() => undefined), every);
      (this.claimTimer as { unref?: () => void }).unref?.();
    }
    return this.sender ? Promise.all([p, this.sender.connect()]).then(() => undefined) : p;
  }

  /**
   * Claims, on the open connection, the epochs of the current skew window not claimed on it yet
   * (the hour turned since the connection opened). Nothing while not connected: the next
   * connection claims the whole window.
   */
  async refreshClaims(): Promise<void> {
    const challenge = this.challenge;
    if (!this.ready || challenge === undefined || !(this.opts.receive ?? true)) return;
    const epochs = skewWindow(this.now()).filter((e) => !this.claimedEpochs.has(e));
    if (epochs.length === 0) return;
    for (const e of epochs) this.claimedEpochs.add(e);
    await this.claim(challenge, epochs.map((e) => destHash(this.opts.namespaceId, this.peerKey, e)));
  }

  /** When the client was last ready (its own clock, ms). */
  get lastSeen(): number | undefined {
    return this.lastSeenMs;
  }

  private waitReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private open(): void {
    const url = this.opts.urls[this.urlIndex % this.opts.urls.length]!;
    this.url = url;
    const factory = this.opts.webSocket ?? ((u: string) => new (globalThis as unknown as { WebSocket: new (u: string) => WebSocketLike }).WebSocket(u));
    const ws = factory(url);
    this.ws = ws;
    // `ws` hands Node Buffers (no copy) with 'nodebuffer'; browsers and undici ignore that value,
    // and get 'arraybuffer'.
    ws.binaryType = 'nodebuffer';
    if (ws.binaryType !== 'nodebuffer') ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      ws.send(encodeClientFrame({ type: 'hello', minVersion: this.opts.allowVersion1 ? 1 : PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION }));
    };
    ws.onmessage = (ev) => {
      try {
        this.onFrame(decodeServerFrame(_bytes(ev.data)));
      } catch (err) {
        if (err instanceof ProtocolError) ws.close(4400, 'malformed frame from gateway');
        else throw err;
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = () => this.onClose(ws);
  }

  private onClose(ws: WebSocketLike): void {
    if (this.ws !== ws) return;
    this.ws = undefined;
    this.ready = false;
    this.challenge = undefined;
    this.channel = undefined;
    this.claimedEpochs.clear();
    for (const o of this.outbox.values()) o.sent = false;
    for (const w of this.claimWaiters.values()) w.reject(new Error('connection closed during claim'));
    this.claimWaiters.clear();
    if (this.closed) return;
    this.urlIndex++;
    const delay = this.backoff * (0.5 + Math.random());
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 5000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) this.open();
    }, delay);
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome': {
        // Version 2 unless allowVersion1: a v1 claim could be replayed by a gateway in the middle, so
        // a gateway that answers 1 is refused like a malformed one.
        const pinned = this.opts.relayKeys?.[this.url];
        this.v1 = frame.relayKey === undefined && this.opts.allowVersion1 === true && pinned === undefined;
        if (this.v1) return this.welcomed(frame.challenge);
        if (frame.relayKey === undefined) return this.ws?.close(4400, 'gateway does not bind claims (version 1)');
        if (pinned !== undefined && !_equal(pinned, frame.relayKey)) {
          this.stats.relayKeyMismatches++;
          this.opts.onRelayKeyMismatch?.(this.url);
          return this.ws?.close(4403, 'relay key differs from the one pinned for this URL');
        }
        const ephemeral = x25519.keygen();
        let shared: Uint8Array;
        try {
          shared = x25519.getSharedSecret(ephemeral.secretKey, frame.relayKey);
        } catch {
          // A low-order point: no key could be agreed with it (only a broken or hostile gateway sends one).
          return this.ws?.close(4400, 'relay key is not a usable X25519 key');
        }
        this.channel = { relayKey: Uint8Array.from(frame.relayKey), ephemeral, key: channelKey(shared, frame.challenge, frame.relayKey, ephemeral.publicKey) };
        return this.welcomed(frame.challenge);
      }
      case 'claimed': {
        const w = this.claimWaiters.get(frame.requestId);
        this.claimWaiters.delete(frame.requestId);
        w?.resolve();
        return;
      }
      case 'accepted':
        for (const id of frame.packetIds) {
          const key = _key(id);
          const o = this.outbox.get(key);
          if (o) {
            this.outbox.delete(key);
            this.stats.accepted++;
            o.resolve();
          }
        }
        return;
      case 'deliver':
        return this.onDeliver(frame.packet);
      case 'error':
        return this.onError(frame.code, frame.ref, frame.message);
      case 'goaway': {
        // The gateway drains: reconnect (to the next URL) after its hint; unaccepted sends go again.
        // The socket that said so is closed, not whichever is current by then; Node's timers wait at
        // most 2^31 - 1 ms (a longer delay would fire after 1 ms).
        this.stats.goaways++;
        const ws = this.ws;
        clearTimeout(this.goawayTimer);
        this.goawayTimer = setTimeout(() => ws?.close(1000, 'goaway'), Math.min(frame.retryAfterMs, _MAX_TIMER_MS));
        return;
      }
      case 'pong':
        return;
    }
  }

  private async onWelcome(challenge: Uint8Array): Promise<void> {
    this.stats.connects++;
    this.backoff = this.opts.minBackoffMs ?? 100;
    const now = this.now();
    if (this.opts.receive ?? true) {
      const epochs = new Set(skewWindow(now));
      if (this.lastSeenMs !== undefined) for (const e of missedEpochs(this.lastSeenMs, now, DEFAULT_TTL_HOURS)) epochs.add(e);
      const sorted = [...epochs].sort((a, b) => a - b);
      const dests = sorted.map((e) => destHash(this.opts.namespaceId, this.peerKey, e));
      for (let i = 0; i < dests.length; i += MAX_CLAIM) await this.claim(challenge, dests.slice(i, i + MAX_CLAIM));
      this.challenge = Uint8Array.from(challenge);
      for (const e of sorted) this.claimedEpochs.add(e);
    }
    this.lastSeenMs = now;
    this.ready = true;
    this.opts.onReady?.(now);
    for (const w of this.readyWaiters.splice(0)) w.resolve();
    for (const o of this.outbox.values()) {
      if (!o.sent) {
        this.stats.resent++;
        this.transmit(o);
      }
    }
  }

  /** WELCOME accepted: claim, then ready. */
  private welcomed(challenge: Uint8Array): void {
    void this.onWelcome(challenge).catch((err: unknown) => {
      // The gateway refused the claim itself (bad proof, too many mailboxes): reconnecting would
      // only be refused again, so the caller of connect() hears why and the client stops.
      if (err instanceof SendRejectedError) {
        for (const w of this.readyWaiters.splice(0)) w.reject(err);
        this.close();
      } else this.ws?.close(4000, 'claim failed');
    });
  }

  private claim(challenge: Uint8Array, dests: Uint8Array[]): Promise<void> {
    const requestId = ++this.requestId >>> 0;
    const channel = this.channel;
    let frame: Uint8Array;
    if (this.v1) {
      const signature = ed25519.sign(this.opts.identity.secretKey, claimProofMessage(challenge, dests));
      frame = encodeClientFrame({ type: 'claim', requestId, peerKey: this.peerKey, signature, dests });
    } else {
      if (channel === undefined) return Promise.reject(new Error('no connection to claim on'));
      // Bound to this relay's key and this connection's ephemeral key: docs/protocol.md §4.1.
      const ephemeral = channel.ephemeral.publicKey;
      const signature = ed25519.sign(this.opts.identity.secretKey, claimProofMessageV2(challenge, channel.relayKey, ephemeral, dests));
      frame = encodeClientFrame({ type: 'claim', requestId, peerKey: this.peerKey, ephemeral, signature, dests });
    }
    return new Promise((resolve, reject) => {
      this.claimWaiters.set(requestId, { resolve, reject, frame, backoff: 25 });
      this.ws?.send(frame);
    });
  }

  private onError(code: number, ref: Uint8Array, message: string): void {
    const key = _key(ref);
    const o = this.outbox.get(key);
    if (o) {
      if (code === ErrorCode.MAILBOX_FULL) {
        // The recipient has not drained yet: back off (doubling, 1 s to 60 s) and try again, for
        // fullRetryMs in all, then give up.
        const now = this.now();
        o.fullSince ??= now;
        if (now - o.fullSince >= (this.opts.fullRetryMs ?? 600_000)) {
          this.outbox.delete(key);
          return o.reject(new SendRejectedError(code, message));
        }
        o.sent = false;
        o.fullBackoff = Math.min((o.fullBackoff ?? 500) * 2, 60_000);
        this.stats.fullRetries++;
        setTimeout(() => {
          if (this.outbox.get(key) === o && !o.sent) this.transmit(o);
        }, o.fullBackoff * (0.5 + Math.random() / 2));
      } else {
        // RATE_LIMITED, UNAVAILABLE (the relay may be out of storage): not safe yet; try again with
        // the same id, backing off (50 ms doubling to 5 s) while it keeps being refused.
        o.sent = false;
        o.retryBackoff = Math.min((o.retryBackoff ?? 25) * 2, 5000);
        setTimeout(() => {
          if (this.outbox.get(key) === o && !o.sent) this.transmit(o);
        }, o.retryBackoff * (1 + Math.random() * 4) / 2);
      }
      return;
    }
    const claimWaiter = this.claimWaiters.get(new DataView(ref.buffer, ref.byteOffset, 4).getUint32(0));
    if (claimWaiter && (code === ErrorCode.BAD_PROOF || code === ErrorCode.TOO_MANY_CLAIMS)) {
      claimWaiter.reject(new SendRejectedError(code, message));
    } else if (claimWaiter && code === ErrorCode.RATE_LIMITED) {
      // The relay charges claimed mailboxes per address and second (GATEWAY_IP_CLAIM_RATE): the same
      // claim again on this connection (its proof still holds), backing off 50 ms doubling to 5 s.
      const ws = this.ws;
      claimWaiter.backoff = Math.min(claimWaiter.backoff * 2, 5000);
      setTimeout(() => {
        if (this.ws === ws && [...this.claimWaiters.values()].includes(claimWaiter)) ws?.send(claimWaiter.frame);
      }, claimWaiter.backoff * (1 + Math.random() * 4) / 2);
    }
  }

  private onDeliver(packet: Packet): void {
    // The frame buffer is ours alone (one WebSocket message): its views need no copies.
    const id = packet.packetId;
    if (this.seen.has(id)) {
      this.stats.duplicates++;
      this.ack(id);
      return;
    }
    this.seen.add(id);
    // Acked whatever becomes of it: what the app cannot read or handle must not hold the mailbox up.
    const dropped = (reason: 'undecodable' | 'handler_failed', err?: unknown): void => {
      this.stats.dropped++;
      this.ack(id);
      this.opts.onDropped?.(id, reason, err);
    };
    let payload: Uint8Array;
    try {
      payload = unpad(packet.payload);
    } catch (err) {
      return dropped('undecodable', err);
    }
    this.stats.delivered++;
    let result: void | Promise<void>;
    try {
      result = this.opts.onMessage?.({ packetId: id, destHash: packet.destHash, payload });
    } catch (err) {
      return dropped('handler_failed', err);
    }
    if (result instanceof Promise) result.then(() => this.ack(id), (err: unknown) => dropped('handler_failed', err));
    else this.ack(id);
  }

  private ack(id: Uint8Array): void {
    this.ackQueue.push(id);
    if (this.ackQueue.length >= MAX_ACK) return this.flushAcks();
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    queueMicrotask(() => this.flushAcks());
  }

  private flushAcks(): void {
    this.ackScheduled = false;
    while (this.ackQueue.length) {
      const packetIds = this.ackQueue.splice(0, MAX_ACK);
      const channel = this.channel;
      if (this.ws?.readyState === 1 && this.v1) this.ws.send(encodeClientFrame({ type: 'ack', packetIds }));
      if (this.ws?.readyState !== 1 || channel === undefined) continue;
      // Tagged with the channel key: only this client, not a gateway relaying its bytes, can delete.
      const frame = encodeClientFrame({ type: 'ack', packetIds, tag: new Uint8Array(CHANNEL_TAG_LEN) });
      const at = frame.length - CHANNEL_TAG_LEN;
      frame.set(channelTag(channel.key, frame.subarray(0, at)), at);
      this.ws.send(frame);
    }
  }

  /**
   * Sends `payload` (padded to a size bucket here) to the mailbox owner `recipient` in this namespace;
   * resolves once the relay ACCEPTED it (acked live or durably queued). Retries across reconnects.
   */
  send(recipient: Uint8Array, payload: Uint8Array, opts: { ttlSeconds?: number; packetId?: Uint8Array } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError('client closed'));
    if (this.sender) return this.sender.send(recipient, payload, opts);
    const { dest, mailbox } = this.address(recipient);
    const packetId = opts.packetId ?? this.random(16);
    const frame = encodePaddedSend(
      { hopLimit: 8, destHash: dest, mailboxId: mailbox, packetId, ttlSeconds: opts.ttlSeconds ?? MAX_TTL_SECONDS },
      payload,
    );
    const key = _key(packetId);
    return new Promise((resolve, reject) => {
      const o: _Outgoing = { frame, resolve, reject, sent: false, tries: 0 };
      this.outbox.set(key, o);
      if (this.ready) this.transmit(o);
    });
  }

  /** Dest hash and mailbox id of `recipient` this hour; two BLAKE3 calls, so cached per recipient and epoch. */
  private address(recipient: Uint8Array): { dest: Uint8Array; mailbox: Uint8Array } {
    const epoch = currentEpoch(this.now());
    const last = this.lastAddress;
    if (last && last.recipient === recipient && last.epoch === epoch) return last;
    const key = _hex(recipient);
    const hit = this.addresses.get(key);
    if (hit && hit.epoch === epoch) {
      this.lastAddress = { ...hit, recipient };
      return hit;
    }
    const dest = destHash(this.opts.namespaceId, recipient, epoch);
    const entry = { epoch, dest, mailbox: mailboxId(dest, recipient) };
    this.lastAddress = { ...entry, recipient };
    this.addresses.delete(key);
    this.addresses.set(key, entry);
    if (this.addresses.size > 1024) this.addresses.delete(this.addresses.keys().next().value!);
    return entry;
  }

  private transmit(o: _Outgoing): void {
    if (this.ws?.readyState !== 1) return;
    o.sent = true;
    if (o.tries++ === 1) o.frame[0] = ClientFrameType.RESEND;
    this.cork();
    this.ws.send(o.frame);
  }

  /**
   * In Node with the `ws` package, holds this turn's frames and writes them in one syscall on the
   * next tick. Browsers and other sockets have no `_socket`: frames go singly there.
   */
  private cork(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return;
    this.corked = true;
    socket.cork();
    queueMicrotask(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  /** Closes for good; unaccepted sends reject with ClientClosedError. */
  close(): void {
    this.closed = true;
    this.sender?.close();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    clearTimeout(this.goawayTimer);
    if (this.claimTimer) clearInterval(this.claimTimer);
    this.claimTimer = undefined;
    this.flushAcks();
    this.ws?.close(1000, 'bye');
    this.ws = undefined;
    for (const o of this.outbox.values()) o.reject(new ClientClosedError('client closed before the packet was accepted'));
    this.outbox.clear();
    for (const w of this.readyWaiters.splice(0)) w.reject(new ClientClosedError('client closed'));
  }

  /** Drops the socket without closing the client, as a network failure would (tests). */
  dropConnection(): void {
    this.ws?.close(4000, 'dropped');
  }
}

/** A fresh random mailbox identity (Ed25519). */
export function newMailboxIdentity(): MailboxIdentity {
  const kp = ed25519.keygen();
  return { secretKey: kp.secretKey, publicKey: kp.publicKey };
}

function _equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
