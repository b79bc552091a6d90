import { encodeServerFrame, requestIdRef, type ErrorCodeValue, type ServerFrame } from '@tacit/protocol';
import type { QueueAckRef } from '@tacit/queue-client';
import { ClaimSet } from './claims.js';
import type { ClientAddress, ConnectionLimits } from './connection-limits.js';
import { keyBytes, keyOf } from './keys.js';
import { NO_PENDING, PendingDelivery } from './pending-delivery.js';
import { ReadyState, type WsSocket } from './wsock/index.js';

const _ZERO_REF = new Uint8Array(16);
/** Times on a connection are kept relative to this, so they stay small integers (not boxed doubles). */
const _EPOCH = Date.now();

/**
 * Past this many unsent bytes a connection is cut off, whatever it is sent: deliveries stop at
 * `maxBufferedBytes` and a drain adds at most one page (768 KiB) past it, so only a client that
 * does not read its replies (ERRORs, PONGs, ACCEPTEDs) gets here.
 */
export const UNSENT_SLACK_BYTES = 2 * 2 ** 20;

/**
 * One client WebSocket: its session state, claimed mailboxes and unacked deliveries. Built to cost
 * little while idle (the benchmark holds 19 000 of them in one process): no timer (the gateway sweeps
 * idle connections), no closure, and what only an active connection needs (the unacked-delivery map,
 * drain waiters, the ACCEPTED batch) is allocated on first use and dropped when empty again.
 */
export class ClientConnection {
  state: 'hello' | 'open' | 'closing' = 'hello';
  version = 0;
  /** When the last frame arrived (ms since _EPOCH); see {@link lastActivity}. */
  private activeAt: number;
  /** Mailboxes claimed on this connection, by key (the id's bytes as latin1). */
  readonly claimed = new ClaimSet();
  /** The WELCOME challenge, as a latin1 string (a Buffer of 32 bytes costs several times more). */
  private challengeKey: string | undefined;
  /** SENDs not yet answered; the drain on SIGTERM waits for them. */
  inflight = 0;
  /** Rate-limit strikes in the current second; too many close the connection (the FrameDispatcher's). */
  strikes = 0;
  /** CLAIMs with a bad proof, and v2 ACKs with a bad channel tag, so far (the Session's). */
  badProofs = 0;
  /**
   * v2: the channel agreed by the first claim, as ONE latin1 string: its ephemeral key's 32 bytes,
   * then the 32 of the channel key every ACK is tagged with; undefined before it (the Session's).
   * One string of 64 is ~80 B; an object with a string and a Uint8Array (and its ArrayBuffer) was
   * ~340 B of every idle connection.
   */
  private channelKeys: string | undefined;
  strikeWindow = 0;
  /** Drain cursor and state for queued packets. */
  drainSeq = 0n;
  draining = false;
  /** A drain asked for while one ran: 0 none, 1 go on from the cursor, 2 from the start (the Drainer's). */
  drainAgain: 0 | 1 | 2 = 0;
  /**
   * The connection's token bucket (GATEWAY_CONN_RATE frames per second, GATEWAY_CONN_BURST at most),
   * in thousandths of a frame: refills are rate × elapsed ms, so it stays an integer.
   */
  private milliTokens: number;
  /** The byte bucket (GATEWAY_CONN_BYTE_RATE per second, GATEWAY_CONN_BYTE_BURST at most). */
  private byteTokens: number;
  /** Unacked deliveries, by packet key; undefined while there are none. */
  private unacked: Map<string, PendingDelivery> | undefined;
  private waiters: Array<() => void> | undefined;
  /** Packet ids made safe this turn of the event loop, answered in one ACCEPTED. */
  private accepted: Uint8Array[] | undefined;
  private corked = false;

  constructor(
    readonly ws: WsSocket<ClientConnection>,
    readonly address: ClientAddress,
    readonly limits: ConnectionLimits,
    now: number,
  ) {
    this.activeAt = now - _EPOCH;
    this.milliTokens = limits.connBurst * 1000;
    this.byteTokens = limits.byteBurst;
  }

