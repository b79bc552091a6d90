import type { WebSocket } from 'ws';
import { encodeServerFrame, requestIdRef, type ErrorCodeValue, type ServerFrame } from '@tacit/protocol';
import { TokenBucket } from './rate-limit.js';

const _ZERO_REF = new Uint8Array(16);

/** A delivery handed to this connection and not yet acked by the client. */
interface _Pending {
  /** Live: resolves the sender's wait; queued: undefined (the ack deletes from the queue). */
  resolve: ((acked: boolean) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
  mailboxId: Uint8Array;
  packetId: Uint8Array;
}

/** Per-connection limits, from the gateway config. */
export interface ConnectionLimits {
  maxBufferedBytes: number;
  deliveryWindow: number;
  liveAckTimeoutMs: number;
  connRate: number;
  connBurst: number;
}

/**
 * One client WebSocket: its session state, claimed mailboxes and unacked deliveries. Holds no timers
 * while idle (the gateway sweeps idle connections), so 20k idle connections cost little memory.
 */
export class ClientConnection {
  state: 'hello' | 'open' | 'closing' = 'hello';
  version = 0;
  challenge: Uint8Array | undefined;
  lastActivity: number;
  /** Mailboxes claimed on this connection, by hex id. */
  readonly claimed = new Map<string, Uint8Array>();
  /** Unacked deliveries, by hex packet id. */
  readonly pending = new Map<string, _Pending>();
  /** SENDs not yet answered; the drain on SIGTERM waits for them. */
  inflight = 0;
  /** Rate-limit strikes in the current second; too many close the connection. */
  strikes = 0;
  strikeWindow = 0;
  /** Drain cursor and state for queued packets. */
  drainSeq = 0n;
  draining = false;
  drainAgain = false;
  readonly bucket: TokenBucket;
  /** The per-address frame budget's key, made once. */
  readonly frameKey: string;
  private waiters: Array<() => void> = [];
  /** Packet ids made safe this turn of the event loop, answered in one ACCEPTED. */
  private accepted: Uint8Array[] | undefined;
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    /** Key of the client's address for limits (a hash unless IP logging is opted in). */
    readonly ipKey: string,
    readonly limits: ConnectionLimits,
    now: number,
  ) {
    this.lastActivity = now;
    this.frameKey = `f:${ipKey}`;
    this.bucket = new TokenBucket(limits.connRate, limits.connBurst);
  }

  /** Sends a server frame; false when the socket is no longer open. */
  send(frame: ServerFrame): boolean {
    return this.sendRaw(encodeServerFrame(frame));
  }

  sendRaw(bytes: Uint8Array): boolean {
    if (this.ws.readyState !== 1) return false;
    this.cork();
    this.ws.send(bytes);
    return true;
  }

  /**
   * Holds this turn's frames in the socket and writes them with one syscall on the next tick: a burst
   * of deliveries costs one writev, not one each. (`_socket` is ws's own; without it frames go singly.)
   */
  private cork(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  /** Tells the client a packet is safe; ids made safe in the same turn share one ACCEPTED frame. */
  accept(packetId: Uint8Array): void {
    if (this.accepted) {
      this.accepted.push(packetId);
      if (this.accepted.length >= 256) this.flushAccepted();
      return;
    }
    this.accepted = [packetId];
    setImmediate(() => this.flushAccepted());
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
      this.ws.readyState === 1 &&
      this.ws.bufferedAmount < this.limits.maxBufferedBytes &&
      this.pending.size < this.limits.deliveryWindow
    );
  }

  /**
   * Hands a packet to the client now and waits for its ACK; false when it cannot take it (the sender
   * then queues it) or the ack does not come in time (queued too; the SDK drops the duplicate).
   */
  deliverLive(frame: Uint8Array, mailboxId: Uint8Array, packetId: Uint8Array, key: string): Promise<boolean> {
    if (!this.canTake() || this.pending.has(key)) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => this.settle(key, false), this.limits.liveAckTimeoutMs);
      this.pending.set(key, { resolve, timer, mailboxId, packetId });
      this.sendRaw(frame);
    });
  }

  /** Hands a queued packet to the client; its ACK deletes it from the queue. */
  deliverQueued(frame: Uint8Array, mailboxId: Uint8Array, packetId: Uint8Array, key: string): boolean {
    if (this.pending.has(key)) return false;
    this.pending.set(key, { resolve: undefined, timer: undefined, mailboxId, packetId });
    return this.sendRaw(frame);
  }

  /**
   * Settles an unacked delivery. Returns the queue reference to delete when it was a queued delivery
   * that the client acked, null when it was live or unknown.
   */
  settle(key: string, acked: boolean): { mailboxId: Uint8Array; packetId: Uint8Array } | null | undefined {
    const p = this.pending.get(key);
    if (!p) return undefined;
    this.pending.delete(key);
    if (p.timer) clearTimeout(p.timer);
    if (this.waiters.length && this.pending.size < this.limits.deliveryWindow / 2) this.wake();
    if (p.resolve) {
      p.resolve(acked);
      return null;
    }
    return acked ? { mailboxId: p.mailboxId, packetId: p.packetId } : null;
  }

  /** Resolves when the delivery window has room again (or the connection closes). */
  roomInWindow(): Promise<void> {
    if (this.state === 'closing' || this.pending.size < this.limits.deliveryWindow / 2) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Wakes a drain waiting for room (acks arrived, socket drained, or the connection closed). */
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Fails every live delivery still waiting (so senders queue them) and forgets queued ones. */
  failPending(): void {
    for (const key of [...this.pending.keys()]) this.settle(key, false);
    this.wake();
  }
}


