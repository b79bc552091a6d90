// Issue 12, attack 2: a contact times SEND → ACCEPTED to learn whether the recipient is online. On
// the one-container node, junk (packets the recipient's SDK cannot read, so it acks and drops them)
// goes alternately to a mailbox whose owner is online and to one whose owner is not; a two-sample
// Kolmogorov–Smirnov test compares the two sets of ACCEPTED times. With GATEWAY_HIDE_PRESENCE (the
// default) it must not tell them apart; with it off the same test must (so the test can fail).
//
// The times are taken on a shared machine (other spec files run beside this one), where a stall of
// the node's or the test's process now and then falls on one set more than the other. So the hidden
// case has three tries: a relay that gives presence away is told apart in every one (the control
// below, with the hold off, is told apart at once).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { newMailboxIdentity, RelayClient } from '@tacit/sdk';
import { freePort } from '@tacit/testing';
import WebSocket from 'ws';
import { procs, ready, start } from './procs.js';

const ns = new Uint8Array(32).fill(12);
const N = 120;

/** The two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical CDFs. */
function ks(a: number[], b: number[]): number {
  const xs = [...a, ...b].sort((x, y) => x - y);
  const cdf = (s: number[], x: number) => s.filter((v) => v <= x).length / s.length;
  return Math.max(...xs.map((x) => Math.abs(cdf(a, x) - cdf(b, x))));
}

/** The KS critical value at α = 0.001 for samples of n and m. */
const critical = (n: number, m: number) => 1.949 * Math.sqrt((n + m) / (n * m));

async function measure(hide: boolean): Promise<{ online: number[]; offline: number[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tacit-presence-'));
  // The node in its own process, as a relay is: its event loop is not the clients'.
  const [port, ops] = [await freePort(), await freePort()];
  const proc = start('node', { HOST: '127.0.0.1', PORT: String(port), OPS_HOST: '127.0.0.1', OPS_PORT: String(ops), MEDIA_PORT: '0', DATA_DIR: dir, GATEWAY_HIDE_PRESENCE: String(hide) });
  await ready(`http://127.0.0.1:${ops}/readyz`, proc);
  const node = { url: `ws://127.0.0.1:${port}/v1` };
  const ws = (u: string) => new WebSocket(u) as never;
  const victim = newMailboxIdentity();
  const away = newMailboxIdentity();
  // The victim's SDK acks junk it cannot unpad at once, as any client does.
  const online = new RelayClient({ urls: [node.url], namespaceId: ns, identity: victim, webSocket: ws });
  const contact = new RelayClient({ urls: [node.url], namespaceId: ns, identity: newMailboxIdentity(), webSocket: ws, receive: false });
  try {
    await Promise.all([online.connect(), contact.connect()]);
    const times = { online: [] as number[], offline: [] as number[] };
    // Warm both paths (JIT, the first commits), unmeasured.
    for (let i = 0; i < 100; i++) {
      await contact.send(victim.publicKey, new Uint8Array(100));
      await contact.send(away.publicKey, new Uint8Array(100));
    }
    for (let i = 0; i < N; i++) {
      for (const [to, list] of i % 2 === 0 ? ([[victim, times.online], [away, times.offline]] as const) : ([[away, times.offline], [victim, times.online]] as const)) {
        const t0 = performance.now();
        await contact.send(to.publicKey, new Uint8Array(100));
        list.push(performance.now() - t0);
      }
    }
    return times;
  } finally {
    online.close();
    contact.close();
    await proc.exit('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ACCEPTED timing does not tell a contact whether the recipient is online', { timeout: 300_000 }, () => {
  after(async () => {
    await Promise.all(procs.map((p) => p.exit('SIGKILL')));
  });
  it('hidden (the default): the online and offline times are one distribution (KS, α = 0.001)', async () => {
    const tries: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { online, offline } = await measure(true);
      const d = ks(online, offline);
      if (d < critical(N, N)) return;
      tries.push(`KS D = ${d.toFixed(3)} ≥ ${critical(N, N).toFixed(3)}: online p50 ${median(online).toFixed(1)} ms, offline ${median(offline).toFixed(1)} ms`);
    }
    assert.fail(`told apart in every try:\n${tries.join('\n')}`);
  });

  it('not hidden: the same test tells them apart (it is not a test that cannot fail)', async () => {
    const { online, offline } = await measure(false);
    const d = ks(online, offline);
    assert.ok(d >= critical(N, N), `KS D = ${d.toFixed(3)} < ${critical(N, N).toFixed(3)}: online p50 ${median(online).toFixed(1)} ms, offline ${median(offline).toFixed(1)} ms`);
  });
});

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}
