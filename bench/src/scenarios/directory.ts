// tacit-directory-lookup and tacit-directory-register: directory lookups and registrations per second
// through the gateway's directory endpoints (POST /v1/directory/…), on the node with its entries in
// PostgreSQL. What is measured is the server's side: each request is built as the SDK builds it
// (a sealed record, a control key, its proof over a fresh challenge), but from handle keys drawn at
// random rather than from Argon2id — the server cannot tell, and the client's Argon2id (about 0.3 s
// per handle in JavaScript, paid once per handle a client looks up or registers: docs/directory.md)
// would otherwise be all the row measures. A registration is two requests (a challenge, then the
// register); a lookup is one. Not --compare rows: builds from before the directory have no endpoint.
import { randomBytes, x25519 } from '@tacit/crypto';
import { deriveControlKey, entryId, recordHash, sealRecord, signRegistration, type HandleKeys } from '@tacit/directory-core';
import { DirectoryHttpClient } from '@tacit/sdk';
import { freePort, startPostgres, type PostgresServer } from '@tacit/testing';
import { readCpuSeconds, startNodeProcess, waitForHttp, type StartedProcess } from '../proc.js';
import type { Figures, RunContext, RunSettings, Scenario } from '../scenario.js';
import { percentiles } from '../stats.js';
import { TACIT_NODE_FLAGS, THIS_BUILD } from '../targets/tacit.js';

/** Requests (or registrations) in flight at once. */
const CONCURRENCY = 16;
const INVITE = new TextEncoder().encode(`TACIT1:${'A'.repeat(180)}`);

/** One handle's keys without Argon2id (see the header). */
function handleKeys(i: number): HandleKeys {
  return { handle: `bench_${i}`, lookupKey: randomBytes(32), recordKey: randomBytes(32) } as HandleKeys;
}

/** Registers one new entry as the SDK does: challenge, sealed record, proof, register. */
async function register(http: DirectoryHttpClient, keys: HandleKeys): Promise<void> {
  const identity = x25519.keygen();
  const control = deriveControlKey(identity.secretKey, keys.lookupKey);
  const record = sealRecord({ keys, policy: 'signed', identity, controlKey: control.publicKey, invite: INVITE }).ciphertext;
  const challenge = await http.challenge();
  const proof = signRegistration(control.secretKey, challenge, entryId('signed', keys.lookupKey), recordHash(record));
  await http.register({ policy: 'signed', lookupKey: keys.lookupKey, record, controlKey: control.publicKey, challenge, proof });
}

/** `CONCURRENCY` loops of `op` until `until()` says stop; latencies in ms. */
async function loop(op: (i: number) => Promise<void>, until: () => boolean): Promise<{ ms: number[]; elapsedMs: number }> {
  const ms: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!until()) {
        const s = performance.now();
        await op(next++);
        ms.push(performance.now() - s);
      }
    }),
  );
  return { ms, elapsedMs: performance.now() - t0 };
}

/** One of the two rows. */
export function directoryRow(kind: 'lookup' | 'register'): Scenario {
  let pg: PostgresServer | undefined;
  let node: StartedProcess | undefined;
  let url = '';
  return {
    name: `tacit-directory-${kind}`,
    description:
      kind === 'lookup'
        ? 'Tacit directory lookups through the gateway (POST /v1/directory/lookup; handle keys precomputed, no client Argon2id), node on PostgreSQL'
        : 'Tacit directory registrations through the gateway (challenge + register, proof checked; handle keys precomputed, no client Argon2id), node on PostgreSQL',
    budgetMs: (s: RunSettings) => 120_000 + s.durationMs * 2,
    estimateMs: (s: RunSettings) => 15_000 + s.warmupMs + s.durationMs,
    async setup(ctx: RunContext): Promise<void> {
      pg = await startPostgres();
      const [port, opsPort] = [await freePort(), await freePort()];
      node = startNodeProcess(THIS_BUILD.node, [], {
        nodeFlags: TACIT_NODE_FLAGS,
        env: {
          HOST: '127.0.0.1',
          PORT: String(port),
          OPS_HOST: '127.0.0.1',
          OPS_PORT: String(opsPort),
          DATABASE_URL: pg.url,
          DATA_DIR: ctx.tmpDir,
          LOG_LEVEL: 'warn',
          // The bench is one client address: lift the per-address and per-requester limits meant for the internet.
          GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE: '10000000',
          GATEWAY_DIRECTORY_WRITES_PER_MINUTE: '10000000',
          DIRECTORY_LOOKUPS_PER_MINUTE: '1000000',
          DIRECTORY_WRITES_PER_HOUR: '1000000',
        },
      });
      await waitForHttp(`http://127.0.0.1:${opsPort}/readyz`, 60_000);
      url = `ws://127.0.0.1:${port}/v1`;
    },
    async run(ctx: RunContext): Promise<Figures> {
      const s = ctx.settings;
      const http = new DirectoryHttpClient(url);
      let op: (i: number) => Promise<void>;
      if (kind === 'lookup') {
        const entries = s.quick ? 50 : 200;
        ctx.log(`tacit-directory-lookup: registering ${entries} entries`);
        const keys = Array.from({ length: entries }, (_, i) => handleKeys(i));
        for (const k of keys) await register(http, k);
        op = async (i) => void (await http.lookup({ policy: 'signed', lookupKey: keys[i % keys.length]!.lookupKey }));
      } else {
        let n = 0;
        op = () => register(http, handleKeys(n++));
      }
      const warmEnd = performance.now() + s.warmupMs;
      await loop(op, () => performance.now() > warmEnd);
      const pid = node!.pid;
      const cpu0 = readCpuSeconds(pid);
      const end = performance.now() + s.durationMs;
      const run = await loop(op, () => performance.now() > end);
      const cpu = readCpuSeconds(pid) - cpu0;
      const [p50, p99] = percentiles(run.ms, [50, 99]);
      const round = (x: number | null) => (x === null ? null : Number(x.toFixed(2)));
      return {
        msgsPerSec: Math.round((run.ms.length / run.elapsedMs) * 1000),
        p50Ms: round(p50 ?? null),
        p99Ms: round(p99 ?? null),
        serverCpuPct: Math.round((cpu / (run.elapsedMs / 1000)) * 100),
        concurrency: CONCURRENCY,
      };
    },
    async teardown(): Promise<void> {
      await node?.stop(5000);
      await pg?.stop();
      node = undefined;
      pg = undefined;
    },
  };
}
