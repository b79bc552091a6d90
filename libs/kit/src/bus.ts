/**
 * The bus: the seam between services. {@link NatsBus} carries it over NATS in the cluster,
 * {@link InProcessBus} inside one process in the node; both keep the same semantics.
 * @module
 */

/**
 * Headers of one bus message, by lowercase name: W3C trace context (`traceparent`, `tracestate`)
 * travels here, so a trace crosses NATS without touching payloads. Typed errors use their own.
 */
export type BusHeaders = Readonly<Record<string, string>>;

/** Answers one request; a thrown {@link TacitError} reaches the requester as the same class. */
export type BusHandler = (data: Uint8Array, subject: string, headers: BusHeaders | undefined) => Promise<Uint8Array> | Uint8Array;

/** Receives one event (or a copy of a request). */
export type BusListener = (data: Uint8Array, subject: string, headers: BusHeaders | undefined) => void;

/** Options of {@link Bus.request}. */
export interface BusRequestOptions {
  /** Give up after this long (default {@link DEFAULT_REQUEST_TIMEOUT_MS}). */
  timeoutMs?: number;
  /**
   * Headers to send. Without them, the active trace context is sent when a sampled span is active
   * (see tracing.ts); with them, exactly these.
   */
  headers?: BusHeaders;
}

/** Handle returned by `serve`/`subscribe`. */
export interface BusSubscription {
  unsubscribe(): void;
}

/** Request/reply and events between services. */
export interface Bus {
  /** Request/reply; rejects with the typed TacitError the responder threw, NoRespondersError when nobody serves the subject, TimeoutError after timeoutMs (default 5000). */
  request(subject: string, data: Uint8Array, opts?: BusRequestOptions): Promise<Uint8Array>;
  /** Serve requests; with `queue`, one member of the group answers each request. Handler errors travel back typed. */
  serve(subject: string, handler: BusHandler, opts?: { queue?: string }): BusSubscription;
  /** Fire-and-forget event; headers as for {@link request}. */
  publish(subject: string, data: Uint8Array, opts?: { headers?: BusHeaders }): void;
  /** Receive events (and copies of requests) on `subject`; with `queue`, one member of the group gets each. */
  subscribe(subject: string, handler: BusListener, opts?: { queue?: string }): BusSubscription;
  /**
   * Resolves once the subscriptions made so far are in effect: a request published after it reaches
   * them (NATS: one round trip to the server, which has then processed every SUB sent before it;
   * in-process: at once). Never rejects: while disconnected, subscriptions are sent again on reconnect.
   */
  settled(): Promise<void>;
  /** Resolves once all outstanding work is flushed (NATS: drain). */
  close(): Promise<void>;
  /**
   * Calls `listener` on every change of the connection's state, on a bus that has one (NATS; the
   * in-process bus has none). On `disconnected`, every request in flight has already been rejected
   * with UnavailableError (its reply cannot come on a new connection), and events published before it
   * may be lost; on `connected` again, subscriptions are back. Returns the function that stops it.
   */
  onStatus?(listener: (status: BusStatus) => void): () => void;
}

/** A bus connection's state (see {@link Bus.onStatus}). */
export type BusStatus = 'connected' | 'disconnected' | 'reconnecting' | 'closed';

/** Called when a subscriber throws or a served request fails with an untyped error; for logging. */
export type BusErrorListener = (err: unknown, subject: string) => void;

/** Default `request` timeout, in milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

// Same token rules as NATS: dot-separated, no empty token, no whitespace; `*` matches one token,
// `>` (last token only) matches one or more.
const _TOKEN = /^[^\s.*>]+$/;

/** Throws `TypeError` unless `subject` is a concrete NATS-style subject (no wildcards). */
export function assertSubject(subject: string): void {
  if (typeof subject !== 'string' || !subject.split('.').every((t) => _TOKEN.test(t))) {
    throw new TypeError(`"subject" expected dot-separated tokens without wildcards, got ${JSON.stringify(subject)}`);
  }
}

/** Throws `TypeError` unless `pattern` is a valid subject that may use `*` tokens and a final `>`. */
export function assertSubjectPattern(pattern: string): void {
  const tokens = typeof pattern === 'string' ? pattern.split('.') : [];
  const ok =
    tokens.length > 0 &&
    tokens.every((t, i) => t === '*' || (t === '>' && i === tokens.length - 1) || _TOKEN.test(t));
  if (!ok) {
    throw new TypeError(`"subject" expected a subject pattern (tokens, "*", final ">"), got ${JSON.stringify(pattern)}`);
  }
}

/** True when `subject` matches `pattern` under NATS wildcard rules. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i];
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return p.length === s.length;
}
