/**
 * JSON logs through pino, one line per event on stdout: `{level, ts, service, event, ...fields}`.
 * Every field passes a guard that keeps user data out: values under names like hash, dest, key,
 * payload, token, secret (and ip, unless the operator opts in) are redacted, and bytes are never
 * printed. pino's own `redact` matches exact paths only, so the guard (by the words of a field's
 * name, at any depth) runs as its log formatter and covers lines Nest writes through nestjs-pino
 * too. Levels: `error` is for bugs only; an expected failure (bad input, a peer gone) is `warn` or less.
 * @module
 */
import { pino, type Logger as PinoLogger } from 'pino';

/** Log severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Extra fields of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Replacement for a value the guard keeps out of the log. */
export const REDACTED = '[redacted]';
/** Replacement for byte values (Uint8Array, Buffer, ArrayBuffer, DataView), whatever their name. */
export const REDACTED_BYTES = '[bytes]';


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

/** Paths pino redacts before the guard runs: request parts nestjs-pino's HTTP logs would carry. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-forwarded-for"]',
  'req.remoteAddress',
  'req.remotePort',
  'res.headers["set-cookie"]',
];

// The envelope (level, ts, service, event) is written by the logger; bound or logged fields of
// those names are dropped so they cannot spoof it.
function _scrubBindings(obj: Record<string, unknown>, opts: ScrubOptions): Record<string, unknown> {
  const out = scrubFields(obj, opts);
  for (const k of ['ts', 'level', 'service', 'event']) delete out[k];
  return out;
}

function _scrubLine(obj: Record<string, unknown>, opts: ScrubOptions): Record<string, unknown> {
  const out = scrubFields(obj, opts);
  for (const k of ['ts', 'level', 'service']) delete out[k];
  return out;
}

/** `fields` with `event` first (and not overridden by a field of that name). */
function _line(event: string, fields: LogFields | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = { event: undefined, ...fields };
  o.event = event;
  return o;
}

/** The pino instance behind a service's logs (also Nest's, through nestjs-pino). */
export function createPino(opts: LoggerOptions): PinoLogger {
  const now = opts.now ?? (() => new Date());
  const scrub: ScrubOptions = { logClientIps: opts.logClientIps ?? false };
  const write = opts.write;
  const service = JSON.stringify(opts.service);
  return pino(
    {
      level: opts.level ?? 'info',
      // The service goes beside the time, not in pino's base bindings: bindings pass the guard
      // below, which drops a bound `service` so a child cannot spoof it.
      base: undefined,
      timestamp: () => `,"ts":"${now().toISOString()}","service":${service}`,
      messageKey: 'event',
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      // The guard already turned errors into {name, message, code, stack, cause}: keep that shape.
      serializers: { err: (v: unknown) => v },
      formatters: {
        level: (label) => ({ level: label }),
        // Child bindings and every logged object pass the guard; the envelope cannot be spoofed.
        bindings: (b) => _scrubBindings(b ?? {}, scrub),
        log: (o) => _scrubLine(o, scrub),
      },
    },
    write ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) } : pino.destination({ dest: 1, sync: true }),
  );
}

/** A structured logger; {@link Logger.child} binds fields onto every later line. */
export class Logger {
  /** The pino logger underneath (nestjs-pino writes Nest's own lines through it). */
  readonly pino: PinoLogger;
  readonly #scrub: ScrubOptions;

  constructor(opts: LoggerOptions, pinoLogger?: PinoLogger) {
    this.#scrub = { logClientIps: opts.logClientIps ?? false };
    this.pino = pinoLogger ?? createPino(opts);
  }

  /** Diagnostic detail, off by default. */
  debug(event: string, fields?: LogFields): void {
    if (this.pino.isLevelEnabled('debug')) this.pino.debug(_line(event, fields));
  }

  /** Normal operation worth a line: started, connected, drained. */
  info(event: string, fields?: LogFields): void {
    if (this.pino.isLevelEnabled('info')) this.pino.info(_line(event, fields));
  }

  /** Something expected went wrong (dependency down, bad input at volume); the service copes. */
  warn(event: string, fields?: LogFields): void {
    if (this.pino.isLevelEnabled('warn')) this.pino.warn(_line(event, fields));
  }

  /** A bug: something that should never happen did. */
  error(event: string, fields?: LogFields): void {
    this.pino.error(_line(event, fields));
  }

  /** A logger that adds `fields` to every line (after the guard). */
  child(fields: LogFields): Logger {
    // pino passes only the root's bindings through formatters.bindings, so a child's go through the guard here.
    return new Logger({ service: '', ...this.#scrub }, this.pino.child(_scrubBindings({ ...fields }, this.#scrub)));
  }

  /** True when lines of `level` are written; lets callers skip building costly fields. */
  isLevelEnabled(level: LogLevel): boolean {
    return this.pino.isLevelEnabled(level);
  }
}

/** Creates the root logger of a service. */
export function createLogger(opts: LoggerOptions): Logger {
  return new Logger(opts);
}
