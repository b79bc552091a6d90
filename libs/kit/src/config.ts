/**
 * Config is read once, at boot, from the environment, and validated into one typed object; each
 * field is a zod schema of its raw string (zod does the checking and converting; the messages name
 * the limit and the variable, never a secret's value).
 * This module is the only place in the codebase that reads `process.env`: services declare a
 * schema with {@link defineConfig}, call {@link loadConfigOrExit} in `main`, and pass the result
 * down. A bad value stops the process with the list of everything that is wrong.
 * @module
 */
import { writeSync } from 'node:fs';
import { z } from 'zod';

/** One key of a config schema: how to parse its raw string, and what to do when it is unset. */
export interface ConfigField<T> {
  readonly kind: string;
  /** Never echo this key's value in errors (set explicitly, or implied by a secret-looking name). */
  readonly secret: boolean;
  readonly description: string | undefined;
  /** Value used when unset; `undefined` with `optional` means the key may stay unset. */
  readonly default: T | undefined;
  readonly optional: boolean;
  /** The zod schema a set, non-empty value is checked and converted with. */
  readonly schema: z.ZodType<T, string>;
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

/**
 * A field over a zod schema of the raw string. The schemas are zod's; the messages are ours (they
 * name the limit, and never quote a value: the loader decides whether a value may be echoed).
 */
function _field<T, O extends FieldOptions<T>>(kind: string, opts: O | undefined, schema: z.ZodType<T, string>): ConfigField<FieldValue<T, O>> {
  return {
    kind,
    secret: opts?.secret ?? false,
    description: opts?.description,
    default: opts?.default as FieldValue<T, O> | undefined,
    optional: opts?.optional ?? false,
    schema: schema as z.ZodType<FieldValue<T, O>, string>,
    parse(raw: string): FieldValue<T, O> {
      const out = schema.safeParse(raw);
      if (!out.success) throw new ConfigValueError(out.error.issues[0]?.message ?? 'invalid value');
      return out.data as FieldValue<T, O>;
    },
  };
}

const _atLeast = (min: number, unit = '') => `must be at least ${min}${unit}`;
const _atMost = (max: number, unit = '') => `must be at most ${max}${unit}`;

/** A number within [min, max], with our messages. */
function _range(min: number | undefined, max: number | undefined, unit = ''): z.ZodNumber {
  let n = z.number();
  if (min !== undefined) n = n.min(min, _atLeast(min, unit));
  if (max !== undefined) n = n.max(max, _atMost(max, unit));
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
  let s = z.string();
  if (opts?.minLength !== undefined) s = s.min(opts.minLength, `must be at least ${opts.minLength} characters`);
  if (opts?.maxLength !== undefined) s = s.max(opts.maxLength, `must be at most ${opts.maxLength} characters`);
  if (opts?.pattern) s = s.regex(opts.pattern, `must match ${opts.pattern}`);
  return _field('string', opts, s);
}

/** Options of {@link int}. */
export interface IntOptions extends FieldOptions<number> {
  min?: number;
  max?: number;
}

const _INT = z
  .string()
  .regex(/^[+-]?\d+$/, 'expected an integer')
  .transform(Number)
  .pipe(z.number().refine(Number.isSafeInteger, 'integer out of range'));

/** A decimal integer within `[min, max]`. */
export function int<const O extends IntOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  return _field('int', opts, _INT.pipe(_range(opts?.min, opts?.max)));
}

/** A TCP port, 0 to 65535 (0 lets the OS pick, which tests use). */
export function port<const O extends FieldOptions<number> = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  return _field('port', opts, _INT.pipe(_range(0, 65_535)));
}

/** A fraction from 0 to 1, like `0.25` or `1e-3`. */
export function ratio<const O extends FieldOptions<number> = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  const s = z
    .string()
    .regex(/^(\d+\.?\d*|\.\d+)(e-?\d+)?$/i, 'expected a ratio from 0 to 1, like 0.25')
    .transform(Number)
    .pipe(_range(0, 1));
  return _field('ratio', opts, s);
}

const _TRUE = ['true', '1', 'yes', 'on'];
const _FALSE = ['false', '0', 'no', 'off'];

/** A boolean: true/false, 1/0, yes/no, on/off (any case). */
export function bool<const O extends FieldOptions<boolean> = Record<never, never>>(opts?: O): ConfigField<FieldValue<boolean, O>> {
  const s = z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum([..._TRUE, ..._FALSE] as [string, ...string[]], { error: 'expected true/false, 1/0, yes/no or on/off' }))
    .transform((v) => _TRUE.includes(v));
  return _field('bool', opts, s);
}

