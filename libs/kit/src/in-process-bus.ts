/**
 * {@link Bus} inside one process, for the node shape: same semantics as {@link NatsBus} — async
 * delivery, copied payloads, wildcards, queue groups, typed errors, no-responders.
 * @module
 */
import {
  assertSubject,
  assertSubjectPattern,
  DEFAULT_REQUEST_TIMEOUT_MS,
  subjectMatches,
  type Bus,
  type BusErrorListener,
  type BusHandler,
  type BusHeaders,
  type BusListener,
  type BusRequestOptions,
  type BusSubscription,
} from './bus.js';
import { traceHeaders, withTraceHeaders } from './tracing.js';
import {
  errorFromHeaders,
  errorToHeaders,
  InternalError,
  isTacitError,
  NoRespondersError,
  TimeoutError,
  UnavailableError,
  type TacitError,
} from './errors.js';

/** Options of {@link InProcessBus}. */
export interface InProcessBusOptions {
  /** Told about subscriber exceptions and untyped handler failures (which requesters see as InternalError). */
  onError?: BusErrorListener;
}

type _Reply = (result: { data: Uint8Array } | { error: TacitError }) => void;

/**
 * One subscription, and the handle returned for it: no closure of its own (the node holds one per
 * claimed mailbox, tens of thousands).
 */
class _Sub implements BusSubscription {
  /** Bit 0: active; bit 1: answers requests (`handler` is a BusHandler) rather than listening. */
  #flags: number;
  constructor(
    readonly pattern: string,
    readonly queue: string | undefined,
    readonly handler: BusHandler | BusListener,
    serves: boolean,
    /** The bus's removal function, shared by all its subscriptions. */
    private readonly remove: (sub: _Sub) => void,
  ) {
    this.#flags = serves ? 3 : 1;
  }

