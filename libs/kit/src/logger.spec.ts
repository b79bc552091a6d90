import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, isSensitiveFieldName, Logger, REDACTED, REDACTED_BYTES, scrubFields, type LoggerOptions } from './logger.js';

const capture = (opts: Partial<LoggerOptions> = {}): { sut: Logger; lines: () => Record<string, unknown>[]; raw: string[] } => {
  const raw: string[] = [];
  const sut = createLogger({ service: 'queue', now: () => new Date(0), write: (l) => raw.push(l), ...opts });
  return { sut, raw, lines: () => raw.map((l) => JSON.parse(l)) };
};

describe(Logger.name, () => {
  it('writes one JSON line per event with level, ts, service, event first', () => {
    const { sut, raw, lines } = capture();
    sut.info('queue.started', { port: 8080 });
    assert.equal(raw.length, 1);
    assert.doesNotMatch(raw[0]!, /\n/);
    assert.deepEqual(lines()[0], { ts: '1970-01-01T00:00:00.000Z', level: 'info', service: 'queue', event: 'queue.started', port: 8080 });
    assert.deepEqual(Object.keys(lines()[0]!).slice(0, 4), ['level', 'ts', 'service', 'event']);
  });

  it('filters by level', () => {
    const { sut, lines } = capture({ level: 'warn' });
    sut.debug('a');
    sut.info('b');
    sut.warn('c');
    sut.error('d');
    assert.deepEqual(lines().map((l) => l.level), ['warn', 'error']);
    assert.equal(sut.isLevelEnabled('info'), false);
  });

  it('binds fields in child loggers without letting them overwrite the envelope', () => {
    const { sut, lines } = capture();
    const child = sut.child({ component: 'drain', event: 'spoofed', level: 'error' }).child({ shard: 3 });
    child.info('drain.done', { count: 2, service: 'other' });
    assert.deepEqual(lines()[0], { ts: '1970-01-01T00:00:00.000Z', level: 'info', service: 'queue', event: 'drain.done', component: 'drain', shard: 3, count: 2 });
  });

  it('redacts user data by field name, at any depth and in child bindings', () => {
    const { sut, raw } = capture();
    const secret = 'deadbeefcafe';
    sut.child({ destHash: secret }).warn('claim.failed', {
      dest: secret,
      mailbox_id: secret,
      publicKey: secret,
      payload: secret,
      apiToken: secret,
      SECRET: secret,
      clientIp: secret,
      remoteAddress: secret,
      nested: { deeper: [{ signature: secret }] },
      count: 1,
    });
    assert.doesNotMatch(raw[0]!, new RegExp(secret));
    const line = JSON.parse(raw[0]!);
    assert.equal(line.dest, REDACTED);
    assert.equal(line.clientIp, REDACTED);
    assert.equal(line.nested.deeper[0].signature, REDACTED);
    assert.equal(line.count, 1);
  });

  it('lets IP fields through only when the operator opts in', () => {
    const { sut, lines } = capture({ logClientIps: true });
    sut.info('conn.open', { ip: '203.0.113.7', hash: 'x' });
    assert.equal(lines()[0]!.ip, '203.0.113.7');
    assert.equal(lines()[0]!.hash, REDACTED);
  });

  it('never prints bytes, whatever the field is called', () => {
    const { sut, raw, lines } = capture();
    sut.info('frame', {
      data: new Uint8Array([0xde, 0xad]),
      buf: Buffer.from('hello'),
      ab: new ArrayBuffer(4),
      view: new DataView(new ArrayBuffer(2)),
      list: [new Uint8Array(3)],
      wrapped: { inner: Buffer.from('x') },
    });
    const line = lines()[0]!;
    for (const k of ['data', 'buf', 'ab', 'view']) assert.equal(line[k], REDACTED_BYTES, k);
    assert.deepEqual(line.list, [REDACTED_BYTES]);
    assert.doesNotMatch(raw[0]!, /hello|222|173/);
  });

  it('serialises errors, bigints, dates and cycles safely', () => {
    const { sut, lines } = capture();
    const cyc: Record<string, unknown> = { a: 1 };
    cyc.self = cyc;
    const err = Object.assign(new Error('boom', { cause: new TypeError('inner') }), { code: 'E_X' });
    sut.error('bug', { err, n: 10n, at: new Date(0), cyc, fn: () => 1 });
    const line = lines()[0]! as { err: { name: string; message: string; code: string; stack: string; cause: { name: string } }; n: string; at: string; cyc: { self: string }; fn?: unknown };
    assert.equal(line.err.name, 'Error');
    assert.equal(line.err.code, 'E_X');
    assert.equal(line.err.cause.name, 'TypeError');
    assert.match(line.err.stack, /boom/);
    assert.equal(line.n, '10');
    assert.equal(line.at, '1970-01-01T00:00:00.000Z');
    assert.equal(line.cyc.self, '[circular]');
    assert.equal('fn' in line, false);
  });
});

describe(isSensitiveFieldName.name, () => {
  it('matches words of any spelling, not substrings', () => {
    for (const n of ['hash', 'destHash', 'dest_hash', 'DEST-HASH', 'apiKey', 'prekeys', 'authorization', 'xForwardedFor', 'IPAddress']) {
      assert.equal(isSensitiveFieldName(n), true, n);
    }
    for (const n of ['subject', 'count', 'zip', 'skipped', 'monkey', 'durationMs', 'bytes']) {
      assert.equal(isSensitiveFieldName(n), false, n);
    }
    assert.deepEqual(scrubFields({ token: 't', ok: true }), { token: REDACTED, ok: true });
  });
});
