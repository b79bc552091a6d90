// The shell as a service sees it: settings checked before anything starts, the ops surface on its
// own listener, bus handlers served, OnServiceStart after them, and the order of a graceful stop.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigError, createLogger, defineConfig, HealthRegistry, int, ResourceExhaustedError, type Bus } from '@tacit/kit';
import { busRoute, queueV1 } from '@tacit/proto';
import { BusClientProxy } from './bus-client.js';
import { BusHandle } from './bus-handle.js';
import { hasServiceStart, type OnServiceStart } from './lifecycle.js';
import { loadSettings } from './settings.js';
import { loggableSubject, startService, type RunningService } from './service.js';
import { BUS, HEALTH, SETTINGS } from './tokens.js';

const PING = busRoute('tacit.test.v1.ping', queueV1.AckRequestSchema, queueV1.AckReplySchema);
const FULL = busRoute('tacit.test.v1.full', queueV1.AckRequestSchema, queueV1.AckReplySchema);
const events: string[] = [];

@Controller()
class PingController {
  @BusHandle(PING)
  ping(): queueV1.AckReply {
    return { $typeName: 'tacit.queue.v1.AckReply', deleted: 1 };
  }

  @BusHandle(FULL)
  full(): queueV1.AckReply {
    throw new ResourceExhaustedError('the test is full');
  }
}

/** Records the lifecycle as the shell drives it, and checks the bus still serves while it drains. */
@Injectable()
class Recorder implements OnServiceStart, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(HEALTH) health: HealthRegistry,
    @Inject(SETTINGS) readonly settings: { TEST_LIMIT: number },
  ) {
    health.addReadiness('recorder', () => !events.includes('unready'));
  }
  async onServiceStart(): Promise<void> {
    // The bus serves before the service opens its own doors.
    const reply = await new BusClientProxy(this.bus).call(PING, {});
    events.push(`start:${reply.deleted}`);
  }
  async beforeApplicationShutdown(): Promise<void> {
    const reply = await new BusClientProxy(this.bus).call(PING, {});
    events.push(`drain:${reply.deleted}`);
  }
  onApplicationShutdown(): void {
    events.push('shutdown');
  }
}

@Module({ controllers: [PingController], providers: [Recorder] })
class TestModule {}

const testConfig = defineConfig({ TEST_LIMIT: int({ default: 5, min: 1, max: 10 }) });
const quiet = createLogger({ service: 'test', write: () => {} });
const def = { name: 'test', module: TestModule, config: testConfig, prefixes: ['TEST_'] };

