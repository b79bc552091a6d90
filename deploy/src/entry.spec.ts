import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { freePort, startNats, startPostgres, waitFor } from '@tacit/testing';

const entry = fileURLToPath(new URL('./entry.js', import.meta.url));

function run(args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, [entry, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => void (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => void (out += b.toString()));
  return { child, out: () => out };
}

async function exit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const { child, out } = run(args, env);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, lines: out().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('tacit entry point (the image\'s command)', { timeout: 240_000 }, () => {
  let node: ChildProcess | undefined;
  let url = '';
  let dataDir = '';
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tacit-entry-'));
    const [port, opsPort] = [await freePort(), await freePort()];
    const started = run(['node'], { HOST: '127.0.0.1', PORT: String(port), OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort), MEDIA_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    node = started.child;
    await waitFor(
      async () => {
        if (node!.exitCode !== null) throw new Error(`node exited: ${started.out()}`);
        return (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200;
      },
      // A first start makes three embedded databases (the queue's, the prekey service's, the directory's): slow on a loaded machine.
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    url = `ws://127.0.0.1:${port}/v1`;
  });
  after(async () => {
    if (node && node.exitCode === null) {
      const done = once(node, 'exit');
      node.kill('SIGTERM');
      await done;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('`node` serves clients and `roundtrip` completes a real round trip through it', async () => {
    const res = await exit(['roundtrip'], { ROUNDTRIP_URL: url, ROUNDTRIP_PACKETS: '20', ROUNDTRIP_TIMEOUT_MS: '20000' });
    assert.equal(res.code, 0, JSON.stringify(res.lines));
    assert.equal(res.lines.at(-1)?.event, 'roundtrip_ok');
    assert.equal(res.lines.at(-1)?.packets, 20);
  });

  it('`roundtrip` to a port nobody serves fails with exit 1 and says what was missing', async () => {
    const res = await exit(['roundtrip'], { ROUNDTRIP_URL: `ws://127.0.0.1:${await freePort()}/v1`, ROUNDTRIP_TIMEOUT_MS: '1500' });
    assert.equal(res.code, 1);
    assert.equal(res.lines.at(-1)?.event, 'roundtrip_failed');
    assert.match(String(res.lines.at(-1)?.message), /incomplete after 1500 ms: A received 0\/5, B 0\/5/);
  });

  it('`roundtrip` refuses ws:// to a host other than loopback unless ROUNDTRIP_ALLOW_INSECURE is set', async () => {
    // The client refuses the URL before opening any connection (and .invalid never resolves).
    const res = await exit(['roundtrip'], { ROUNDTRIP_URL: 'ws://tacit-gateway.invalid:8080/v1', ROUNDTRIP_TIMEOUT_MS: '1000' });
    assert.equal(res.code, 1);
    assert.equal(res.lines.at(-1)?.error, 'RangeError');
    assert.match(String(res.lines.at(-1)?.message), /expected wss:\/\/ \(or ws:\/\/ to loopback\)/);
  });

  it('`roundtrip` without a URL exits 78 naming ROUNDTRIP_URL', async () => {
    const res = await exit(['roundtrip'], { ROUNDTRIP_URL: 'http://x/v1' });
    assert.equal(res.code, 78);
    assert.deepEqual((res.lines[0]!.issues as { variable: string }[]).map((i) => i.variable), ['ROUNDTRIP_URL']);
  });

  it('`wait` returns once every endpoint listens, and fails naming the ones that never did', async () => {
    const server = createServer((s) => s.destroy());
    const port = await freePort();
    const closed = await freePort();
    try {
      // The listener opens only once the waiter has said it is waiting: the test shows the wait,
      // however slowly the child starts.
      const waiter = run(['wait'], { WAIT_FOR: `127.0.0.1:${port}`, WAIT_TIMEOUT_SECONDS: '20' });
      await waitFor(() => waiter.out().includes('"event":"waiting"'), { timeoutMs: 15_000, intervalMs: 50 });
      server.listen(port, '127.0.0.1');
      const [code] = (await once(waiter.child, 'exit')) as [number | null];
      assert.equal(code, 0, waiter.out());
      assert.match(waiter.out(), /"event":"endpoints_open"/);
      const bad = await exit(['wait'], { WAIT_FOR: `127.0.0.1:${port},127.0.0.1:${closed}`, WAIT_TIMEOUT_SECONDS: '1' });
      assert.equal(bad.code, 1);
      assert.match(String(bad.lines.at(-1)?.message), new RegExp(`still closed after 1000 ms: 127\\.0\\.0\\.1:${closed}$`));
    } finally {
      server.close();
    }
  });

  it('`wait` refuses a malformed list with exit 78', async () => {
    const res = await exit(['wait'], { WAIT_FOR: 'postgres' });
    assert.equal(res.code, 78);
    assert.match(JSON.stringify(res.lines[0]), /WAIT_FOR.*host:port entries, got \\"postgres\\"/);
  });

  it('`migrate` applies the queue\'s, the prekey service\'s, the directory\'s and the push service\'s migrations; `prekey` then starts on them with nothing left to apply, serves, and exits 0 on SIGTERM', async () => {
    const [postgres, nats] = await Promise.all([startPostgres(), startNats()]);
    try {
      const migrated = await exit(['migrate'], { DATABASE_URL: postgres.url, MIGRATE_WAIT_SECONDS: '10' });
      assert.equal(migrated.code, 0, JSON.stringify(migrated.lines));
      const applied = migrated.lines.filter((l) => l.event === 'migrations_applied');
      assert.deepEqual(applied.map((l) => l.target), ['queue', 'prekey', 'directory', 'push']);
      assert.ok(applied.every((l) => Array.isArray(l.versions) && l.versions.length > 0), JSON.stringify(applied));

      const opsPort = await freePort();
      const prekey = run(['prekey'], { DATABASE_URL: postgres.url, NATS_URL: nats.url, OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort), LOG_LEVEL: 'info' });
      try {
        await waitFor(
          async () => {
            if (prekey.child.exitCode !== null) throw new Error(`prekey exited: ${prekey.out()}`);
            return (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.status === 200;
          },
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        const lines = prekey.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.deepEqual(lines.find((l) => l.event === 'migrations_applied')?.versions, [], 'the Job had applied them');
        assert.ok(lines.some((l) => l.event === 'prekey_serving'));
        assert.match(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text(), /^tacit_prekey_challenges_total/m);
      } finally {
        const done = once(prekey.child, 'exit');
        if (prekey.child.exitCode === null) prekey.child.kill('SIGTERM');
        await done.catch(() => undefined);
      }
      assert.equal(prekey.child.exitCode, 0, prekey.out());
    } finally {
      await Promise.all([postgres.stop(), nats.stop()]);
    }
  });

  it('`prekey` without its database and NATS exits 78 naming both', async () => {
    const res = await exit(['prekey']);
    assert.equal(res.code, 78);
    assert.deepEqual((res.lines[0]!.issues as { variable: string }[]).map((i) => i.variable).sort(), ['DATABASE_URL', 'NATS_URL']);
  });

  it('`directory` without its database and NATS exits 78 naming both', async () => {
    const res = await exit(['directory']);
    assert.equal(res.code, 78);
    assert.deepEqual((res.lines[0]!.issues as { variable: string }[]).map((i) => i.variable).sort(), ['DATABASE_URL', 'NATS_URL']);
  });

  it('`push` without its database, NATS and secret exits 78 naming them', async () => {
    const res = await exit(['push']);
    assert.equal(res.code, 78);
    assert.deepEqual((res.lines[0]!.issues as { variable: string }[]).map((i) => i.variable).sort(), ['DATABASE_URL', 'NATS_URL', 'PUSH_SECRET']);
  });

  it('an unknown command exits 64 listing the commands', async () => {
    const res = await exit(['gatewya']);
    assert.equal(res.code, 64);
    assert.deepEqual(res.lines[0]!.commands, ['node', 'gateway', 'queue', 'prekey', 'directory', 'push', 'media', 'migrate', 'roundtrip', 'wait']);
  });
});
