/**
 * Config is read once, at boot, from the environment, and validated into one typed object.
 * This module is the only place in the codebase that reads `process.env`: services declare a
 * schema with {@link defineConfig}, call {@link loadConfigOrExit} in `main`, and pass the result
 * down. A bad value stops the process with the list of everything that is wrong.
 * @module
 */
import { writeSync } from 'node:fs';

/** One key of a config schema: how to parse its raw string, and what to do when it is unset. */
export interface ConfigField<T> {
  readonly kind: string;
  /** Never echo this key's value in errors (set explicitly, or implied by a secret-looking name). */
  readonly secret: boolean;
  readonly description: string | undefined;
  /** Value used when unset; `undefined` with `optional` means the key may stay unset. */
  readonly default: T | undefined;
  readonly optional: boolean;
  /** Parses a set, non-empty value; throws {@link ConfigValueError} saying what is wrong. */
  parse(raw: string): T;
}

/** Options every kind accepts. */
export interface FieldOptions<T> {
  default?: T;
  optional?: boolean;
  secret?: boolean;
  description?: string;
}

/** What a key parses to: `T`, or `T | undefined` when it is optional without a default. */
export type FieldValue<T, O> = O extends { optional: true }
  ? O extends { default: T }
    ? T
    : T | undefined
  : T;

/** A schema: environment variable name to field. */
export type ConfigSchema = Record<string, ConfigField<unknown>>;

/** The typed, frozen object {@link loadConfig} returns for schema `S`. */
export type Config<S extends ConfigSchema> = { readonly [K in keyof S]: S[K] extends ConfigField<infer T> ? T : never };

/** One bad key and what is wrong with it; never contains the value of a secret. */
export interface ConfigIssue {
  readonly key: string;
  readonly problem: string;
}

/** Thrown by a field's `parse` to say what is wrong with the value. */
export class ConfigValueError extends Error {
  override readonly name = 'ConfigValueError';
}

/** The environment does not satisfy the schema; `issues` lists every bad key, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], options?: ErrorOptions) {
    super(`invalid configuration: ${issues.map((i) => `${i.key}: ${i.problem}`).join('; ')}`, options);
    this.issues = issues;
  }
}

/** Identity function that keeps the schema's literal types, so {@link Config} can infer the result. */
export function defineConfig<const S extends ConfigSchema>(schema: S): S {
  return schema;
}

// Name segments that mark a key whose value must never be echoed (KEY also covers API_KEY,
// SIGNING_KEY, PRIVATE_KEY; URL-like values are never echoed either, they may carry passwords).
const _SECRET_SEGMENTS = new Set([
  'SECRET', 'SECRETS', 'PASSWORD', 'PASS', 'PASSWD', 'PASSPHRASE', 'TOKEN', 'KEY', 'KEYS',
  'CREDENTIAL', 'CREDENTIALS', 'CREDS', 'PRIVATE', 'AUTH', 'SALT', 'COOKIE', 'DSN', 'CERT',
]);

/** True when `key`'s name suggests its value is a secret (e.g. `REDIS_PASSWORD`, `VAPID_PRIVATE_KEY`). */
export function isSecretKey(key: string): boolean {
  return key.toUpperCase().split(/[^A-Z0-9]+/).some((s) => _SECRET_SEGMENTS.has(s));
}

function _field<T, O extends FieldOptions<T>>(
  kind: string,
  opts: O | undefined,
  parse: (raw: string) => T,
): ConfigField<FieldValue<T, O>> {
  return {
    kind,
    secret: opts?.secret ?? false,
    description: opts?.description,
    default: opts?.default as FieldValue<T, O> | undefined,
    optional: opts?.optional ?? false,
    parse: parse as (raw: string) => FieldValue<T, O>,
  };
}

function _bad(problem: string): never {
  throw new ConfigValueError(problem);
}

