// tacit-prekey-fetch: bundle fetches per second through the gateway's prekey endpoint, on the node
// with its bundles in PostgreSQL. Identities are uploaded first (a signed prekey, a last-resort
// post-quantum key and 100 one-time prekeys of each kind, through the endpoint, proven as clients
// prove them); then concurrent fetchers take their one-time keys (each handed out once, a row lock
// and two deletes per fetch) until the pools are empty or the measured time is up — the row's
// rate — and then fetch the last-resort bundles of the emptied identities for half as long (an
// extra figure). Not a --compare row: builds from before the prekey service have no endpoint.
import { mlkem1024, x25519, xeddsa, type KeyPair } from '@tacit/crypto';
import {
  encodePrekeyUpload,
  MAX_UPLOAD_KYBER_PREKEYS,
  MAX_UPLOAD_PREKEYS,
  prekeyAddress,
  prekeyTag,
  prekeyUploadProofMessage,
  type WireSignedPreKey,
} from '@tacit/protocol';
import { PrekeyHttpClient } from '@tacit/sdk';
import { freePort, startPostgres, type PostgresServer } from '@tacit/testing';
import { readCpuSeconds, startNodeProcess, waitForHttp, type StartedProcess } from '../proc.js';
import type { Figures, RunContext, RunSettings, Scenario } from '../scenario.js';
import { percentiles } from '../stats.js';
import { TACIT_NODE_FLAGS, THIS_BUILD } from '../targets/tacit.js';

/** Fetches in flight at once. */
const CONCURRENCY = 16;
const NS = new Uint8Array(32).fill(0x5a);

const curve = (pk: Uint8Array): Uint8Array => Uint8Array.of(0x05, ...pk);

/** One identity's upload, built and signed as the SDK builds it. */
function upload(challenge: Uint8Array, oneTime: number): { body: Uint8Array; address: Uint8Array } {
  const id: KeyPair = x25519.keygen();
  const ik = curve(id.publicKey);
  const signed = (publicKey: Uint8Array, n: number): WireSignedPreKey => ({ id: n, publicKey, signature: xeddsa.sign(id.secretKey, publicKey) });
  const tag = prekeyTag(NS, ik);
  const body = encodePrekeyUpload({
    tag,
    identityKey: ik,
    registrationId: 1,
    signedPreKey: signed(curve(x25519.keygen().publicKey), 1),
    lastResortKyberPreKey: signed(Uint8Array.of(0x0a, ...mlkem1024.keygen().publicKey), 2),
    preKeys: Array.from({ length: oneTime }, (_, i) => ({ id: 10 + i, publicKey: curve(x25519.keygen().publicKey) })),
    kyberPreKeys: Array.from({ length: oneTime }, (_, i) => signed(Uint8Array.of(0x0a, ...mlkem1024.keygen().publicKey), 1000 + i)),
    challenge,
    signature: new Uint8Array(64),
  });
  body.set(xeddsa.sign(id.secretKey, prekeyUploadProofMessage(body)), body.length - 64);
  return { body, address: prekeyAddress(tag, ik) };
}

/** `CONCURRENCY` loops fetching round-robin over `addresses` until `until()` says stop; latencies in ms. */
async function fetchLoop(http: PrekeyHttpClient, addresses: Uint8Array[], until: (n: number) => boolean): Promise<{ ms: number[]; elapsedMs: number }> {
  const ms: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!until(ms.length)) {
        const a = addresses[next++ % addresses.length]!;
        const s = performance.now();
        await http.fetch(a);
        ms.push(performance.now() - s);
      }
    }),
  );
  return { ms, elapsedMs: performance.now() - t0 };
}

/** The row. */
export function prekeyFetchRow(): Scenario {
  let pg: PostgresServer | undefined;
  let node: StartedProcess | undefined;
  let url = '';
  return {
    name: 'tacit-prekey-fetch',
    description: 'Tacit prekey bundle fetches through the gateway (POST /v1/prekeys/fetch, one-time keys handed out once), node on PostgreSQL',
    budgetMs: (s: RunSettings) => 120_000 + s.durationMs * 2,
    estimateMs: (s: RunSettings) => 15_000 + s.warmupMs + s.durationMs * 1.5,
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
          // The bench is one client address: lift the per-address limits meant for the internet,
          // and the per-identity hourly budget (the fetchers take every one-time key on purpose).
          GATEWAY_PREKEY_FETCHES_PER_MINUTE: '10000000',
          GATEWAY_PREKEY_UPLOADS_PER_MINUTE: '10000000',
          PREKEY_ONE_TIME_PER_HOUR: '1000000',
        },
      });
      await waitForHttp(`http://127.0.0.1:${opsPort}/readyz`, 60_000);
      url = `ws://127.0.0.1:${port}/v1`;
    },
    async run(ctx: RunContext): Promise<Figures> {
      const s = ctx.settings;
      const http = new PrekeyHttpClient(url);
      const identities = s.quick ? 8 : 40;
      const oneTime = Math.min(MAX_UPLOAD_PREKEYS, MAX_UPLOAD_KYBER_PREKEYS);
      ctx.log(`tacit-prekey-fetch: uploading ${identities} identities with ${oneTime} one-time prekeys of each kind`);
      const addresses: Uint8Array[] = [];
      for (let i = 0; i < identities; i++) {
        const u = upload(await http.challenge(), oneTime);
        await http.upload(u.body);
        addresses.push(u.address);
      }
      const warm = upload(await http.challenge(), 0);
      await http.upload(warm.body);
      // Warm-up on an identity with no one-time keys (its last-resort bundle), so the pools are whole when measuring.
      const warmEnd = performance.now() + s.warmupMs;
      await fetchLoop(http, [warm.address], () => performance.now() > warmEnd);
      const pid = node!.pid;
      const cpu0 = readCpuSeconds(pid);
      const total = identities * oneTime;
      const end = performance.now() + s.durationMs;
      const one = await fetchLoop(http, addresses, (n) => n >= total - CONCURRENCY || performance.now() > end);
      const cpu = readCpuSeconds(pid) - cpu0;
      // Drain what the loop's stop rule left, then the last-resort phase on the emptied identities.
      await fetchLoop(http, addresses, (n) => n >= total);
      const lrEnd = performance.now() + s.durationMs / 2;
      const lr = await fetchLoop(http, addresses, () => performance.now() > lrEnd);
      const [p50, p99] = percentiles(one.ms, [50, 99]);
      const round = (x: number | null) => (x === null ? null : Number(x.toFixed(2)));
      return {
        msgsPerSec: Math.round((one.ms.length / one.elapsedMs) * 1000),
        p50Ms: round(p50 ?? null),
        p99Ms: round(p99 ?? null),
        oneTimeFetches: one.ms.length,
        lastResortFetchesPerSec: Math.round((lr.ms.length / lr.elapsedMs) * 1000),
        serverCpuPct: Math.round((cpu / (one.elapsedMs / 1000)) * 100),
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
