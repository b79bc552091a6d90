/**
 * {@link Bus} over NATS core request/reply, for the cluster shape. Reconnects forever, so a NATS
 * restart is survived: subscriptions are re-sent by the client on reconnect.
 * @module
 */
import {
  connect,
  createInbox,
  errors as natsErrors,
  headers as natsHeaders,
  Match,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import {
  assertSubject,
  assertSubjectPattern,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type Bus,
  type BusErrorListener,
  type BusHandler,
  type BusHeaders,
  type BusListener,
  type BusRequestOptions,
  type BusSubscription,
  type BusStatus,
} from './bus.js';
import { traceHeaders, withTraceHeaders } from './tracing.js';
import {
  errorFromHeaders,
  errorToHeaders,
  InternalError,
  InvalidArgumentError,
  isTacitError,
  NoRespondersError,
  TimeoutError,
  UnavailableError,
  type TacitError,
} from './errors.js';

/** Connection state reported by {@link NatsBus.onStatus}. */
export type NatsBusStatus = BusStatus;

/** Requests made while disconnected that wait for the connection, at most (count and bytes); past it they fail at once. */
const _MAX_PARKED = 65_536;
const _MAX_PARKED_BYTES = 32 * 2 ** 20;

/** A request made while disconnected; `data` is dropped once it is sent or answered. */
interface _Parked {
  subject: string;
  data: Uint8Array | undefined;
  headers: ReturnType<typeof _toNats>;
  token: string;
}

/** Options of {@link NatsBus.connect}. */
export interface NatsBusOptions {
  /** `nats://host:port`, or several for a cluster. */
  url: string | string[];
  /** Client name shown in NATS monitoring (the service name). */
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  /**
   * Base wait between reconnect attempts to a server (default 250 ms; nats.js's own is 2 s); jitter is
   * added on top. Short, so a restarted server is found again within ~0.35 s of serving: acceptance
   * waits for it.
   */
  reconnectTimeWaitMs?: number;
  /** Random extra wait per attempt, so replicas do not reconnect in lockstep (default 100 ms). */
  reconnectJitterMs?: number;
  /** How often to ping the server to detect a dead link (default 20 000 ms). */
  pingIntervalMs?: number;
  /** Keep retrying the first connect instead of failing fast (default false: boot fails with UnavailableError). */
  waitOnFirstConnect?: boolean;
  /** Told about subscriber exceptions, untyped handler failures and async connection errors. */
  onError?: BusErrorListener;
}

interface _Waiter {
  resolve: (data: Uint8Array) => void;
  reject: (err: unknown) => void;
  timer: NodeJS.Timeout;
  /** Made while disconnected and not sent yet: a lost connection does not take it along. */
  parked?: boolean;
}

interface _Mux {
  prefix: string;
  pending: Map<string, _Waiter>;
  sub: Subscription;
}

/** {@link Bus} over a NATS connection. */
export class NatsBus implements Bus {
  readonly #nc: NatsConnection;
  readonly #onError: BusErrorListener;
  readonly #subs = new Set<Subscription>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #listeners = new Set<(status: NatsBusStatus) => void>();
  readonly #statusLoop: Promise<void>;
  #status: NatsBusStatus = 'connected';
  #closing: Promise<void> | undefined;
  #mux: _Mux | undefined;
  #nextToken = 0;
  /** Requests made while disconnected, sent once connected again (see {@link request}), and their bytes. */
  #parked: _Parked[] = [];
  #parkedBytes = 0;

  private constructor(nc: NatsConnection, onError: BusErrorListener) {
    this.#nc = nc;
    this.#onError = onError;
    this.#statusLoop = this.#watch();
  }

  /** Connects, or rejects with {@link UnavailableError} when the first connect fails (unless `waitOnFirstConnect`). */
  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    try {
      const nc = await connect({
        servers: opts.url,
        name: opts.name,
        user: opts.user,
        pass: opts.pass,
        token: opts.token,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
        reconnectJitter: opts.reconnectJitterMs ?? 100,
        pingInterval: opts.pingIntervalMs ?? 20_000,
        waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
        // nats.js otherwise builds an error with a stack for every subscription callback's context.
        // (Requests do not go through nats.js's own request(); see #requestMux.)
        noAsyncTraces: true,
        // A server mid-restart may briefly refuse auth; giving up then would end the bus for good.
        ignoreAuthErrorAbort: true,
      });
      return new NatsBus(nc, opts.onError ?? (() => {}));
    } catch (err) {
      throw new UnavailableError(`cannot connect to NATS: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * JetStream on this bus's connection, for what request/reply and events cannot carry: a durable
   * stream (the push service's intake of queued events survives its restart).
   */
  jetstream(): JetStreamClient {
    return jetstream(this.#nc);
  }

  /** JetStream's management API on this bus's connection (streams and consumers). */
  jetstreamManager(): Promise<JetStreamManager> {
    return jetstreamManager(this.#nc);
  }

  /** Current connection state. */
  get status(): NatsBusStatus {
    return this.#status;
  }

  /** True while connected to a server. */
  get ready(): boolean {
    return this.#status === 'connected';
  }

  /** Calls `listener` on every state change; returns the function that stops it. */
  onStatus(listener: (status: NatsBusStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A round trip to the server (flush): every SUB sent before it has been processed there, so a
   * request published from anywhere now reaches those subscriptions. Gives up after `timeoutMs`
   * (default 2000) or at once while disconnected; it never rejects.
   */
  async settled(timeoutMs = 2000): Promise<void> {
    if (!this.ready) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#nc.flush().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Readiness check: a round trip to the server; throws {@link UnavailableError} while disconnected. */
  async check(): Promise<void> {
    if (!this.ready) throw new UnavailableError(`NATS ${this.#status}`);
    try {
      await this.#nc.flush();
    } catch (err) {
      throw new UnavailableError('NATS flush failed', { cause: err });
    }
  }

  /**
   * Request/reply over one wildcard inbox subscription of our own. nats.js's `request()` builds an
   * Error with a stack for every request, even a successful one (RequestOne.cancel): ~10 % of a
   * sending gateway's CPU when every packet is a request. Here a reply costs a map lookup.
   */
  request(subject: string, data: Uint8Array, opts: BusRequestOptions = {}): Promise<Uint8Array> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    assertSubject(subject);
    if (this.#closing) return Promise.reject(new UnavailableError('bus closed'));
    const mux = this.#mux ?? this.#startMux();
    const token = (this.#nextToken++).toString(36);
    const headers = _toNats(opts.headers ?? traceHeaders());
    return new Promise<Uint8Array>((resolve, reject) => {
      const park = this.#status !== 'connected';
      if (park && (this.#parked.length >= _MAX_PARKED || this.#parkedBytes + data.length > _MAX_PARKED_BYTES)) {
        reject(new UnavailableError(`NATS ${this.#status}, and enough requests already wait for it`));
        return;
      }
      const parked: _Parked | undefined = park ? { subject, data, headers, token } : undefined;
      const timer = setTimeout(() => {
        if (!mux.pending.delete(token)) return;
        this.#unpark(parked);
        reject(new TimeoutError(`request to ${subject} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      mux.pending.set(token, parked ? { resolve, reject, timer, parked: true } : { resolve, reject, timer });
      // Made while disconnected: not into nats.js's reconnect buffer, which goes out on the new
      // connection before the SUBs are sent again — the reply (or the server's no-responders answer)
      // would come before the inbox is subscribed, be dropped, and the caller wait out its timeout.
      // Sent by #resume once connected again.
      if (parked) {
        this.#parked.push(parked);
        this.#parkedBytes += data.length;
        return;
      }
      try {
        this.#nc.publish(subject, data, headers ? { reply: mux.prefix + token, headers } : { reply: mux.prefix + token });
      } catch (err) {
        clearTimeout(timer);
        mux.pending.delete(token);
        reject(_fromNatsError(err, subject, timeoutMs));
      }
    });
  }

  /** A parked request is answered (timed out, lost): its bytes no longer count, nor are they kept. */
  #unpark(p: _Parked | undefined): void {
    if (!p?.data) return;
    this.#parkedBytes -= p.data.length;
    p.data = undefined;
  }

  /** Connected again: the requests made meanwhile go out, after the SUBs nats.js sent again. */
  #resume(): void {
    const parked = this.#parked;
    this.#parked = [];
    const mux = this.#mux;
    for (const p of parked) {
      const data = p.data;
      this.#unpark(p);
      const w = mux?.pending.get(p.token);
      if (!mux || !w || !data) continue;
      w.parked = false;
      try {
        this.#nc.publish(p.subject, data, p.headers ? { reply: mux.prefix + p.token, headers: p.headers } : { reply: mux.prefix + p.token });
      } catch (err) {
        clearTimeout(w.timer);
        mux.pending.delete(p.token);
        w.reject(_fromNatsError(err, p.subject, 0));
      }
    }
  }

  /** The inbox every reply of this connection comes to (`<inbox>.<token>`), subscribed on first use. */
  #startMux(): _Mux {
    const prefix = `${createInbox()}.`;
    const pending = new Map<string, _Waiter>();
    const sub = this.#nc.subscribe(`${prefix}*`, {
      callback: (err, msg) => {
        if (err) return this.#onError(err, prefix);
        const w = pending.get(msg.subject.slice(prefix.length));
        if (!w) return; // late reply after a timeout, or a second responder
        pending.delete(msg.subject.slice(prefix.length));
        clearTimeout(w.timer);
        const hdrs = msg.headers;
        if (hdrs) {
          // The server answers a request nobody serves with an empty 503 status message.
          if (hdrs.code === 503 && msg.data.length === 0) return w.reject(new NoRespondersError('no responders'));
          const failure = errorFromHeaders((k) => (hdrs.has(k, Match.IgnoreCase) ? hdrs.get(k, Match.IgnoreCase) : undefined));
          if (failure) return w.reject(failure);
        }
        w.resolve(msg.data);
      },
    });
    // Not in #subs: on close, replies to requests still in flight must keep arriving until the
    // connection itself drains.
    this.#mux = { prefix, pending, sub };
    return this.#mux;
  }

  serve(subject: string, handler: BusHandler, opts: { queue?: string } = {}): BusSubscription {
    return this.#subscribe(subject, opts.queue, (msg) => this.#track(this.#answer(msg, handler)));
  }

  publish(subject: string, data: Uint8Array, opts: { headers?: BusHeaders } = {}): void {
    assertSubject(subject);
    const headers = _toNats(opts.headers ?? traceHeaders());
    try {
      this.#nc.publish(subject, data, headers ? { headers } : undefined);
    } catch (err) {
      throw _fromNatsError(err, subject, 0);
    }
  }

  subscribe(subject: string, handler: BusListener, opts: { queue?: string } = {}): BusSubscription {
    return this.#subscribe(subject, opts.queue, (msg) => {
      // Typed as returning void, but an async listener returns a promise: its rejection must
      // reach onError, not crash the process as an unhandled rejection.
      this.#track(
        (async () => {
          try {
            const headers = _fromNats(msg);
            await withTraceHeaders(headers, () => handler(msg.data, msg.subject, headers));
          } catch (err) {
            this.#onError(err, msg.subject);
          }
        })(),
      );
    });
  }

  /** Stops taking messages, lets running handlers reply, flushes, then closes the connection. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    if (this.#nc.isClosed()) return;
    if (this.ready) {
      // Subscriptions first, so no new request starts; the connection must outlive the replies.
      await Promise.allSettled([...this.#subs].map((s) => s.drain()));
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      await this.#nc.drain().catch(() => this.#nc.close());
    } else {
      // Draining needs the server; while it is away there is nothing to flush to.
      await this.#nc.close();
    }
    await this.#statusLoop;
    const pending = this.#mux?.pending;
    for (const w of pending?.values() ?? []) {
      clearTimeout(w.timer);
      w.reject(new UnavailableError('bus closed'));
    }
    pending?.clear();
  }

  #subscribe(subject: string, queue: string | undefined, onMsg: (msg: Msg) => void): BusSubscription {
    assertSubjectPattern(subject);
    if (this.#closing) throw new UnavailableError('bus closed');
    let sub: Subscription;
    try {
      sub = this.#nc.subscribe(subject, {
        queue,
        callback: (err, msg) => {
          if (err) this.#onError(err, subject);
          else onMsg(msg);
        },
      });
    } catch (err) {
      throw _fromNatsError(err, subject, 0);
    }
    this.#subs.add(sub);
    return {
      unsubscribe: () => {
        this.#subs.delete(sub);
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  async #answer(msg: Msg, handler: BusHandler): Promise<void> {
    let out: Uint8Array;
    try {
      const headers = _fromNats(msg);
      out = await withTraceHeaders(headers, () => handler(msg.data, msg.subject, headers));
      if (!(out instanceof Uint8Array)) throw new InternalError('handler returned no bytes');
    } catch (err) {
      if (!isTacitError(err) || err instanceof InternalError) this.#onError(err, msg.subject);
      const h = natsHeaders();
      for (const [k, v] of Object.entries(errorToHeaders(err))) h.set(k, v);
      this.#respond(msg, new Uint8Array(0), h);
      return;
    }
    this.#respond(msg, out, undefined);
  }

  #respond(msg: Msg, data: Uint8Array, h: ReturnType<typeof natsHeaders> | undefined): void {
    // A published (not requested) message has no reply subject: the result has nowhere to go.
    if (!msg.reply) return;
    try {
      msg.respond(data, h ? { headers: h } : undefined);
    } catch (err) {
      this.#onError(err, msg.subject);
    }
  }

  #track(work: Promise<void>): void {
    const p = work.finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  async #watch(): Promise<void> {
    for await (const s of this.#nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.#lost();
          this.#set('disconnected');
          break;
        case 'reconnecting':
          this.#set('reconnecting');
          break;
        case 'reconnect':
          this.#set('connected');
          this.#resume();
          break;
        case 'close':
          this.#set('closed');
          break;
        case 'error':
          this.#onError(s.error, '');
          break;
        default:
          break;
      }
    }
    this.#set('closed');
  }

  /**
   * The connection died: replies to the requests sent on it will not come (a reply goes to the inbox
   * of the connection that asked; the server forgets it). Rejected now rather than at their timeouts,
   * so callers fall back at once — a NATS restart otherwise stalled every caller for its whole
   * request timeout. A request published from here until the reconnect waits in nats.js's buffer and
   * is sent on the new connection.
   */
  #lost(): void {
    const pending = this.#mux?.pending;
    if (!pending || pending.size === 0) return;
    // nats.js reports a disconnect again for each failed reconnect attempt: parked requests stay.
    for (const [token, w] of pending) {
      if (w.parked) continue;
      pending.delete(token);
      clearTimeout(w.timer);
      w.reject(new UnavailableError('the NATS connection was lost before the reply came'));
    }
  }

  #set(status: NatsBusStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    for (const l of this.#listeners) {
      try {
        l(status);
      } catch (err) {
        this.#onError(err, '');
      }
    }
  }
}

/** nats.js headers of `headers`, or undefined for none (most messages: no header block is sent). */
function _toNats(headers: BusHeaders | undefined): ReturnType<typeof natsHeaders> | undefined {
  if (headers === undefined) return undefined;
  let h: ReturnType<typeof natsHeaders> | undefined;
  for (const [k, v] of Object.entries(headers)) (h ??= natsHeaders()).set(k, v);
  return h;
}

/** The headers of a received message by lowercase name, or undefined when it has none. */
function _fromNats(msg: Msg): BusHeaders | undefined {
  const h = msg.headers;
  if (!h) return undefined;
  const out: Record<string, string> = {};
  for (const k of h.keys()) out[k.toLowerCase()] = h.get(k);
  return out;
}

function _fromNatsError(err: unknown, subject: string, timeoutMs: number): TacitError {
  if (isTacitError(err)) return err;
  if (err instanceof natsErrors.TimeoutError) {
    return new TimeoutError(`request to ${subject} timed out after ${timeoutMs} ms`, { cause: err });
  }
  if (
    err instanceof natsErrors.NoRespondersError ||
    (err instanceof natsErrors.RequestError && err.isNoResponders())
  ) {
    return new NoRespondersError('no responders', { cause: err });
  }
  if (err instanceof natsErrors.InvalidArgumentError || err instanceof natsErrors.InvalidSubjectError) {
    return new InvalidArgumentError(err.message, { cause: err });
  }
  return new UnavailableError(`NATS: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

