import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bool,
  bytes,
  ConfigError,
  defineConfig,
  duration,
  EXIT_CONFIG,
  hostPorts,
  int,
  isSecretKey,
  loadConfig,
  loadConfigOrExit,
  oneOf,
  port,
  string,
  url,
} from './config.js';

const schema = defineConfig({
  PORT: port({ default: 8080 }),
  DATABASE_URL: url({ optional: true, protocols: ['postgres:', 'postgresql:'] }),
  NATS_URL: url({ default: 'nats://127.0.0.1:4222' }),
  QUEUE_TTL_SECONDS: int({ min: 60, max: 31_536_000, default: 2_592_000 }),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error'], { default: 'info' }),
  LOG_CLIENT_IPS: bool({ default: false }),
  DRAIN_TIMEOUT: duration({ default: 10_000, max: 60_000 }),
  MEDIA_MAX_SIZE: bytes({ default: 100 * 2 ** 20 }),
  NODE_NAME: string({ minLength: 1, maxLength: 32 }),
  REGION: string({ optional: true }),
});

describe(loadConfig.name, () => {
  it('applies defaults and infers types', () => {
    const sut = loadConfig(schema, { NODE_NAME: 'n1' });
    // Type-level checks: these assignments fail to compile if inference breaks.
    const port: number = sut.PORT;
    const db: string | undefined = sut.DATABASE_URL;
    const level: 'debug' | 'info' | 'warn' | 'error' = sut.LOG_LEVEL;
    const ips: boolean = sut.LOG_CLIENT_IPS;
    assert.deepEqual(
      { port, db, level, ips, ttl: sut.QUEUE_TTL_SECONDS, drain: sut.DRAIN_TIMEOUT, media: sut.MEDIA_MAX_SIZE, region: sut.REGION },
      { port: 8080, db: undefined, level: 'info', ips: false, ttl: 2_592_000, drain: 10_000, media: 104_857_600, region: undefined },
    );
    assert.ok(Object.isFrozen(sut));
  });

  it('parses every kind', () => {
    const sut = loadConfig(schema, {
      PORT: '0',
      DATABASE_URL: 'postgres://u:p@db:5432/tacit',
      QUEUE_TTL_SECONDS: '3600',
      LOG_LEVEL: 'debug',
      LOG_CLIENT_IPS: 'YES',
      DRAIN_TIMEOUT: '45s500ms',
      MEDIA_MAX_SIZE: '64KiB',
      NODE_NAME: 'n1',
      REGION: '',
    });
    assert.equal(sut.PORT, 0);
    assert.equal(sut.DATABASE_URL, 'postgres://u:p@db:5432/tacit');
    assert.equal(sut.QUEUE_TTL_SECONDS, 3600);
    assert.equal(sut.LOG_CLIENT_IPS, true);
    assert.equal(sut.DRAIN_TIMEOUT, 45_500);
    assert.equal(sut.MEDIA_MAX_SIZE, 65_536);
    assert.equal(sut.REGION, undefined, 'empty counts as unset');
  });

  it('lists every bad key at once', () => {
    const err = captureConfigError(() =>
      loadConfig(schema, {
        PORT: '70000',
        DATABASE_URL: 'mysql://root:hunter2@db/x',
        QUEUE_TTL_SECONDS: '5',
        LOG_LEVEL: 'verbose',
        LOG_CLIENT_IPS: 'maybe',
        DRAIN_TIMEOUT: '10',
        MEDIA_MAX_SIZE: '12 parsecs',
      }),
    );
    assert.deepEqual(
      err.issues.map((i) => i.key),
      ['PORT', 'DATABASE_URL', 'QUEUE_TTL_SECONDS', 'LOG_LEVEL', 'LOG_CLIENT_IPS', 'DRAIN_TIMEOUT', 'MEDIA_MAX_SIZE', 'NODE_NAME'],
    );
    const problems = Object.fromEntries(err.issues.map((i) => [i.key, i.problem]));
    assert.equal(problems.PORT, 'must be at most 65535, got "70000"');
    assert.equal(problems.QUEUE_TTL_SECONDS, 'must be at least 60, got "5"');
    assert.equal(problems.LOG_LEVEL, 'must be one of debug, info, warn, error, got "verbose"');
    assert.equal(problems.NODE_NAME, 'required but not set');
    assert.equal(problems.DATABASE_URL, 'scheme must be one of postgres:, postgresql:');
    assert.equal(err.name, 'ConfigError');
    assert.doesNotMatch(err.message, /hunter2/);
  });

  it('never echoes the value of a secret-looking key', () => {
    const secrets = defineConfig({
      REDIS_PASSWORD: string({ minLength: 16 }),
      VAPID_PRIVATE_KEY: string({ pattern: /^[A-Za-z0-9_-]{43}$/ }),
      APNS_TOKEN_TTL: int(),
      PLAIN: string({ secret: true, maxLength: 2 }),
    });
    const err = captureConfigError(() =>
      loadConfig(secrets, { REDIS_PASSWORD: 'hunter2', VAPID_PRIVATE_KEY: 'hunter2', APNS_TOKEN_TTL: 'hunter2', PLAIN: 'hunter2' }),
    );
    assert.equal(err.issues.length, 4);
    assert.doesNotMatch(JSON.stringify(err.issues), /hunter2/);
    assert.doesNotMatch(err.message, /hunter2/);
  });

  it('rejects malformed numbers, durations and sizes', () => {
    const s = defineConfig({ N: int(), D: duration(), B: bytes() });
    for (const [key, raw] of [['N', '1.5'], ['N', '0x10'], ['N', '9007199254740993'], ['D', '5'], ['D', '5 m'], ['D', '-5s'], ['B', '1PB'], ['B', '-1']] as const) {
      assert.throws(() => loadConfig(s, { N: '1', D: '1s', B: '1', [key]: raw }), ConfigError, `${key}=${raw}`);
    }
  });
});