  get active(): boolean {
    return (this.#flags & 1) !== 0;
  }

  get serves(): boolean {
    return (this.#flags & 2) !== 0;
  }

  /** Stops deliveries to this subscription (also those already handed out and not yet run). */
  deactivate(): void {
    this.#flags &= ~1;
  }

  unsubscribe(): void {
    if (!this.active) return;
    this.deactivate();
    this.remove(this);
  }
}

/** In-process {@link Bus}; the member of a queue group that gets a message is unspecified (here: round robin). */
export class InProcessBus implements Bus {
  // Routing must not scan every subscription: the node holds one per claimed mailbox (tens of
  // thousands). Exact subjects are found by key (one subscription, the usual case, held as is; more
  // in an array); only wildcard patterns are scanned.
  readonly #exact = new Map<string, _Sub | _Sub[]>();
  readonly #wild = new Set<_Sub>();
  readonly #remove = (sub: _Sub): void => this.#unlink(sub);
  readonly #cursor = new Map<string, number>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #onError: BusErrorListener;
  #closed = false;

  constructor(opts: InProcessBusOptions = {}) {
    this.#onError = opts.onError ?? (() => {});
  }

  request(subject: string, data: Uint8Array, opts: BusRequestOptions = {}): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new UnavailableError('bus closed'));
    try {
      assertSubject(subject);
    } catch (err) {
      return Promise.reject(err);
    }
    const targets = this.#route(subject);
    // NATS answers "no responders" only when no subscription at all matches; a mere listener
    // makes the request wait for its timeout, and so it does here.
    if (targets.length === 0) return Promise.reject(new NoRespondersError('no responders'));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const headers = _copy(opts.headers ?? traceHeaders());
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => settle({ error: new TimeoutError(`request to ${subject} timed out after ${timeoutMs} ms`) }), timeoutMs);
      const settle: _Reply = (result) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if ('data' in result) resolve(result.data);
        else reject(result.error);
      };
      for (const sub of targets) this.#deliver(sub, subject, data, settle, headers);
    });
  }

  serve(subject: string, handler: BusHandler, opts: { queue?: string } = {}): BusSubscription {
    return this.#add(new _Sub(subject, opts.queue, handler, true, this.#remove));
  }

  publish(subject: string, data: Uint8Array, opts: { headers?: BusHeaders } = {}): void {
    if (this.#closed) throw new UnavailableError('bus closed');
    assertSubject(subject);
    const headers = _copy(opts.headers ?? traceHeaders());
    for (const sub of this.#route(subject)) this.#deliver(sub, subject, data, undefined, headers);
  }

  subscribe(subject: string, handler: BusListener, opts: { queue?: string } = {}): BusSubscription {
    return this.#add(new _Sub(subject, opts.queue, handler, false, this.#remove));
  }

  /** Subscriptions here are in effect as soon as they are made. */
  settled(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.#closed = true;
    // Like a NATS drain: messages already handed out are still handled, and replies delivered.
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
    for (const entry of this.#exact.values()) {
      if (Array.isArray(entry)) for (const sub of entry) sub.deactivate();
      else entry.deactivate();
    }
    for (const sub of this.#wild) sub.deactivate();
    this.#exact.clear();
    this.#wild.clear();
  }

  #add(sub: _Sub): BusSubscription {
    if (this.#closed) throw new UnavailableError('bus closed');
    assertSubjectPattern(sub.pattern);
    if (_isWildcard(sub.pattern)) this.#wild.add(sub);
    else {
      const entry = this.#exact.get(sub.pattern);
      if (!entry) this.#exact.set(sub.pattern, sub);
      else if (Array.isArray(entry)) entry.push(sub);
      else this.#exact.set(sub.pattern, [entry, sub]);
    }
    return sub;
  }

  #unlink(sub: _Sub): void {
    if (this.#wild.delete(sub)) return;
    const entry = this.#exact.get(sub.pattern);
    if (entry === sub) this.#exact.delete(sub.pattern);
    else if (Array.isArray(entry)) {
      const rest = entry.filter((s) => s !== sub);
      if (rest.length === entry.length) return;
      this.#exact.set(sub.pattern, rest.length === 1 ? rest[0]! : rest);
    }
  }

  /** Every plain subscription, plus one member of each queue group (keyed by pattern and queue, as in NATS). */
  #route(subject: string): _Sub[] {
    const out: _Sub[] = [];
    const groups = new Map<string, _Sub[]>();
    const exact = this.#exact.get(subject);
    const candidates = exact === undefined ? this.#wild : Array.isArray(exact) ? [...exact, ...this.#wild] : [exact, ...this.#wild];
    for (const sub of candidates) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      if (sub.queue === undefined) {
        out.push(sub);
        continue;
      }
      const key = `${sub.pattern} ${sub.queue}`;
      const members = groups.get(key);
      if (members) members.push(sub);
      else groups.set(key, [sub]);
    }
    for (const [key, members] of groups) {
      const n = this.#cursor.get(key) ?? 0;
      this.#cursor.set(key, (n + 1) % members.length);
      out.push(members[n % members.length]!);
    }
    return out;
  }

  #deliver(sub: _Sub, subject: string, data: Uint8Array, reply: _Reply | undefined, headers: BusHeaders | undefined): void {
    // Copy, so neither side can see the other mutate the buffer afterwards: over NATS it is a copy.
    const copy = data.slice();
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => (sub.active ? withTraceHeaders(headers, () => this.#run(sub, subject, copy, reply, headers)) : undefined))
      .finally(() => this.#inflight.delete(run));
    this.#inflight.add(run);
  }

  async #run(sub: _Sub, subject: string, data: Uint8Array, reply: _Reply | undefined, headers: BusHeaders | undefined): Promise<void> {
    if (!sub.serves) {
      try {
        // Typed as returning void, but an async listener returns a promise: its rejection must
        // reach onError, not crash the process as an unhandled rejection.
        await sub.handler(data, subject, headers);
      } catch (err) {
        this.#onError(err, subject);
      }
      return;
    }
    try {
      const out = await (sub.handler as BusHandler)(data, subject, headers);
      if (!(out instanceof Uint8Array)) throw new InternalError('handler returned no bytes');
      reply?.({ data: out.slice() });
    } catch (err) {
      if (!isTacitError(err) || err instanceof InternalError) this.#onError(err, subject);
      // Through the header codec, so the requester sees exactly what it would see over NATS.
      const headers = errorToHeaders(err);
      reply?.({ error: errorFromHeaders((name) => headers[name])! });
    }
  }
}

/** A frozen copy of `headers` by lowercase name (as NATS delivers them), or undefined. */
function _copy(headers: BusHeaders | undefined): BusHeaders | undefined {
  if (headers === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return Object.freeze(out);
}

function _isWildcard(pattern: string): boolean {
  return pattern.split('.').some((t) => t === '*' || t === '>');
}