describe(startService.name, () => {
  let sut: RunningService<{ TEST_LIMIT: number }> | undefined;
  after(async () => sut?.close());

  it('refuses a bad environment before starting anything: every bad variable named, unknown prefixed ones too', async () => {
    await assert.rejects(
      startService(def, { env: { TEST_LIMIT: '11', TEST_LIMT: '3', OPS_PORT: 'x', OPS_HOTS: 'y', LOG_LEVEL: 'loud' }, logger: quiet }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.issues.map((i) => i.key).sort(), ['LOG_LEVEL', 'OPS_HOTS', 'OPS_PORT', 'TEST_LIMIT', 'TEST_LIMT']);
        assert.match(err.issues.find((i) => i.key === 'TEST_LIMT')!.problem, /unknown setting .*TEST_LIMIT/);
        return true;
      },
    );
  });

  it('serves the module: settings by token, bus handlers, /healthz /readyz /metrics on the ops listener, then OnServiceStart', async () => {
    events.length = 0;
    sut = await startService(def, { env: { TEST_LIMIT: '7', OPS_HOST: '127.0.0.1', OPS_PORT: '0', UNRELATED: 'fine' }, logger: quiet });
    assert.equal(sut.get(Recorder).settings.TEST_LIMIT, 7);
    assert.deepEqual(events, ['start:1']);
    const live = await fetch(`${sut.opsUrl}/healthz`);
    assert.equal(live.status, 200);
    assert.equal(((await live.json()) as { status: string }).status, 'ok');
    const ready = await fetch(`${sut.opsUrl}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await fetch(`${sut.opsUrl}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await metrics.text(), /^process_cpu_user_seconds_total/m);
    assert.equal((await fetch(`${sut.opsUrl}/elsewhere`)).status, 404);
  });

  it('carries a typed error from a handler to its caller as the same class, through the service\'s own transport', async () => {
    await assert.rejects(new BusClientProxy(sut!.bus).call(FULL, {}), (err: unknown) => err instanceof ResourceExhaustedError && err.message === 'the test is full');
  });

  it('answers /readyz 503 naming a failing check, without its error, and once shutting down', async () => {
    events.push('unready');
    const res = await fetch(`${sut!.opsUrl}/readyz`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { status: string; error: Record<string, { status: string }> };
    assert.equal(body.status, 'error');
    assert.deepEqual(body.error, { recorder: { status: 'down' } });
    events.pop();
    sut!.health.setShuttingDown();
    assert.equal((await fetch(`${sut!.opsUrl}/readyz`)).status, 503);
  });

  it('stops in order: drains while the bus still serves, then shuts down; the ops listener is gone', async () => {
    const ops = sut!.opsUrl;
    await sut!.close();
    assert.deepEqual(events.slice(-2), ['drain:1', 'shutdown']);
    await assert.rejects(fetch(`${ops}/healthz`));
    sut = undefined;
  });
});

describe(loadSettings.name, () => {
  it('names every bad variable and every unknown one with a listed prefix, and ignores others', () => {
    assert.throws(
      () => loadSettings(testConfig, { TEST_LIMIT: '0', TEST_X: '1', OTHER_X: '1' }, ['TEST_']),
      (err: unknown) => err instanceof ConfigError && err.issues.length === 2 && /this process reads TEST_\*: TEST_LIMIT/.test(err.issues[1]!.problem),
    );
    assert.equal(loadSettings(testConfig, { OTHER_X: '1', TEST_LIMIT: '' }, ['TEST_']).TEST_LIMIT, 5);
  });

  it('runs the cross-setting checks on the parsed settings, and only once every variable passed', () => {
    const seen: number[] = [];
    const check = (s: { TEST_LIMIT: number }) => {
      seen.push(s.TEST_LIMIT);
      return s.TEST_LIMIT > 8 ? [{ key: 'TEST_LIMIT', problem: 'must be at most 8 here' }] : [];
    };
    assert.throws(
      () => loadSettings(testConfig, { TEST_LIMIT: '9' }, ['TEST_'], [check]),
      (err: unknown) => err instanceof ConfigError && err.issues.length === 1 && err.issues[0]!.key === 'TEST_LIMIT' && /at most 8/.test(err.issues[0]!.problem),
    );
    assert.equal(loadSettings(testConfig, { TEST_LIMIT: '7' }, ['TEST_'], [check]).TEST_LIMIT, 7);
    assert.throws(() => loadSettings(testConfig, { TEST_LIMIT: '0' }, ['TEST_'], [check]), ConfigError);
    assert.deepEqual(seen, [9, 7]);
  });
});

describe(loggableSubject.name, () => {
  it('masks ids in a subject (mailbox, replica, inbox) and leaves API subjects whole', () => {
    assert.equal(loggableSubject('tacit.mbx.00112233445566778899aabbccddeeff'), 'tacit.mbx.*');
    assert.equal(loggableSubject('tacit.gw.0011223344556677'), 'tacit.gw.*');
    assert.equal(loggableSubject('_INBOX.abc.7'), '_INBOX.*');
    assert.equal(loggableSubject('tacit.queue.v1.enqueue'), 'tacit.queue.v1.enqueue');
    assert.equal(hasServiceStart({}), false);
  });
});