  /** When the last frame arrived (the gateway's clock, ms). */
  get lastActivity(): number {
    return _EPOCH + this.activeAt;
  }

  set lastActivity(ms: number) {
    this.activeAt = ms - _EPOCH;
  }

  /** The challenge sent in WELCOME that claims on this connection sign; undefined before HELLO. */
  get challenge(): Uint8Array | undefined {
    return this.challengeKey === undefined ? undefined : keyBytes(this.challengeKey);
  }

  set challenge(bytes: Uint8Array | undefined) {
    this.challengeKey = bytes === undefined ? undefined : keyOf(bytes);
  }

  /**
   * v2: the channel agreed by the first claim: its ephemeral key (latin1, as {@link keyOf} makes it)
   * and the channel key (a new Uint8Array each read); undefined before the first claim.
   */
  get channel(): { ephemeral: string; key: Uint8Array } | undefined {
    const k = this.channelKeys;
    return k === undefined ? undefined : { ephemeral: k.slice(0, 32), key: keyBytes(k.slice(32)) };
  }

  set channel(c: { ephemeral: string; key: Uint8Array } | undefined) {
    if (c !== undefined && (c.ephemeral.length !== 32 || c.key.length !== 32)) throw new RangeError('a channel is a 32-byte ephemeral key and a 32-byte channel key');
    // One flat string made from the bytes (a `+` would leave a cons string holding both halves).
    this.channelKeys = c === undefined ? undefined : keyOf(Buffer.concat([keyBytes(c.ephemeral), c.key]));
  }

  /** The ephemeral key (latin1) of the channel agreed by the first claim; undefined before it. */
  get channelEphemeral(): string | undefined {
    return this.channelKeys?.slice(0, 32);
  }

  /** Key of the client's address for limits. */
  get ipKey(): string {
    return this.address.ipKey;
  }

  /** The per-address frame budget's key. */
  get frameKey(): string {
    return this.address.frameKey;
  }

  /** Unacked deliveries, by packet key. */
  get pending(): ReadonlyMap<string, PendingDelivery> {
    return this.unacked ?? NO_PENDING;
  }

  /** A frame arrived at `now`: records the activity and refills the buckets for the time since the last one. */
  touch(now: number): void {
    const elapsed = now - this.lastActivity;
    if (elapsed > 0) {
      this.milliTokens = Math.min(this.limits.connBurst * 1000, this.milliTokens + elapsed * this.limits.connRate);
      this.byteTokens = Math.min(this.limits.byteBurst, this.byteTokens + (elapsed * this.limits.byteRate) / 1000);
    }
    this.lastActivity = now;
  }

  /**
   * Takes `frames` frames' tokens and `bytes` bytes from the buckets; false (nothing taken) when the
   * client sends faster than its rates. A frame's work is charged as frames: a CLAIM costs one per
   * destination it names, besides its own.
   */
  take(frames = 1, bytes = 0): boolean {
    const milli = frames * 1000;
    if (this.milliTokens < milli || this.byteTokens < bytes) return false;
    this.milliTokens -= milli;
    this.byteTokens -= bytes;
    return true;
  }

  /** Sends a server frame; false when the socket is no longer open. */
  send(frame: ServerFrame): boolean {
    return this.sendRaw(encodeServerFrame(frame));
  }

  sendRaw(bytes: Uint8Array): boolean {
    if (this.ws.readyState !== ReadyState.OPEN || this.tooFarBehind()) return false;
    this.cork();
    return this.ws.send(bytes);
  }

  /**
   * True (and the connection cut off) once the client left more than `maxBufferedBytes` plus
   * {@link UNSENT_SLACK_BYTES} unsent: every kind of frame is bounded, not only deliveries.
   */
  private tooFarBehind(): boolean {
    if (this.ws.bufferedAmount <= this.limits.maxBufferedBytes + UNSENT_SLACK_BYTES) return false;
    this.state = 'closing';
    this.ws.terminate();
    return true;
  }