function _inRange(n: number, min: number | undefined, max: number | undefined, unit = ''): number {
  if (min !== undefined && n < min) _bad(`must be at least ${min}${unit}`);
  if (max !== undefined && n > max) _bad(`must be at most ${max}${unit}`);
  return n;
}

/** Options of {@link string}. */
export interface StringOptions extends FieldOptions<string> {
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
}

/** A string, optionally length-bounded or matched against `pattern`. */
export function string<const O extends StringOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<string, O>> {
  return _field('string', opts, (raw) => {
    if (opts?.minLength !== undefined && raw.length < opts.minLength) _bad(`must be at least ${opts.minLength} characters`);
    if (opts?.maxLength !== undefined && raw.length > opts.maxLength) _bad(`must be at most ${opts.maxLength} characters`);
    if (opts?.pattern && !opts.pattern.test(raw)) _bad(`must match ${opts.pattern}`);
    return raw;
  });
}

/** Options of {@link int}. */
export interface IntOptions extends FieldOptions<number> {
  min?: number;
  max?: number;
}

function _parseInt(raw: string): number {
  if (!/^[+-]?\d+$/.test(raw)) _bad('expected an integer');
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) _bad('integer out of range');
  return n;
}

/** A decimal integer within `[min, max]`. */
export function int<const O extends IntOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  return _field('int', opts, (raw) => _inRange(_parseInt(raw), opts?.min, opts?.max));
}

/** A TCP port, 0 to 65535 (0 lets the OS pick, which tests use). */
export function port<const O extends FieldOptions<number> = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  return _field('port', opts, (raw) => _inRange(_parseInt(raw), 0, 65_535));
}

/** A fraction from 0 to 1, like `0.25` or `1e-3`. */
export function ratio<const O extends FieldOptions<number> = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  return _field('ratio', opts, (raw) => {
    if (!/^(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(raw)) _bad('expected a ratio from 0 to 1, like 0.25');
    return _inRange(Number(raw), 0, 1);
  });
}

const _TRUE = new Set(['true', '1', 'yes', 'on']);
const _FALSE = new Set(['false', '0', 'no', 'off']);

/** A boolean: true/false, 1/0, yes/no, on/off (any case). */
export function bool<const O extends FieldOptions<boolean> = Record<never, never>>(opts?: O): ConfigField<FieldValue<boolean, O>> {
  return _field('bool', opts, (raw) => {
    const v = raw.toLowerCase();
    if (_TRUE.has(v)) return true;
    if (_FALSE.has(v)) return false;
    return _bad('expected true/false, 1/0, yes/no or on/off');
  });
}

/** Options of {@link url}. */
export interface UrlOptions extends FieldOptions<string> {
  /** Allowed schemes with their colon, e.g. `['nats:', 'tls:']`. */
  protocols?: readonly string[];
}

/** An absolute URL, returned as given; its value is never echoed (it may carry a password). */
export function url<const O extends UrlOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<string, O>> {
  return _field('url', opts, (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return _bad('expected an absolute URL');
    }
    if (opts?.protocols && !opts.protocols.includes(parsed.protocol)) {
      _bad(`scheme must be one of ${opts.protocols.join(', ')}`);
    }
    return raw;
  });
}

/** One of `values`, matched exactly. */
export function oneOf<const V extends readonly string[], const O extends FieldOptions<V[number]> = Record<never, never>>(
  values: V,
  opts?: O,
): ConfigField<FieldValue<V[number], O>> {
  return _field('enum', opts, (raw) => {
    if (!values.includes(raw)) _bad(`must be one of ${values.join(', ')}`);
    return raw as V[number];
  });
}

const _DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Options of {@link duration}; default, min and max are in milliseconds. */
export interface DurationOptions extends FieldOptions<number> {
  min?: number;
  max?: number;
}

