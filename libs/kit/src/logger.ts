/**
 * JSON logs, one line per event on stdout: `{ts, level, service, event, ...fields}`. Every field
 * passes a guard that keeps user data out: values under names like hash, dest, key, payload,
 * token, secret (and ip, unless the operator opts in) are redacted, and bytes are never printed.
 * Levels: `error` is for bugs only; an expected failure (bad input, a peer gone) is `warn` or less.
 * @module
 */

/** Log severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Extra fields of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Replacement for a value the guard keeps out of the log. */
export const REDACTED = '[redacted]';
/** Replacement for byte values (Uint8Array, Buffer, ArrayBuffer, DataView), whatever their name. */
export const REDACTED_BYTES = '[bytes]';

const _RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const _RESERVED = new Set(['ts', 'level', 'service', 'event']);

// Matched against the words of a field name (destHash -> dest, hash; api_key -> api, key), so a
// field is caught however it is spelled. Erring towards redaction is the point.
const _SENSITIVE_WORDS = new Set([
  'hash', 'hashes', 'dest', 'dests', 'destination', 'destinations', 'mailbox', 'mailboxes',
  'key', 'keys', 'prekey', 'prekeys', 'pubkey', 'privkey', 'payload', 'payloads', 'body',
  'ciphertext', 'plaintext', 'signature', 'sig', 'nonce', 'token', 'tokens', 'secret', 'secrets',
  'password', 'passwd', 'passphrase', 'credential', 'credentials', 'cookie', 'cookies',
  'authorization', 'username', 'usernames',
]);
// Client addresses: personal data, logged only where an operator opts in (`logClientIps`).
const _IP_WORDS = new Set(['ip', 'ips', 'ipv4', 'ipv6', 'addr', 'address', 'forwarded']);

const _MAX_DEPTH = 4;
const _MAX_STRING = 1024;
const _MAX_ARRAY = 50;

/** Options of {@link scrubFields}. */
export interface ScrubOptions {
  /** Let IP-named fields through (an operator's explicit opt-in). */
  logClientIps?: boolean;
}

/** True when a field named `name` may carry user data and must be redacted. */
export function isSensitiveFieldName(name: string, opts: ScrubOptions = {}): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((w) => _SENSITIVE_WORDS.has(w) || (!opts.logClientIps && _IP_WORDS.has(w)));
}

/** The guard: returns a JSON-safe copy of `fields` with sensitive names redacted and bytes removed. */
export function scrubFields(fields: LogFields, opts: ScrubOptions = {}): Record<string, unknown> {
  return _scrubObject(fields, opts, 0, new WeakSet());
}

function _scrubObject(obj: object, opts: ScrubOptions, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = isSensitiveFieldName(k, opts) ? REDACTED : _scrub(v, opts, depth + 1, seen);
  }
  return out;
}

function _scrub(v: unknown, opts: ScrubOptions, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof v) {
    case 'string':
      return v.length > _MAX_STRING ? `${v.slice(0, _MAX_STRING)}...` : v;
    case 'number':
    case 'boolean':
      return v;
    case 'bigint':
      return v.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (v === null) return null;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return REDACTED_BYTES;
  const o = v as object;
  if (seen.has(o)) return '[circular]';
  if (depth > _MAX_DEPTH) return '[depth]';
  seen.add(o);
  try {
    if (v instanceof Error) return _scrubError(v, opts, depth, seen);
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.slice(0, _MAX_ARRAY).map((x) => _scrub(x, opts, depth + 1, seen) ?? null);
    if (v instanceof Map || v instanceof Set) return `[${v.constructor.name}(${v.size})]`;
    return _scrubObject(o, opts, depth, seen);
  } finally {
    seen.delete(o);
  }
}

function _scrubError(err: Error, opts: ScrubOptions, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: _scrub(err.message, opts, depth, seen) };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.stack) out.stack = err.stack;
  if (err.cause !== undefined) out.cause = _scrub(err.cause, opts, depth + 1, seen);
  return out;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions extends ScrubOptions {
  /** Value of the `service` field on every line. */
  service: string;
  /** Lowest level written (default `info`). */
  level?: LogLevel;
  /** Where lines go (default stdout); each call gets one line without the newline. */
  write?: (line: string) => void;
  /** Clock for `ts` (tests pin it). */
  now?: () => Date;
}

/** A structured logger; {@link Logger.child} binds fields onto every later line. */
export class Logger {
  readonly #opts: Required<Omit<LoggerOptions, 'logClientIps'>> & ScrubOptions;
  readonly #bound: Record<string, unknown>;
  readonly #min: number;

  constructor(opts: LoggerOptions, bound: LogFields = {}) {
    this.#opts = {
      service: opts.service,
      level: opts.level ?? 'info',
      write: opts.write ?? ((line) => process.stdout.write(`${line}\n`)),
      now: opts.now ?? (() => new Date()),
      logClientIps: opts.logClientIps ?? false,
    };
    this.#min = _RANK[this.#opts.level];
    this.#bound = scrubFields(bound, this.#opts);
  }

  /** Diagnostic detail, off by default. */
  debug(event: string, fields?: LogFields): void {
    this.#log('debug', event, fields);
  }

  /** Normal operation worth a line: started, connected, drained. */
  info(event: string, fields?: LogFields): void {
    this.#log('info', event, fields);
  }

  /** Something expected went wrong (dependency down, bad input at volume); the service copes. */
  warn(event: string, fields?: LogFields): void {
    this.#log('warn', event, fields);
  }

  /** A bug: something that should never happen did. */
  error(event: string, fields?: LogFields): void {
    this.#log('error', event, fields);
  }

  /** A logger that adds `fields` to every line (after the guard). */
  child(fields: LogFields): Logger {
    return new Logger(this.#opts, { ...this.#bound, ...fields });
  }

  /** True when lines of `level` are written; lets callers skip building costly fields. */
  isLevelEnabled(level: LogLevel): boolean {
    return _RANK[level] >= this.#min;
  }

  #log(level: LogLevel, event: string, fields: LogFields | undefined): void {
    if (_RANK[level] < this.#min) return;
    const line: Record<string, unknown> = {
      ts: this.#opts.now().toISOString(),
      level,
      service: this.#opts.service,
      event,
    };
    const extra = fields ? { ...this.#bound, ...scrubFields(fields, this.#opts) } : this.#bound;
    for (const [k, v] of Object.entries(extra)) if (!_RESERVED.has(k)) line[k] = v;
    this.#opts.write(JSON.stringify(line));
  }
}

/** Creates the root logger of a service. */
export function createLogger(opts: LoggerOptions): Logger {
  return new Logger(opts);
}
