// The push service started alone by its own main, as the cluster runs it: against real PostgreSQL
// and a nats-server with JetStream it migrates, makes its stream, serves registrations over NATS,
// takes queued events from the stream, counts them in its metrics (counts only), and exits 0 on
// SIGTERM; a bad setting stops it with exit 78.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { NatsBus } from '@tacit/kit';
import { BusClientProxy } from '@tacit/platform';
import { create, PUSH_ROUTES, PUSH_SUBJECTS, pushV1, toBinary } from '@tacit/proto';
import { ChildScript, freePort, startNats, startPostgres, waitFor, type NatsServer, type PostgresServer } from '@tacit/testing';
import { FakeClock, TARGETS, TestDevice } from './spec-fixtures.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const SECRET = 'a-push-secret-of-at-least-32-characters';

/** The main with `env`. */
class Proc extends ChildScript {
  constructor(env: Record<string, string>) {
    super(MAIN, env);
  }
}

describe('the push main', { timeout: 120_000 }, () => {
  const procs: Proc[] = [];
  after(async () => {
    await Promise.all(procs.map((p) => p.exit('SIGKILL')));
  });

  it('exits 78 naming every bad or unknown setting, a missing secret and a half-configured provider', async () => {
    const p = new Proc({ DATABASE_URL: 'postgres://127.0.0.1:1/x', NATS_URL: 'nats://127.0.0.1:1', PUSH_SECRET: SECRET, PUSH_COALESCE_WINDOW: '0s', PUSH_NOPE: '1', PUSH_APNS_KEY_ID: 'ABCDEFGHIJ' });
    procs.push(p);
    assert.equal(await p.exit(), 78);
    assert.match(p.out, /"event":"config_invalid"/);
    assert.match(p.out, /"variable":"PUSH_COALESCE_WINDOW"/);
    assert.match(p.out, /PUSH_NOPE/, 'an unknown PUSH_ variable is named');
    const half = new Proc({ DATABASE_URL: 'postgres://127.0.0.1:1/x', NATS_URL: 'nats://127.0.0.1:1', PUSH_SECRET: SECRET, PUSH_APNS_KEY_ID: 'ABCDEFGHIJ' });
    procs.push(half);
    assert.equal(await half.exit(), 78);
    assert.match(half.out, /"variable":"PUSH_APNS_TEAM_ID","problem":"required with PUSH_APNS_KEY_ID/);
    assert.doesNotMatch(half.out, new RegExp(SECRET), 'the secret is never echoed');
    const bare = new Proc({ DATABASE_URL: 'postgres://127.0.0.1:1/x', NATS_URL: 'nats://127.0.0.1:1' });
    procs.push(bare);
    assert.equal(await bare.exit(), 78);
    assert.match(bare.out, /"variable":"PUSH_SECRET"/);
  });

  describe('as the cluster runs it', () => {
    let nats: NatsServer;
    let postgres: PostgresServer;
    before(async () => {
      [nats, postgres] = await Promise.all([startNats({ jetstream: true }), startPostgres()]);
    });
    after(async () => {
      await Promise.all([nats.stop(), postgres.stop()]);
    });

    it('migrates, makes its stream, answers over NATS, takes queued events, counts them, exits 0 on SIGTERM', async () => {
      const opsPort = await freePort();
      const p = new Proc({ NATS_URL: nats.url, DATABASE_URL: postgres.url, PUSH_SECRET: SECRET, OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort) });
      procs.push(p);
      await waitFor(
        async () => {
          if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}: ${p.out}`);
          return (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200;
        },
        { timeoutMs: 60_000, intervalMs: 50, what: 'the push service ready' },
      );
      assert.match(p.out, /"event":"push_serving"/);
      assert.match(p.out, /"intake":"jetstream"/);
      const bus = await NatsBus.connect({ url: nats.url, name: 'main-spec' });
      const bob = new TestDevice(new FakeClock());
      try {
        const reg = bob.registration(TARGETS.apns, bob.dests(2));
        const reply = await new BusClientProxy(bus).call(PUSH_ROUTES.register, {
          peerKey: reg.peerKey,
          dests: [...reg.dests],
          target: { provider: pushV1.PushProvider.APNS, token: TARGETS.apns.token },
          issuedAtMs: BigInt(reg.issuedAtMs),
          signature: reg.signature,
          requester: 'h:main-spec',
        });
        // No provider is configured here: the typed refusal says so.
        assert.deepEqual([pushV1.PushStatus[reply.status], reply.field], ['UNSUPPORTED', 'target.provider']);
        for (let i = 0; i < 3; i++) bus.publish(PUSH_SUBJECTS.queued, toBinary(pushV1.QueuedEventSchema, create(pushV1.QueuedEventSchema, { mailboxId: bob.mailbox(reg.dests[0]!) })));
        await bus.settled();
        await waitFor(async () => /^tacit_push_events_total\{outcome="unmatched"[^}]*\} 3$/m.test(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text()), {
          timeoutMs: 10_000,
          intervalMs: 50,
          what: 'three events counted',
        });
      } finally {
        await bus.close();
      }
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      assert.match(metrics, /^tacit_push_registrations_total\{outcome="UNSUPPORTED"[^}]*\} 1$/m);
      assert.equal(await p.exit('SIGTERM'), 0);
      // Nothing of the request in what it printed or counted.
      for (const text of [p.out, metrics]) {
        assert.doesNotMatch(text, new RegExp(TARGETS.apns.token));
        assert.doesNotMatch(text, new RegExp(Buffer.from(bob.peerKey).toString('hex')));
        assert.doesNotMatch(text, /h:main-spec/);
      }
    });
  });
});
