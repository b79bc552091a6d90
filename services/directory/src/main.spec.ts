// The directory started alone by its own main, as the cluster runs it: against real PostgreSQL and
// nats-server it migrates, serves a registration and a lookup through the client library, counts
// them in its metrics, and exits 0 on SIGTERM; a bad setting stops it with exit 78.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { BusDirectoryClient } from '@tacit/directory-client';
import { openRecord } from '@tacit/directory-core';
import { NatsBus } from '@tacit/kit';
import { BusClientProxy } from '@tacit/platform';
import { ChildScript, freePort, startNats, startPostgres, waitFor, type NatsServer, type PostgresServer } from '@tacit/testing';
import { keysOf, TestOwner } from './spec-fixtures.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** The main with `env`. */
class Proc extends ChildScript {
  constructor(env: Record<string, string>) {
    super(MAIN, env);
  }
}

describe('the directory main', { timeout: 120_000 }, () => {
  const procs: Proc[] = [];
  after(async () => {
    await Promise.all(procs.map((p) => p.exit('SIGKILL')));
  });

  it('exits 78 naming every bad or unknown setting', async () => {
    const p = new Proc({ DATABASE_URL: 'postgres://127.0.0.1:1/x', NATS_URL: 'nats://127.0.0.1:1', DIRECTORY_LOOKUPS_PER_MINUTE: '0', DIRECTORY_NOPE: '1' });
    procs.push(p);
    assert.equal(await p.exit(), 78);
    assert.match(p.out, /"event":"config_invalid"/);
    assert.match(p.out, /"variable":"DIRECTORY_LOOKUPS_PER_MINUTE"/);
    assert.match(p.out, /DIRECTORY_NOPE/, 'an unknown DIRECTORY_ variable is named');
    const bare = new Proc({});
    procs.push(bare);
    assert.equal(await bare.exit(), 78);
    assert.match(bare.out, /"variable":"(DATABASE_URL|NATS_URL)"/);
  });

  describe('as the cluster runs it', () => {
    let nats: NatsServer;
    let postgres: PostgresServer;
    before(async () => {
      [nats, postgres] = await Promise.all([startNats({ jetstream: false }), startPostgres()]);
    });
    after(async () => {
      await Promise.all([nats.stop(), postgres.stop()]);
    });

    it('migrates PostgreSQL, serves register and lookup over NATS, counts them, exits 0 on SIGTERM', async () => {
      const opsPort = await freePort();
      const p = new Proc({ NATS_URL: nats.url, DATABASE_URL: postgres.url, OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort) });
      procs.push(p);
      await waitFor(
        async () => {
          if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}: ${p.out}`);
          return (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200;
        },
        { timeoutMs: 60_000, intervalMs: 50, what: 'the directory ready' },
      );
      assert.match(p.out, /"event":"directory_serving"/);
      const bus = await NatsBus.connect({ url: nats.url, name: 'main-spec' });
      try {
        const client = new BusDirectoryClient(new BusClientProxy(bus));
        const alice = new TestOwner(keysOf(new Uint8Array(32).fill(7), 'alice'));
        assert.equal(await client.register(alice.register(await client.challenge())), 1);
        const found = await client.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'client-b' });
        assert.deepEqual(openRecord(alice.keys, 'signed', found.record).identityKey, alice.identity.publicKey);
      } finally {
        await bus.close();
      }
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      assert.match(metrics, /^tacit_directory_requests_total\{op="register",outcome="ok"[^}]*\} 1$/m);
      assert.match(metrics, /^tacit_directory_requests_total\{op="lookup",outcome="ok"[^}]*\} 1$/m);
      assert.equal(await p.exit('SIGTERM'), 0);
      // Nothing of the request in what it printed.
      assert.doesNotMatch(p.out, /alice|client-b/);
    });
  });
});