  /**
   * Holds this turn's frames in the socket and writes them with one syscall on the next tick: a burst
   * of deliveries costs one writev, not one each.
   */
  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.ws.cork();
    process.nextTick(ClientConnection.uncork, this);
  }

  private static uncork(conn: ClientConnection): void {
    conn.corked = false;
    conn.ws.uncork();
  }

  /** Tells the client a packet is safe; ids made safe in the same turn share one ACCEPTED frame. */
  accept(packetId: Uint8Array): void {
    if (this.accepted) {
      this.accepted.push(packetId);
      if (this.accepted.length >= 256) this.flushAccepted();
      return;
    }
    this.accepted = [packetId];
    setImmediate(ClientConnection.flushAccepted, this);
  }

  private static flushAccepted(conn: ClientConnection): void {
    conn.flushAccepted();
  }

  private flushAccepted(): void {
    const ids = this.accepted;
    // A full batch flushed early leaves [] behind so later ids wait for the already scheduled flush.
    this.accepted = ids && ids.length >= 256 ? [] : undefined;
    if (ids && ids.length > 0) this.send({ type: 'accepted', packetIds: ids });
  }

  /** Sends a typed error frame; `ref` is a packet id, a request id, or nothing. */
  error(code: ErrorCodeValue, message: string, ref?: Uint8Array | number): void {
    const r = ref === undefined ? _ZERO_REF : typeof ref === 'number' ? requestIdRef(ref) : ref;
    this.send({ type: 'error', code, ref: r, message });
  }

  /** True when the client is reading fast enough and has room in its delivery window. */
  canTake(): boolean {
    return (
      this.state === 'open' &&
      this.ws.readyState === ReadyState.OPEN &&
      this.ws.bufferedAmount < this.limits.maxBufferedBytes &&
      this.pending.size < this.limits.deliveryWindow
    );
  }

  /**
   * Hands a packet to the client now, unless it cannot take it (a slow reader, a full window, or the
   * packet already unacked here): then false at once, and `done` is never called (the sender queues
   * it). Otherwise the frame goes out and `done` hears whether the client acked it before the
   * live-ack timeout (if not, it is queued too; the SDK drops the duplicate).
   */
  offerLive(frame: Uint8Array, key: string, done: (acked: boolean) => void): boolean {
    if (!this.canTake() || this.pending.has(key)) return false;
    const timer = setTimeout(ClientConnection.liveTimeout, this.limits.liveAckTimeoutMs, this, key);
    // A live delivery's ack answers the sender's wait; the queue is not involved, so no ids.
    (this.unacked ??= new Map()).set(key, new PendingDelivery(key, done, timer, _ZERO_REF, 0, 0, Date.now() - _EPOCH));
    this.sendRaw(frame);
    return true;
  }

  private static liveTimeout(conn: ClientConnection, key: string): void {
    conn.settle(key, false);
  }

  /**
   * Takes a queued packet for delivery: true when the caller must send its frame (with the page's
   * others, {@link sendFrames}); its ACK deletes it from the queue (in partition `expiryDay`, by the
   * range of seqs its drain reported). A packet already out to the client and unacked is not sent
   * again; if it went out live (a packet queued after a live delivery timed out, while that delivery
   * still reached the client), the live entry takes the queue reference, so the one ACK answers the
   * sender's wait and deletes the row too.
   */
  takeQueued(key: string, mailboxId: Uint8Array, expiryDay: number, seq: number): boolean {
    const out = this.unacked?.get(key);
    if (out) {
      if (out.resolve && out.mailboxId === _ZERO_REF) {
        out.mailboxId = mailboxId;
        out.expiryDay = expiryDay;
        out.seq = seq;
      }
      return false;
    }
    if (this.ws.readyState !== ReadyState.OPEN) return false;
    (this.unacked ??= new Map()).set(key, new PendingDelivery(key, undefined, undefined, mailboxId, expiryDay, seq, Date.now() - _EPOCH));
    return true;
  }

  /** Reads nothing more from this client for `ms`: what it sends waits in the kernel (TCP pushes back). */
  pauseReading(ms: number): void {
    this.ws.pauseReading(ms);
  }

  /** Writes whole WebSocket frames the caller encoded (a drained page's DELIVERs); false when the socket is no longer open. */
  sendFrames(frames: Uint8Array): boolean {
    if (this.ws.readyState !== ReadyState.OPEN || this.tooFarBehind()) return false;
    this.cork();
    return this.ws.sendFrames(frames);
  }

  /**
   * Settles an unacked delivery. Returns the queue reference to delete when it was a queued delivery
   * that the client acked, null when it was live or unknown.
   */
  settle(key: string, acked: boolean): QueueAckRef | null | undefined {
    const p = this.unacked?.get(key);
    if (!p) return undefined;
    this.unacked!.delete(key);
    // An empty map keeps the table it grew to: drop it, an idle connection holds none.
    if (this.unacked!.size === 0) this.unacked = undefined;
    if (p.timer) clearTimeout(p.timer);
    if (this.waiters && this.pending.size < this.limits.deliveryWindow / 2) this.wake();
    if (p.resolve) {
      p.resolve(acked);
      // A live entry names a queued row only when a drain found its packet queued too.
      return acked && p.mailboxId !== _ZERO_REF ? p : null;
    }
    // The entry itself is the queue reference (ids, day, seq): no second object per acked packet.
    return acked ? p : null;
  }

  /**
   * Resolves when the delivery window is at most half full AND the socket holds fewer than
   * `maxBufferedBytes` unsent (or the connection closes): a drain fetches its next page only then,
   * so a client that reads slowly holds the gateway's memory to about `maxBufferedBytes` plus one
   * page, whatever the window and the packets' sizes.
   */
  async roomInWindow(): Promise<void> {
    for (;;) {
      if (this.state === 'closing') return;
      if (this.pending.size >= this.limits.deliveryWindow / 2) {
        // Unacked queued deliveries hold the window at most deliveryAckTimeoutMs: a client that
        // never acks some packets (junk it cannot read) cannot stop the drain behind them.
        const timer = setTimeout(ClientConnection.expireQueued, this.limits.deliveryAckTimeoutMs, this);
        await new Promise<void>((resolve) => (this.waiters ??= []).push(resolve));
        clearTimeout(timer);
      } else if (this.ws.bufferedAmount >= this.limits.maxBufferedBytes) {
        await new Promise<void>((resolve) => {
          const socket = this.ws.socket;
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
      } else return;
    }
  }

  /** Queued deliveries dropped from the window unacked, so far (they stay queued: a later drain hands them out again). */
  expired = 0;

  /**
   * Drops from the window the queued deliveries unacked for deliveryAckTimeoutMs (not from the
   * queue: the next drain from the start hands them out again), and wakes the drain.
   */
  private static expireQueued(conn: ClientConnection): void {
    const cutoff = Date.now() - _EPOCH - conn.limits.deliveryAckTimeoutMs;
    const unacked = conn.unacked;
    if (unacked) {
      for (const [key, p] of unacked) {
        if (p.resolve === undefined && p.at <= cutoff) {
          unacked.delete(key);
          conn.expired++;
        }
      }
      if (unacked.size === 0) conn.unacked = undefined;
    }
    conn.wake();
  }

  /** Wakes a drain waiting for room (acks arrived, socket drained, or the connection closed). */
  wake(): void {
    const w = this.waiters;
    this.waiters = undefined;
    if (w) for (const f of w) f();
  }

  /** Fails every live delivery still waiting (so senders queue them) and forgets queued ones. */
  failPending(): void {
    if (this.unacked) for (const key of [...this.unacked.keys()]) this.settle(key, false);
    this.wake();
  }
}
