// tacit-push-wakes: content-free wakes per second from the push service to a local APNs (HTTP/2,
// ES256 provider tokens, checked as Apple checks them), in the cluster shape: the push service's
// own process on PostgreSQL and NATS with JetStream. N devices register (as the SDK registers, over
// the bus); then one QueuedEvent per device is published, as gateways publish them, and the row is
// N over the time from the first event to the N-th wake the provider accepted. Each wake is the whole
// path: the JetStream intake, the registration's lookup and coalescing state in PostgreSQL, the
// provider round trip, the recorded outcome. Not a --compare row: builds from before the push
// service have none.
import { generateKeyPairSync } from 'node:crypto';
import { ed25519 } from '@tacit/crypto';
import { NatsBus } from '@tacit/kit';
import { PUSH_SUBJECTS } from '@tacit/proto';
import { currentEpoch, destHash, mailboxId } from '@tacit/protocol';
import { encodeQueuedEvent } from '@tacit/push-client';
import { startFakeApns, type FakeApns } from '@tacit/push-providers/testing';
import { encodePushRegisterRequest } from '@tacit/sdk';
import { freePort, startNats, startPostgres, type NatsServer, type PostgresServer } from '@tacit/testing';
import { readCpuSeconds, startNodeProcess, waitForHttp, type StartedProcess } from '../proc.js';
import type { Figures, RunContext, RunSettings, Scenario } from '../scenario.js';
import { serviceMain, TACIT_NODE_FLAGS } from '../targets/tacit.js';

const NS = new Uint8Array(32).fill(0x7b);
/** Registrations in flight at once while the devices register. */
const REGISTER_CONCURRENCY = 32;

/** Registers `n` devices with APNs tokens; resolves to their current mailbox ids and tokens. */
async function registerDevices(bus: NatsBus, n: number, tag: number): Promise<{ mailboxes: Uint8Array[]; tokens: Set<string> }> {
  const mailboxes: Uint8Array[] = [];
  const tokens = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: REGISTER_CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const identity = ed25519.keygen();
        const token = `${tag.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`.repeat(4);
        await bus.request(PUSH_SUBJECTS.register, encodePushRegisterRequest({ namespaceId: NS, identity, target: { provider: 'apns', token }, horizonHours: 0 }), { timeoutMs: 30_000 });
        mailboxes.push(mailboxId(destHash(NS, identity.publicKey, currentEpoch(Date.now())), identity.publicKey));
        tokens.add(token);
      }
    }),
  );
  return { mailboxes, tokens };
}

/** The number of `fake`'s wakes to `tokens`. */
function woken(fake: FakeApns, tokens: Set<string>): number {
  let n = 0;
  for (const w of fake.wakes) if (tokens.has(w.token)) n++;
  return n;
}

/** Publishes one event per mailbox; resolves with the time to the last wake (ms). */
async function wakeAll(bus: NatsBus, fake: FakeApns, devices: { mailboxes: Uint8Array[]; tokens: Set<string> }, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (const m of devices.mailboxes) bus.publish(PUSH_SUBJECTS.queued, encodeQueuedEvent(m));
  const deadline = t0 + timeoutMs;
  while (woken(fake, devices.tokens) < devices.tokens.size) {
    if (performance.now() > deadline) throw new Error(`${woken(fake, devices.tokens)} of ${devices.tokens.size} wakes within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - t0;
}

export function pushWakesRow(): Scenario {
  let nats: NatsServer | undefined;
  let pg: PostgresServer | undefined;
  let push: StartedProcess | undefined;
  let apns: FakeApns | undefined;
  let bus: NatsBus | undefined;
  const devices = (s: RunSettings) => (s.quick ? 1000 : 5000);
  return {
    name: 'tacit-push-wakes',
    description: 'Tacit push service: content-free wakes per second to a local APNs (HTTP/2, ES256 tokens), one QueuedEvent per registered device, on PostgreSQL and NATS JetStream',
    budgetMs: (s) => 180_000 + devices(s) * 20,
    estimateMs: (s) => 15_000 + devices(s) * 4,
    async setup(): Promise<void> {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      [nats, pg, apns] = await Promise.all([
        startNats({ jetstream: true }),
        startPostgres(),
        startFakeApns({ keyId: 'BENCHKEY01', teamId: 'BENCHTEAM1', publicKeyPem: key.publicKey.export({ type: 'spki', format: 'pem' }).toString(), topic: 'bench.tacit' }),
      ]);
      const opsPort = await freePort();
      push = startNodeProcess(serviceMain('push'), [], {
        nodeFlags: TACIT_NODE_FLAGS,
        env: {
          DATABASE_URL: pg.url,
          NATS_URL: nats.url,
          OPS_HOST: '127.0.0.1',
          OPS_PORT: String(opsPort),
          LOG_LEVEL: 'warn',
          PUSH_SECRET: 'bench-push-secret-of-at-least-32-characters',
          PUSH_APNS_KEY: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          PUSH_APNS_KEY_ID: 'BENCHKEY01',
          PUSH_APNS_TEAM_ID: 'BENCHTEAM1',
          PUSH_APNS_TOPIC: 'bench.tacit',
          PUSH_APNS_ENDPOINT: apns.url,
          PUSH_PROVIDER_CA: apns.ca,
          // One load process registers every device: lift the limits meant for the internet.
          PUSH_REQUESTER_PER_HOUR: '1000000',
          PUSH_TARGET_PER_HOUR: '1000000',
        },
      });
      await waitForHttp(`http://127.0.0.1:${opsPort}/readyz`, 60_000);
      bus = await NatsBus.connect({ url: nats.url, name: 'bench' });
    },
    async run(ctx: RunContext): Promise<Figures> {
      const n = devices(ctx.settings);
      ctx.log(`tacit-push-wakes: registering ${n} devices (and ${Math.ceil(n / 10)} for the warm-up)`);
      const warm = await registerDevices(bus!, Math.ceil(n / 10), 1);
      const measured = await registerDevices(bus!, n, 2);
      await wakeAll(bus!, apns!, warm, 60_000);
      const cpu0 = readCpuSeconds(push!.pid);
      const ms = await wakeAll(bus!, apns!, measured, 120_000);
      const cpu = readCpuSeconds(push!.pid) - cpu0;
      return {
        msgsPerSec: Math.round((n / ms) * 1000),
        wakes: n,
        wallMs: Math.round(ms),
        serverCpuPct: Math.round((cpu / (ms / 1000)) * 100),
        contentCarried: apns!.carriedContent,
      };
    },
    async teardown(): Promise<void> {
      await bus?.close();
      await push?.stop(5000);
      await Promise.all([apns?.close(), nats?.stop(), pg?.stop()]);
      bus = push = apns = nats = pg = undefined;
    },
  };
}
