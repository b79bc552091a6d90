// The push service as the node composes it — PushModule on the in-process bus and PGlite in a data
// folder, through the platform's startService — with a recording sender standing for a provider: a
// registration over the bus, queued events published on the bus are one wake, /metrics counts them
// (no ids), and a wake the provider asked to retry is still pending after a restart on the same folder.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger, type Bus } from '@tacit/kit';
import { BusClientProxy, startService, type ServiceDefinition } from '@tacit/platform';
import { create, PUSH_ROUTES, PUSH_SUBJECTS, pushV1, toBinary } from '@tacit/proto';
import { waitFor } from '@tacit/testing';
import { pushConfigSchema, pushSettingsIssues } from './config.js';
import { PushModule } from './push.module.js';
import { PushService } from './push.service.js';
import { RecordingSender, TARGETS, TestDevice, FakeClock } from './spec-fixtures.js';

function definition(sender: RecordingSender): ServiceDefinition<typeof pushConfigSchema> {
  return { name: 'push', module: PushModule.withSenders(() => [sender]), config: pushConfigSchema, prefixes: ['PUSH_'], checks: [pushSettingsIssues] };
}

/** Registers `device`'s `dests` for the Web Push target over the bus, as the gateway would. */
function registerWebPush(bus: Bus, device: TestDevice, dests: Parameters<TestDevice['registration']>[1]) {
  const reg = device.registration(TARGETS.webpush, dests);
  return new BusClientProxy(bus).call(PUSH_ROUTES.register, {
    peerKey: reg.peerKey,
    dests: [...reg.dests],
    target: { provider: pushV1.PushProvider.WEB_PUSH, endpoint: TARGETS.webpush.endpoint, p256dh: TARGETS.webpush.p256dh, auth: TARGETS.webpush.auth },
    issuedAtMs: BigInt(reg.issuedAtMs),
    signature: reg.signature,
    requester: 'h:module-spec',
  });
}

describe(PushModule.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tacit-push-module-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { DATA_DIR: dir, OPS_HOST: '127.0.0.1', OPS_PORT: '0', LOG_LEVEL: 'warn', PUSH_COALESCE_WINDOW: '1h', PUSH_RETRY_START: '3s' };

  it('serves registrations on the bus, one wake for a burst of events on it, counts without ids, keeps a pending wake across a restart', { timeout: 120_000 }, async () => {
    const sender = new RecordingSender('webpush');
    // The provider asks to retry (the backoff: 3 s); the process stops before then.
    sender.program.push({ kind: 'retry', reason: '503' });
    let service = await startService(definition(sender), { env });
    const bob = new TestDevice(new FakeClock());
    const dests = bob.dests(2);
    const event = (i: number) => toBinary(pushV1.QueuedEventSchema, create(pushV1.QueuedEventSchema, { mailboxId: bob.mailbox(dests[i % 2]!) }));
    try {
      const reply = await registerWebPush(service.bus, bob, dests);
      assert.equal(reply.status, pushV1.PushStatus.OK);
      for (let i = 0; i < 5; i++) service.bus.publish(PUSH_SUBJECTS.queued, event(i));
      await waitFor(() => service.get(PushService).stats().wakes.webpush.retry === 1, { timeoutMs: 10_000, intervalMs: 10, what: 'one wake, answered retry' });
      await waitFor(() => service.get(PushService).stats().events === 5, { timeoutMs: 10_000, intervalMs: 10, what: 'five events' });
      assert.equal(sender.wakes.length, 1, 'a burst is one wake');
      const metrics = await (await fetch(`${service.opsUrl}/metrics`)).text();
      assert.match(metrics, /^tacit_push_wakes_total\{provider="webpush",outcome="retry"[^}]*\} 1$/m);
      assert.match(metrics, /^tacit_push_events_total\{outcome="matched"[^}]*\} 5$/m);
      for (const needle of [Buffer.from(bob.peerKey).toString('hex'), TARGETS.webpush.endpoint, 'h:module-spec']) assert.ok(!metrics.includes(needle));
    } finally {
      await service.close();
    }
    assert.equal(sender.closed, true, 'the senders were closed');
    assert.equal(sender.wakes.length, 1);

    // The same data folder: the wake is still pending, and goes once its backoff is over.
    const after = new RecordingSender('webpush');
    service = await startService(definition(after), { env });
    try {
      await waitFor(() => after.wakes.length === 1, { timeoutMs: 15_000, intervalMs: 20, what: 'the pending wake after the restart' });
    } finally {
      await service.close();
    }
  });

  it('in process with no provider configured takes no queued events: each would cost a database round trip for nothing', { timeout: 60_000 }, async () => {
    const data = mkdtempSync(join(tmpdir(), 'tacit-push-module-none-'));
    const lines: string[] = [];
    const service = await startService(
      { name: 'push', module: PushModule.withSenders(() => []), config: pushConfigSchema, prefixes: ['PUSH_'], checks: [pushSettingsIssues] },
      { env: { ...env, DATA_DIR: data }, logger: createLogger({ service: 'push', write: (l) => void lines.push(l) }) },
    );
    try {
      const bob = new TestDevice(new FakeClock());
      for (let i = 0; i < 3; i++) service.bus.publish(PUSH_SUBJECTS.queued, toBinary(pushV1.QueuedEventSchema, create(pushV1.QueuedEventSchema, { mailboxId: bob.mailbox(bob.dests(1)[0]!) })));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(service.get(PushService).stats().events, 0, 'no event taken');
      assert.ok(lines.some((l) => l.includes('"push_started"') && l.includes('"intake":"none"')), lines.join('\n'));
      // A registration is refused as before, with the typed error that says why.
      const reply = await registerWebPush(service.bus, bob, bob.dests(1));
      assert.deepEqual([pushV1.PushStatus[reply.status], reply.field], ['UNSUPPORTED', 'target.provider']);
    } finally {
      await service.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
