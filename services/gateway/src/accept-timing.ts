import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { SETTINGS } from '@tacit/platform';
import type { GatewayConfig } from './config.js';
import type { ClientConnection } from './connection.js';

/** Times remembered of each kind (the newest replace the oldest). */
const _SAMPLES = 128;
/** The release table is made anew after this many new times. */
const _REBUILD_EVERY = 16;
/** Before any packet was queued: a plausible commit time (ms), uniform in [_FIRST, _FIRST + _SPREAD). */
const _FIRST = 4;
const _SPREAD = 12;

interface _Due {
  conn: ClientConnection;
  ref: Uint8Array;
}

/** A ring of recent times (ms). */
class _Times {
  readonly values = new Float64Array(_SAMPLES);
  count = 0;
  private next = 0;
  add(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % _SAMPLES;
    if (this.count < _SAMPLES) this.count++;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort();
  }
}

/** How many of the sorted `xs` are at most `x`. */
function _atMost(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Where, within each millisecond of performance.now(), the event loop's own millisecond begins:
 * libuv keeps time in whole milliseconds of the monotonic clock, and performance.now() counts from
 * the process's start on that clock. A 1 ms timer fires just after one of libuv's boundaries, so a
 * grid on those boundaries answers at the tick right after an answer's millisecond ends (~0.5 ms
 * on average), not up to a tick later.
 */
const _PHASE = (() => {
  const origin = Number(process.hrtime.bigint()) / 1e6 - performance.now();
  return (((-origin) % 1) + 1) % 1;
})();

/** How long the ticker runs on (ms) with no SEND arriving and no answer held. */
const _IDLE_MS = 2000;

/**
 * Keeps the timing of ACCEPTED from telling a sender whether the recipient is online. A packet for an
 * offline recipient is answered once it is queued (a commit: milliseconds); one delivered live once
 * the recipient acked it (a round trip to the recipient). Left alone, a contact who sends junk and
 * times the answer learns whether you are online.
 *
 * So a live delivery's answer is held until max(T, S): T its own ack time, S drawn at random such
 * that max(T, S) follows F, the distribution of the recent offline answers' times. With H the
 * distribution of recent ack times, P(max(T, S) ≤ x) = H(x)·G(x), so S is drawn from G = F / H
 * (made non-decreasing, at most 1): exactly F wherever acks come sooner than commits, the usual case;
 * where they come later nothing can be held back to hide them. It costs the sender's ACCEPTED that
 * wait; the recipient gets the packet as fast as before.
 *
 * Matching the distributions is not enough by itself: an answer given from a timer comes out at
 * another moment of the event loop, and later by the timer's own lateness, than one given where the
 * commit completed — on a quiet machine ~0.35 ms later at the median, which a two-sample test tells
 * apart from 120 sends of each. So every ACCEPTED — queued, live, duplicate — is given by one ticker
 * (a 1 ms timer that runs while SENDs arrive; started by the SEND, before its path is known), and
 * only at the first tick of a whole millisecond (performance.now()'s) at or after it is due: the
 * queued answer's as soon as it is safe, the live one's at max(T, S). A tick that fires late (the
 * loop was busy, as it is right after an embedded commit) does not give what became due after its
 * millisecond began; so both kinds wait for the same grid, and leave from the same timer. A queued
 * answer waits ~0.5 ms more for it (the grid is on libuv's boundaries: {@link _PHASE}). The times drawn from are the newest 128 (not more: a stale history
 * would make live answers follow what commits took a while ago, which a sender can see).
 */
@Injectable()
export class AcceptTiming implements OnModuleDestroy {
  private readonly offline = new _Times();
  private readonly acks = new _Times();
  private fresh = 0;
  /** Release times and the cumulative probabilities of drawing them (G at each offline time). */
  private table: { x: Float64Array; g: Float64Array } | undefined;
  private readonly enabled: boolean;
  /** Answers held, by the first millisecond (performance.now(), whole) at whose tick they may be given. */
  private readonly due = new Map<number, _Due[]>();
  private timer: NodeJS.Timeout | undefined;
  /** When the last SEND arrived (performance.now()). */
  private lastSend = 0;

  constructor(@Inject(SETTINGS) config: GatewayConfig) {
    this.enabled = config.GATEWAY_HIDE_PRESENCE;
  }

