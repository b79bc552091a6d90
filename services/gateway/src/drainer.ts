import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@tacit/kit';
import { LOGGER, SETTINGS } from '@tacit/platform';
import {
  QUEUE_PACKED_DAY_AT,
  QUEUE_PACKED_HEAD,
  QUEUE_PACKED_LENGTH_AT,
  QUEUE_PACKED_MAILBOX_AT,
  QUEUE_PACKED_PACKET_ID_AT,
} from '@tacit/proto';
import { ServerFrameType } from '@tacit/protocol';
import { QUEUE_CLIENT, type QueueClient } from '@tacit/queue-client';
import type { GatewayConfig } from './config.js';
import type { ClientConnection } from './connection.js';
import { keyAt } from './keys.js';
import { GatewayMeters } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';
import { RATE_LIMITER } from './tokens.js';
import { headerLength, Opcode, writeHeader } from './wsock/index.js';

// Largest drain page. A page is fetched once the delivery window (GATEWAY_DELIVERY_WINDOW) is at
// most half full and the socket's unsent bytes are under GATEWAY_MAX_BUFFERED_BYTES, and fills what
// is free of the window. Pages of 512 rather than 256 halved the queue requests per packet.
const _DRAIN_BATCH = 512;
// The first page of a drain: small, so the first packets reach the client while the database
// builds the full pages after it (a 512-packet page takes it milliseconds, more with many clients
// draining at once).
const _FIRST_DRAIN_BATCH = 64;
/**
 * Mailboxes one drain query reads at most: the embedded database's query costs per mailbox holding
 * packets (~0.2 ms each, in one synchronous piece on the node's event loop), so a drain of many
 * mailboxes goes slice by slice, each a piece of ~30 ms at most, each charged to the address's
 * GATEWAY_IP_DRAIN_RATE. Packets of one mailbox stay in seq order (a mailbox is in one slice).
 */
export const DRAIN_SLICE = 128;

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
 * Streams each connection's queued packets to it, in order, within its delivery window and its
 * socket's byte bound; a drain asked for while one runs runs again after it. Owns the connection's
 * drain cursor and flags (`drainSeq`, `draining`, `drainAgain`).
 */
@Injectable()
export class Drainer {
  private readonly drainRate: number;
  /**
   * After a failed drain: the wait before the next try (ms) and its timer, for the connections whose
   * drain failed. Kept here, not on ClientConnection: it is the Drainer's state, and rare, so the
   * idle connection does not carry it.
   */
  readonly #retries = new WeakMap<ClientConnection, { ms: number; timer: NodeJS.Timeout | undefined }>();

  constructor(
    @Inject(QUEUE_CLIENT) private readonly queue: QueueClient,
    @Inject(GatewayMeters) private readonly meters: GatewayMeters,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.drainRate = config.GATEWAY_IP_DRAIN_RATE;
  }

  /**
   * Drains from the start of the queue again: packets committed out of sequence order while a drain
   * ran are picked up, and those already delivered and unacked are skipped by packet id. While a
   * drain runs, the next run starts from the start (a page in flight would otherwise move the
   * cursor back past a packet committed behind it).
   */
  redrain(conn: ClientConnection): void {
    if (conn.draining) {
      conn.drainAgain = 2;
      return;
    }
    conn.drainSeq = 0n;
    void this.drain(conn);
  }

  /** Streams a connection's queued packets in order, within its delivery window; re-runs when asked again meanwhile. */
  async drain(conn: ClientConnection): Promise<void> {
    if (conn.draining) {
      if (conn.drainAgain === 0) conn.drainAgain = 1;
      return;
    }
    conn.draining = true;
    try {
      do {
        if (conn.drainAgain === 2) conn.drainSeq = 0n;
        conn.drainAgain = 0;
        // Slice by slice (DRAIN_SLICE mailboxes), each from the pass's cursor; the cursor ends at
        // the furthest seq any slice reached, as one query over them all would have left it.
        const from = conn.drainSeq;
        let furthest = from;
        const ids = [...conn.claimed.values()];
        for (let at = 0; at < ids.length; at += DRAIN_SLICE) {
          const slice = ids.length <= DRAIN_SLICE ? ids : ids.slice(at, at + DRAIN_SLICE);
          conn.drainSeq = from;
          for (let page = 0; ; page++) {
            if (conn.state !== 'open' || conn.claimed.size === 0) return;
            await conn.roomInWindow();
            if (conn.state !== 'open' || !(await this.charge(conn, slice.length))) return;
            const room = Math.max(1, Math.min(page === 0 && at === 0 ? _FIRST_DRAIN_BATCH : _DRAIN_BATCH, conn.limits.deliveryWindow - conn.pending.size));
            const { page: bytes, more } = await this.queue.drain(slice, conn.drainSeq, room);
            this.meters.drained.inc(deliverPage(conn, bytes));
            if (!more) break;
          }
          if (conn.drainSeq > furthest) furthest = conn.drainSeq;
        }
        conn.drainSeq = furthest;
      } while (conn.drainAgain !== 0);
      this.#retries.delete(conn);
    } catch (err) {
      this.log.warn('drain_failed', { error: err instanceof Error ? err.name : 'unknown' });
      this.retryLater(conn);
    } finally {
      conn.draining = false;
    }
  }

  /**
   * A drain that failed (the queue or NATS unreachable: a restart) is tried again, from the start,
   * after 250 ms doubling to 8 s while it keeps failing — else the packets queued for an online
   * client would wait for its next claim or a poke that may never come. One timer per connection
   * whose drain failed, none once one succeeds or the connection closes.
   */
  private retryLater(conn: ClientConnection): void {
    if (conn.state !== 'open') return;
    let retry = this.#retries.get(conn);
    if (retry?.timer !== undefined) return;
    retry ??= { ms: 0, timer: undefined };
    this.#retries.set(conn, retry);
    retry.ms = Math.min(Math.max(250, retry.ms * 2), 8000);
    const r = retry;
    r.timer = setTimeout(() => {
      r.timer = undefined;
      if (conn.state === 'open' && conn.claimed.size > 0) this.redrain(conn);
    }, r.ms);
    r.timer.unref();
  }

  /**
   * Charges a query over `mailboxes` to the connection's address (GATEWAY_IP_DRAIN_RATE, across
   * replicas); past it the drain waits for the next second — deferred, never refused: one address
   * cannot make the relay scan more mailboxes a second than that. False once the connection closed.
   */
  private async charge(conn: ClientConnection, mailboxes: number): Promise<boolean> {
    while (!this.limiter.allow(conn.address.drainKey, this.drainRate, mailboxes)) {
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 1));
      if (conn.state !== 'open') return false;
    }
    return true;
  }
}
