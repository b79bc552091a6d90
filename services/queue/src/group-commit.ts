/**
 * Group commit: concurrent callers' items are collected and written by ONE flush (one database
 * transaction, one fsync), and each caller's promise settles only when that flush has.
 * @module
 */
import { UnavailableError } from '@tacit/kit';

/** Options of {@link GroupCommitter}. */
export interface GroupCommitOptions {
  /** Flush as soon as this many items wait (default 2000). A caller's items are never split. */
  maxItems?: number;
  /** Otherwise flush this long after the first item arrived (default 2 ms). */
  maxDelayMs?: number;
  /**
   * Flushes in flight at once (default 2). Another one starts beside those running once as many
   * items wait as the last one carried (at least 32) or a full batch waits, so it is prepared and
   * sent while the one ahead commits; the database still commits them in order.
   */
  maxInFlight?: number;
  /**
   * Items waiting for a flush, at most (default 20 000): past it `submit` is refused at once with
   * UnavailableError (the gateway answers UNAVAILABLE; the SDK retries), so a flood cannot grow the
   * queue's memory while the database falls behind.
   */
  maxWaiting?: number;
}

/** A flush beside a running one carries at least this many items (see #overlap). */
const _OVERLAP_MIN = 32;

interface _Call<T, R> {
  items: readonly T[];
  resolve: (results: R[]) => void;
  reject: (err: unknown) => void;
}

/** Counters of a {@link GroupCommitter}. */
export interface GroupCommitStats {
  /** Flushes run (each one transaction). */
  flushes: number;
  /** Items flushed. */
  items: number;
  /** Largest flush, in items. */
  largest: number;
  /** Items refused because too many waited. */
  refused: number;
}

/**
 * Batches `submit` calls into `flush` calls: while a flush runs, new calls wait and go together
 * into the next one, so batches grow with load instead of queueing fsyncs; the next one starts
 * beside it only once it would be as large (see `maxInFlight`).
 */
export class GroupCommitter<T, R> {
  readonly #flush: (items: T[]) => Promise<R[]>;
  readonly #maxItems: number;
  readonly #maxDelayMs: number;
  readonly #maxInFlight: number;
  readonly #maxWaiting: number;
  #pending: _Call<T, R>[] = [];
  #pendingItems = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #running = new Set<Promise<void>>();
  #closed = false;
  /** Items of the flush started last. */
  #lastStarted = 0;
  readonly #stats: GroupCommitStats = { flushes: 0, items: 0, largest: 0, refused: 0 };

  /** `flush` must resolve to one result per item, in order, or reject for all of them. */
  constructor(flush: (items: T[]) => Promise<R[]>, opts: GroupCommitOptions = {}) {
    this.#flush = flush;
    this.#maxItems = opts.maxItems ?? 2000;
    this.#maxDelayMs = opts.maxDelayMs ?? 2;
    this.#maxInFlight = opts.maxInFlight ?? 2;
    this.#maxWaiting = opts.maxWaiting ?? 20_000;
    if (!Number.isInteger(this.#maxInFlight) || this.#maxInFlight < 1) throw new RangeError(`"maxInFlight" expected an integer >= 1, got ${this.#maxInFlight}`);
    if (!Number.isInteger(this.#maxItems) || this.#maxItems < 1) throw new RangeError(`"maxItems" expected an integer >= 1, got ${this.#maxItems}`);
    if (!(this.#maxDelayMs >= 0)) throw new RangeError(`"maxDelayMs" expected >= 0, got ${this.#maxDelayMs}`);
  }

  /** Counters since construction. */
  get stats(): Readonly<GroupCommitStats> {
    return { ...this.#stats };
  }

  /** Queues `items`; resolves to their results once the flush that carried them has committed. */
  submit(items: readonly T[]): Promise<R[]> {
    if (this.#closed) return Promise.reject(new UnavailableError('queue is shutting down'));
    if (items.length === 0) return Promise.resolve([]);
    if (this.#pendingItems + items.length > this.#maxWaiting) {
      this.#stats.refused += items.length;
      return Promise.reject(new UnavailableError(`the queue has ${this.#pendingItems} packets waiting to commit; retry`));
    }
    return new Promise<R[]>((resolve, reject) => {
      this.#pending.push({ items, resolve, reject });
      this.#pendingItems += items.length;
      this.#schedule();
    });
  }

  /** Flushes what waits, then refuses new items; resolves when the last flush has settled. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    while (this.#running.size > 0 || this.#pending.length > 0) {
      if (this.#running.size === 0) this.#start();
      await Promise.race(this.#running);
    }
  }

  /**
   * Whether a flush may start now beside the one(s) running: a full batch waits, or at least as many
   * items as the flush last started carried (and _OVERLAP_MIN). It then waits inside the database for
   * the one ahead to commit, but it is built and sent meanwhile; a smaller one would only cut the
   * batches (one commit each) short.
   */
  #overlap(): boolean {
    if (this.#running.size >= this.#maxInFlight) return false;
    return this.#pendingItems >= this.#maxItems || (this.#running.size > 0 && this.#pendingItems >= Math.max(this.#lastStarted, _OVERLAP_MIN));
  }

  #schedule(): void {
    if (this.#overlap()) this.#start();
    // A running flush starts the next one when it ends.
    else if (this.#running.size === 0) this.#timer ??= setTimeout(() => this.#start(), this.#maxDelayMs);
  }

  #start(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#running.size >= this.#maxInFlight || this.#pending.length === 0) return;
    let taken = 0;
    let count = 0;
    for (const next of this.#pending) {
      if (taken > 0 && count + next.items.length > this.#maxItems) break;
      taken++;
      count += next.items.length;
    }
    const calls = this.#pending.splice(0, taken);
    this.#pendingItems -= count;
    this.#lastStarted = count;
    // `settled` runs once the flush has settled and BEFORE its callers are answered: answering them
    // (their continuations send replies) takes long enough that the next flush should be on its way.
    // It runs after an await, so `run` is set by then.
    const run: Promise<void> = this.#run(calls, count, () => {
      this.#running.delete(run);
      // Whatever arrived meanwhile has already waited one flush: go at once (or, while another
      // flush is still in flight, when #overlap says so).
      if (this.#running.size === 0 || this.#overlap()) this.#start();
    });
    this.#running.add(run);
    // What this flush could not take may be enough for another beside it (the same rule).
    if (this.#overlap()) this.#start();
  }

  async #run(calls: _Call<T, R>[], count: number, settled: () => void): Promise<void> {
    const items: T[] = [];
    for (const c of calls) for (const item of c.items) items.push(item);
    this.#stats.flushes++;
    this.#stats.items += count;
    this.#stats.largest = Math.max(this.#stats.largest, count);
    let results: R[];
    try {
      // Through a microtask: a flush that throws synchronously still settles after `run` is set.
      results = await Promise.resolve(items).then((batch) => this.#flush(batch));
      if (results.length !== items.length) throw new Error(`flush returned ${results.length} results for ${items.length} items`);
    } catch (err) {
      settled();
      for (const c of calls) c.reject(err);
      return;
    }
    settled();
    let at = 0;
    for (const c of calls) {
      c.resolve(results.slice(at, at + c.items.length));
      at += c.items.length;
    }
  }
}