describe(hostPorts.name, () => {
  const s = defineConfig({ SENTINELS: hostPorts() });

  it('parses names, IPv4 and bracketed IPv6 addresses, ignoring blanks around commas', () => {
    assert.deepEqual(loadConfig(s, { SENTINELS: 's0.redis:26379, 10.0.0.2:26380 ,[::1]:26381' }).SENTINELS, [
      { host: 's0.redis', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
  });

  it('refuses entries without a port, with a port past 65535, or a list of only commas', () => {
    for (const raw of ['s0', 's0:26379,s1', 's0:65536', 'redis://s0:26379', ' , ']) {
      const err = captureConfigError(() => loadConfig(s, { SENTINELS: raw }));
      assert.equal(err.issues[0]?.key, 'SENTINELS', raw);
      assert.match(err.issues[0]!.problem, /host:port/, raw);
    }
  });
});

describe(isSecretKey.name, () => {
  it('recognises secret-looking names by segment', () => {
    for (const k of ['REDIS_PASSWORD', 'S3_SECRET_ACCESS_KEY', 'APNS_KEY', 'JWT_SECRET', 'NATS_TOKEN', 'pg_pass', 'FCM_CREDENTIALS']) {
      assert.equal(isSecretKey(k), true, k);
    }
    for (const k of ['PORT', 'LOG_LEVEL', 'MONKEY_COUNT', 'KEYSPACE_PREFIX']) assert.equal(isSecretKey(k), false, k);
  });
});

describe(loadConfigOrExit.name, () => {
  it('prints one JSON line with every issue and exits 78', () => {
    const lines: string[] = [];
    let code: number | undefined;
    assert.throws(
      () =>
        loadConfigOrExit(schema, {
          service: 'queue',
          env: { PORT: 'x' },
          write: (l) => lines.push(l),
          exit: (c) => {
            code = c;
            throw new Error('exited');
          },
        }),
      /exited/,
    );
    assert.equal(code, EXIT_CONFIG);
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!);
    assert.equal(entry.level, 'error');
    assert.equal(entry.service, 'queue');
    assert.equal(entry.event, 'config_invalid');
    assert.deepEqual(entry.issues.map((i: { variable: string }) => i.variable), ['PORT', 'NODE_NAME']);
    assert.ok(entry.issues.every((i: { problem: unknown }) => typeof i.problem === 'string' && i.problem.length > 0));
  });

  it('returns the config when it is valid', () => {
    assert.equal(loadConfigOrExit(schema, { env: { NODE_NAME: 'n' } }).NODE_NAME, 'n');
  });
});

function captureConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  assert.fail('expected ConfigError');
}