  private stale(): void {
    if (++this.fresh >= _REBUILD_EVERY || this.table === undefined) {
      this.fresh = 0;
      this.table = undefined;
    }
  }

  /** G = F / H at each offline time, non-decreasing, at most 1 (see the class comment). */
  private build(): { x: Float64Array; g: Float64Array } {
    const x = this.offline.sorted();
    const h = this.acks.sorted();
    const g = new Float64Array(x.length);
    let most = 0;
    for (let i = 0; i < x.length; i++) {
      const f = (i + 1) / x.length;
      const hx = h.length === 0 ? 1 : _atMost(h, x[i]!) / h.length;
      most = Math.max(most, hx === 0 ? 1 : Math.min(1, f / hx));
      g[i] = most;
    }
    return { x, g };
  }

  /** A release time S (ms after the SEND) drawn from G; before any offline time is known, a plausible one. */
  draw(): number {
    if (this.offline.count === 0) return _FIRST + Math.random() * _SPREAD;
    const t = (this.table ??= this.build());
    const u = Math.random();
    let lo = 0;
    let hi = t.g.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t.g[mid]! >= u) hi = mid;
      else lo = mid + 1;
    }
    return t.x[lo]!;
  }

  /** Answers held now. */
  get held(): number {
    let n = 0;
    for (const list of this.due.values()) n += list.length;
    return n;
  }

  /** Whether the ticker runs. */
  get ticking(): boolean {
    return this.timer !== undefined;
  }

  /** A SEND arrived: the ticker runs (from now, when it did not), whatever the send's path turns out to be. */
  sending(): void {
    if (!this.enabled) return;
    this.lastSend = performance.now();
    this.timer ??= setTimeout(_tick, 1, this).unref();
  }

  /**
   * ACCEPTED for a packet delivered live, whose SEND arrived at `since` (performance.now()): at the
   * first tick after the time drawn. The send stops counting as in flight when answered.
   */
  release(conn: ClientConnection, ref: Uint8Array, since: number): void {
    if (!this.enabled) return this.give(conn, ref);
    const now = performance.now();
    this.acks.add(now - since);
    this.stale();
    const at = since + this.draw();
    this.hold(conn, ref, Math.max(at, now));
  }

  /**
   * ACCEPTED for a packet made safe another way — queued (`offline`: the recipient was not online, and
   * its time is one the live answers are drawn to match), or a duplicate: at the next tick.
   */
  answer(conn: ClientConnection, ref: Uint8Array, since: number, offline: boolean): void {
    if (offline) {
      this.offline.add(performance.now() - since);
      this.stale();
    }
    if (!this.enabled) return this.give(conn, ref);
    this.hold(conn, ref, performance.now());
  }

  /** Held until the first tick of a millisecond (performance.now()'s) at or after `at`. */
  private hold(conn: ClientConnection, ref: Uint8Array, at: number): void {
    const ms = Math.ceil(at - _PHASE);
    const list = this.due.get(ms);
    if (list) list.push({ conn, ref });
    else this.due.set(ms, [{ conn, ref }]);
    this.timer ??= setTimeout(_tick, 1, this).unref();
  }

  private give(conn: ClientConnection, ref: Uint8Array): void {
    conn.accept(ref);
    conn.inflight--;
  }

  /** One tick: every answer due by the millisecond this tick belongs to is given; the ticker runs on while sends arrive or answers wait. */
  tick(): void {
    const now = performance.now();
    this.timer = undefined;
    const grid = Math.floor(now - _PHASE);
    for (const [ms, list] of this.due) {
      if (ms > grid) continue;
      this.due.delete(ms);
      for (const { conn, ref } of list) this.give(conn, ref);
    }
    if (this.due.size > 0 || now - this.lastSend < _IDLE_MS) this.timer = setTimeout(_tick, 1, this).unref();
  }

  /** On shutdown (after the drain waited for answers): whatever is still held is given now. */
  onModuleDestroy(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const due = [...this.due.values()];
    this.due.clear();
    for (const list of due) for (const { conn, ref } of list) this.give(conn, ref);
  }
}

function _tick(timing: AcceptTiming): void {
  timing.tick();
}
