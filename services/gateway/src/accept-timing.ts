import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS } from '@tacit/platform';
import type { GatewayConfig } from './config.js';
import type { ClientConnection } from './connection.js';

/** Times remembered of each kind (the newest replace the oldest). */
const _SAMPLES = 512;
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
 * wait; the recipient gets the packet as fast as before. Offline answers are not delayed. (Packets
 * queued after a live attempt, and RESENDs answered from the safe set, are not held either: they do
 * not depend on presence.)
 */
@Injectable()
export class AcceptTiming {
  private readonly offline = new _Times();
  private readonly acks = new _Times();
  private fresh = 0;
  /** Release times and the cumulative probabilities of drawing them (G at each offline time). */
  private table: { x: Float64Array; g: Float64Array } | undefined;
  private readonly enabled: boolean;
  /** Answers held, by the millisecond (performance.now(), rounded) they are due. */
  private readonly due = new Map<number, _Due[]>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** How late timers fire here (ms, a moving average): answers are scheduled that much early. */
  private lateness = 1;

  constructor(@Inject(SETTINGS) config: GatewayConfig) {
    this.enabled = config.GATEWAY_HIDE_PRESENCE;
  }

  /** A packet for an offline recipient became safe `ms` after its SEND arrived. */
  recordQueued(ms: number): void {
    this.offline.add(ms);
    this.stale();
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

  /**
   * ACCEPTED for a packet delivered live, whose SEND arrived at `since` (performance.now()): now,
   * or when the time drawn comes. The send stops counting as in flight when answered.
   */
  release(conn: ClientConnection, ref: Uint8Array, since: number): void {
    const now = performance.now();
    if (!this.enabled) {
      conn.accept(ref);
      conn.inflight--;
      return;
    }
    this.acks.add(now - since);
    this.stale();
    const wait = since + this.draw() - now - this.lateness;
    if (wait < 0.5) {
      conn.accept(ref);
      conn.inflight--;
      return;
    }
    const at = Math.round(now + wait);
    const list = this.due.get(at);
    if (list) list.push({ conn, ref });
    else this.due.set(at, [{ conn, ref }]);
    if (at < this.timerAt) this.arm(at, now);
  }

  private arm(at: number, now: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.floor(at - now)));
  }

  private fire(): void {
    const now = performance.now();
    // Timers fire after their time (by the event loop's turn and the clock's millisecond): learnt,
    // so answers are given when drawn, not later than queued packets' would be.
    this.lateness = Math.min(1.5, Math.max(0, 0.95 * this.lateness + 0.05 * (now - this.timerAt)));
    this.timer = undefined;
    this.timerAt = Infinity;
    let soonest = Infinity;
    for (const [at, list] of this.due) {
      // The loop's clock is cached at each turn, so a timer may fire a little early; the next could not
      // fire in less than a millisecond: what is due within half of one is answered now.
      if (at > now + 0.5) {
        soonest = Math.min(soonest, at);
        continue;
      }
      this.due.delete(at);
      for (const { conn, ref } of list) {
        conn.accept(ref);
        conn.inflight--;
      }
    }
    if (soonest !== Infinity) this.arm(soonest, now);
  }
}