/** Options of {@link url}. */
export interface UrlOptions extends FieldOptions<string> {
  /** Allowed schemes with their colon, e.g. `['nats:', 'tls:']`. */
  protocols?: readonly string[];
}

/** An absolute URL, returned as given; its value is never echoed (it may carry a password). */
export function url<const O extends UrlOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<string, O>> {
  const protocols = opts?.protocols;
  const s = z
    .string()
    .refine((raw) => URL.canParse(raw), { error: 'expected an absolute URL', abort: true })
    .refine((raw) => !protocols || protocols.includes(new URL(raw).protocol), `scheme must be one of ${protocols?.join(', ')}`);
  return _field('url', opts, s);
}

/** One of `values`, matched exactly. */
export function oneOf<const V extends readonly string[], const O extends FieldOptions<V[number]> = Record<never, never>>(
  values: V,
  opts?: O,
): ConfigField<FieldValue<V[number], O>> {
  const s = z.string().refine((raw): raw is V[number] => values.includes(raw), `must be one of ${values.join(', ')}`) as unknown as z.ZodType<V[number], string>;
  return _field('enum', opts, s);
}

/** One `host:port` of a {@link hostPorts} list. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Options of {@link hostPorts}. */
export interface HostPortsOptions extends FieldOptions<readonly HostPort[]> {
  /** Fewest entries accepted (default 1). */
  minItems?: number;
}

// host:port, the host a name, an IPv4 address or a bracketed IPv6 one.
const _HOST_PORT = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?):(\d{1,5})$/i;

/** A comma-separated list of `host:port` (e.g. Redis Sentinels: `s0:26379,s1:26379`); blanks around commas are ignored. */
export function hostPorts<const O extends HostPortsOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<readonly HostPort[], O>> {
  const min = opts?.minItems ?? 1;
  const s = z
    .string()
    .transform((raw) => raw.split(',').map((e) => e.trim()).filter((e) => e !== ''))
    .refine((items) => items.length >= min, `expected at least ${min} host:port`)
    .refine((items) => items.every((e) => _HOST_PORT.test(e) && Number(_HOST_PORT.exec(e)![3]) <= 65_535), 'expected comma-separated host:port entries, like s0:26379,s1:26379')
    .transform((items) =>
      items.map((e): HostPort => {
        const m = _HOST_PORT.exec(e)!;
        return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
      }),
    );
  return _field('host-ports', opts, s as unknown as z.ZodType<readonly HostPort[], string>);
}

const _DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Options of {@link duration}; default, min and max are in milliseconds. */
export interface DurationOptions extends FieldOptions<number> {
  min?: number;
  max?: number;
}

/** A duration like `1500ms`, `30s`, `5m`, `2h`, `30d` or `1h30m`, parsed to milliseconds; a unit is required. */
export function duration<const O extends DurationOptions = Record<never, never>>(opts?: O): ConfigField<FieldValue<number, O>> {
  const s = z
    .string()
    .regex(/^(\d+(ms|s|m|h|d))+$/, 'expected a duration like 30s, 5m, 2h, 30d or 1h30m')
    .transform((raw) => [...raw.matchAll(/(\d+)(ms|s|m|h|d)/g)].reduce((ms, [, n, unit]) => ms + Number(n) * _DURATION_UNITS[unit!]!, 0))
    .pipe(z.number().refine(Number.isSafeInteger, 'duration out of range'))
    .pipe(_range(opts?.min, opts?.max, ' ms'));
  return _field('duration', opts, s);
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
  const shape = /^(\d+)\s*([a-z]*)$/i;
  const s = z
    .string()
    .refine((raw) => _BYTE_UNITS[(shape.exec(raw)?.[2] || 'b').toLowerCase()] !== undefined && shape.test(raw), {
      error: 'expected a size like 512, 64KiB, 10MB or 1GiB',
      abort: true,
    })
    .transform((raw) => {
      const m = shape.exec(raw)!;
      return Number(m[1]) * _BYTE_UNITS[(m[2] || 'b').toLowerCase()]!;
    })
    .pipe(z.number().refine(Number.isSafeInteger, 'size out of range'))
    .pipe(_range(opts?.min, opts?.max, ' bytes'));
  return _field('bytes', opts, s);
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