/** A duration like `1500ms`, `30s`, `5m`, `2h`, `30d` or `1h30m`, parsed to milliseconds; a unit is required. */
export function duration<const O extends DurationOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  return _field('duration', opts, (raw) => {
    if (!/^(\d+(ms|s|m|h|d))+$/.test(raw)) _bad('expected a duration like 30s, 5m, 2h, 30d or 1h30m');
    let ms = 0;
    for (const [, n, unit] of raw.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(n) * _DURATION_UNITS[unit!]!;
    if (!Number.isSafeInteger(ms)) _bad('duration out of range');
    return _inRange(ms, opts?.min, opts?.max, ' ms');
  });
}

const _BYTE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/** Options of {@link bytes}; default, min and max are in bytes. */
export interface BytesOptions extends FieldOptions<number> {
  min?: number;
  max?: number;
}

/** A size like `512`, `64KiB`, `10MB` or `1GiB` (KB = 1000, KiB = 1024), parsed to bytes. */
export function bytes<const O extends BytesOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  return _field('bytes', opts, (raw) => {
    const m = /^(\d+)\s*([a-z]*)$/i.exec(raw);
    const mult = m ? _BYTE_UNITS[(m[2] || 'b').toLowerCase()] : undefined;
    if (!m || mult === undefined) return _bad('expected a size like 512, 64KiB, 10MB or 1GiB');
    const n = Number(m[1]) * mult;
    if (!Number.isSafeInteger(n)) _bad('size out of range');
    return _inRange(n, opts?.min, opts?.max, ' bytes');
  });
}

/**
 * Validates `env` against `schema` and returns the typed, frozen config, or throws
 * {@link ConfigError} listing every bad key. Empty strings count as unset (`FOO=` in a compose file).
 */
export function loadConfig<S extends ConfigSchema>(schema: S, env: Record<string, string | undefined> = process.env): Config<S> {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [key, field] of Object.entries(schema)) {
    const raw = env[key];
    if (raw === undefined || raw === '') {
      if (field.default !== undefined) out[key] = field.default;
      else if (field.optional) out[key] = undefined;
      else issues.push({ key, problem: 'required but not set' });
      continue;
    }
    try {
      out[key] = field.parse(raw);
    } catch (err) {
      const problem = err instanceof ConfigValueError ? err.message : 'invalid value';
      // Echo the value only where it cannot be a secret: it helps spot a typo at a glance.
      const echo = !field.secret && !isSecretKey(key) && field.kind !== 'url' && raw.length <= 64;
      issues.push({ key, problem: echo ? `${problem}, got ${JSON.stringify(raw)}` : problem });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(out) as Config<S>;
}

/** Options of {@link loadConfigOrExit}; the defaults are the real process, tests inject their own. */
export interface LoadConfigOrExitOptions {
  /** Service name for the log line. */
  service?: string;
  env?: Record<string, string | undefined>;
  write?: (line: string) => void;
  exit?: (code: number) => never;
}

/** Exit status for a configuration error (EX_CONFIG from sysexits.h). */
export const EXIT_CONFIG = 78;

/** {@link loadConfig}, but on {@link ConfigError} prints one JSON log line with every issue and exits 78. */
export function loadConfigOrExit<S extends ConfigSchema>(schema: S, opts: LoadConfigOrExitOptions = {}): Config<S> {
  try {
    return loadConfig(schema, opts.env ?? process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const line = JSON.stringify({
      ts: new Date().toISOString(),
      level: 'error',
      service: opts.service ?? 'unknown',
      // The event and fields every service logs a bad environment with (the node through its logger,
      // which redacts fields named like keys: hence `variable`).
      event: 'config_invalid',
      issues: err.issues.map((i) => ({ variable: i.key, problem: i.problem })),
    });
    // Synchronous, so the line is out before the process exits.
    (opts.write ?? ((l: string) => writeSync(1, `${l}\n`)))(line);
    return (opts.exit ?? ((code: number) => process.exit(code)))(EXIT_CONFIG);
  }
}
