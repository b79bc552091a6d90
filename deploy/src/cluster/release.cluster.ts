// The release's life on a real cluster, in order: install (dev mode) → helm test → two messengers
// through the gateway Service (prekeys published to and fetched from the prekey Deployment) → three
// gateway replicas behind one Service → a gateway pod and then a queue pod deleted under load → helm
// upgrade rolling every pod under load → helm uninstall leaving nothing. Each step says how long it
// took. Run by scripts/cluster-test.sh (npm run test:cluster) against the cluster in KUBECONFIG.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHART, getJson, helm, kubectl, leftovers, metric, must, mustBecomeReady, pods, secondsSince, until, valuesFile } from './kube.js';
import pg from 'pg';
import { decodeServerFrame, encodeClientFrame } from '@tacit/protocol';
import { MemoryStore, Messenger, type IncomingMessage } from '@tacit/sdk';
import { Load } from './load.js';

const ns = 'tacit-suite';
const release = 'relay';
const gatewaySel = `app.kubernetes.io/instance=${release},app.kubernetes.io/component=gateway`;
const queueSel = `app.kubernetes.io/instance=${release},app.kubernetes.io/component=queue`;
const prekeySel = `app.kubernetes.io/instance=${release},app.kubernetes.io/component=prekey`;
const loads: Load[] = [];
/** Accepted packets that reached an online receiver only after it reconnected, per step. */
const stuck: string[] = [];
const load = (url: string) => {
  const l = new Load(url);
  loads.push(l);
  return l;
};

/** Packets waiting in the queue (the dev PostgreSQL, reached at its pod's address): tells a packet stuck in the queue from a lost one. */
async function queuedRows(): Promise<number> {
  const [db] = await pods(ns, `app.kubernetes.io/instance=${release},app.kubernetes.io/component=postgresql`);
  const client = new pg.Client({ connectionString: `postgres://tacit:tacit-dev@${db!.ip}:5432/tacit` });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(*)::text AS n FROM queue_packets')).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** Runs the assertion; on failure, adds how many packets wait in the queue to its message. */
async function withQueueCount<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw new Error(`${(err as Error).message} (packets waiting in the queue: ${await queuedRows().catch(() => 'unknown')})`, { cause: err });
  }
}

/** The relay key a gateway pod shows in its v2 WELCOME (hex), read over a raw WebSocket to its address. */
async function relayKeyOf(ip: string): Promise<string> {
  const ws = new WebSocket(`ws://${ip}:8080/v1`);
  ws.binaryType = 'arraybuffer';
  try {
    const welcome = await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no WELCOME from ${ip} in 10 s`)), 10_000);
      ws.onopen = () => ws.send(encodeClientFrame({ type: 'hello', minVersion: 2, maxVersion: 2 }));
      ws.onerror = () => reject(new Error(`WebSocket to ${ip} failed`));
      ws.onmessage = (ev) => {
        clearTimeout(timer);
        resolve(new Uint8Array(ev.data as ArrayBuffer));
      };
    });
    const frame = decodeServerFrame(welcome);
    assert.ok(frame.type === 'welcome' && frame.relayKey, `a v2 WELCOME from ${ip}`);
    return Buffer.from(frame.relayKey).toString('hex');
  } finally {
    ws.close();
  }
}

/** Waits until the Deployment has `n` ready replicas and no pod left terminating. */
async function settled(selector: string, n: number): Promise<void> {
  await until(
    async () => {
      const p = await pods(ns, selector);
      return p.length === n && p.every((x) => x.ready && !x.deleting);
    },
    180_000,
    `${n} ready pods of ${selector}`,
  );
}

describe('tacit on a real cluster: install, scale, lose pods, upgrade, uninstall', { timeout: 1_200_000 }, () => {
  let url = '';
  before(async () => {
    await kubectl('delete', 'namespace', ns, '--ignore-not-found', '--wait');
    await must('kubectl', ['create', 'namespace', ns]);
  });
  after(async () => {
    for (const l of loads.splice(0)) l.close();
    await kubectl('delete', 'namespace', ns, '--ignore-not-found', '--wait=false');
  });

  it('helm install (dev mode: NATS, PostgreSQL, Redis, MinIO from k8s/dev) becomes ready', async (t) => {
    const t0 = performance.now();
    await mustBecomeReady(ns, ['install', release, CHART, '-n', ns, '-f', valuesFile('dev'), '--wait', '--wait-for-jobs', '--timeout', '5m']);
    t.diagnostic(`helm install --wait: ready in ${secondsSince(t0)} s`);
    await settled(gatewaySel, 3);
    await settled(queueSel, 2);
    await settled(prekeySel, 2);
    const jobs = await getJson<{ items: { metadata: { name: string }; status: { succeeded?: number } }[] }>('jobs', '-n', ns, '-l', `app.kubernetes.io/instance=${release},app.kubernetes.io/component=migrate`);
    assert.equal(jobs.items.length, 1, 'one migration Job');
    assert.equal(jobs.items[0]!.status.succeeded, 1, 'the migrations ran');
    const applied = (await must('kubectl', ['logs', '-n', ns, `job/${jobs.items[0]!.metadata.name}`]))
      .split('\n')
      .filter((l) => l.includes('"migrations_applied"'))
      .map((l) => (JSON.parse(l) as { target: string }).target);
    assert.deepEqual(applied, ['queue', 'prekey', 'directory', 'push'], 'the Job applied the queue\'s, the prekey service\'s, the directory\'s and the push service\'s migrations');
    const svc = await getJson<{ spec: { clusterIP: string } }>('service', '-n', ns, `${release}-tacit-gateway`);
    url = `ws://${svc.spec.clusterIP}:8080/v1`;
  });

  it('helm test: a real client round trip through the gateway Service', async (t) => {
    const t0 = performance.now();
    const res = await helm('test', release, '-n', ns, '--timeout', '2m');
    assert.equal(res.code, 0, res.stderr || res.stdout);
    assert.match(res.stdout, /Phase:\s+Succeeded/);
    t.diagnostic(`helm test passed in ${secondsSince(t0)} s`);
  });

  it('two messengers through the gateway Service: Bob publishes prekeys, Alice fetches his bundle and writes, Bob answers; the prekey Deployment served it', async (t) => {
    const t0 = performance.now();
    const namespaceId = crypto.getRandomValues(new Uint8Array(32));
    const opened: Messenger[] = [];
    const open = async (inbox: IncomingMessage[]) => {
      // The gateway's Service address, on this machine's pod bridge: plain ws, as inside a cluster.
      const m = await Messenger.create({ namespaceId, relays: [url], store: new MemoryStore(), allowInsecure: true, maintainEveryMs: 0, preKeys: { target: 10, lowWater: 3 }, minBackoffMs: 100, maxBackoffMs: 1000 });
      m.onMessage((x) => void inbox.push(x));
      opened.push(m);
      return m;
    };
    const prekeyPods = await pods(ns, prekeySel);
    const counts = async () => {
      const sum = async (name: string) => (await Promise.all(prekeyPods.map((p) => metric(p.ip, name)))).reduce((a, b) => a + b, 0);
      return { uploads: await sum('tacit_prekey_uploads_total'), fetches: await sum('tacit_prekey_fetches_total') };
    };
    const was = await counts();
    try {
      const [toAlice, toBob]: [IncomingMessage[], IncomingMessage[]] = [[], []];
      const bob = await open(toBob);
      const alice = await open(toAlice);
      await alice.send(bob.invite(), 'hello Bob');
      await until(() => toBob.length === 1, 60_000, 'Bob to get the first message');
      await bob.send(toBob[0]!.from, 'hello Alice');
      await until(() => toAlice.length === 1, 60_000, 'Alice to get the answer');
      assert.deepEqual([toBob[0]!.text(), toAlice[0]!.text()], ['hello Bob', 'hello Alice']);
      const now = await counts();
      // Both published their bundles (Messenger.create), and Alice's first message fetched Bob's:
      // the prekey pods counted them, so the gateway reached the prekey Deployment over NATS.
      assert.ok(now.uploads - was.uploads >= 2, `prekey uploads counted by the prekey pods: ${now.uploads - was.uploads}`);
      assert.ok(now.fetches - was.fetches >= 1, `prekey fetches counted by the prekey pods: ${now.fetches - was.fetches}`);
      t.diagnostic(`first contact and an answer in ${secondsSince(t0)} s (${now.uploads - was.uploads} uploads, ${now.fetches - was.fetches} fetch on ${prekeyPods.length} prekey pods)`);
      const rss = await Promise.all(prekeyPods.map((p) => metric(p.ip, 'process_resident_memory_bytes')));
      t.diagnostic(`prekey pods' RSS: ${rss.map((b) => `${Math.round(b / 2 ** 20)} MiB`).join(', ')}`);
    } finally {
      await Promise.all(opened.map((m) => m.close()));
    }
  });

  /** The relay key every gateway replica showed at the last check (hex). */
  let relayKey = '';

  it('three gateway replicas: clients spread over the Service exchange packets both ways', async (t) => {
    const gws = await pods(ns, gatewaySel);
    assert.equal(gws.length, 3);
    // One relay key for every replica (the chart's Secret): clients may pin it, and a claim made
    // at one replica's key is good at the others'.
    const keys = await Promise.all(gws.map((g) => relayKeyOf(g.ip)));
    assert.equal(new Set(keys).size, 1, `one relay key for every replica (${keys.join(', ')})`);
    relayKey = keys[0]!;
    // Each client connects separately, so kube-proxy spreads them over the replicas; every pair
    // sends both ways, so packets cross between replicas in both directions.
    const l = load(url);
    await l.open(24);
    const conns = await Promise.all(gws.map((g) => metric(g.ip, 'tacit_gateway_connections')));
    t.diagnostic(`connections per replica: ${conns.join(', ')}`);
    assert.equal(
      conns.reduce((a, b) => a + b, 0),
      48,
    );
    assert.ok(
      conns.every((c) => c > 0),
      `every replica serves clients (${conns.join(', ')})`,
    );
    const back = l.reversed();
    await Promise.all([l.send('ab', 10, 50), back.send('ba', 10, 50)]);
    const n = (await l.assertEachAcceptedOnce(30_000)).received + (await back.assertEachAcceptedOnce(30_000)).received;
    assert.equal(n, 480);
    const remote = await Promise.all(gws.map((g) => metric(g.ip, 'tacit_gateway_remote_requests_total')));
    assert.ok(
      remote.reduce((a, b) => a + b, 0) > 0,
      'packets crossed between replicas',
    );
    l.close();
  });

  it('a gateway pod deleted under load: every packet the senders saw ACCEPTED arrives once', async (t) => {
    const l = load(url);
    await l.open(20);
    const [victim] = await pods(ns, gatewaySel);
    const t0 = performance.now();
    // 15 s of load at least: the deletion (preStop, then the drain) ends while packets still flow.
    const { sent, actionEndedUnderLoad } = await l.send('gw', 150, 100, {
      afterRounds: 10,
      action: async () => void (await must('kubectl', ['delete', 'pod', '-n', ns, victim!.name, '--wait=true', '--timeout=60s'])),
    });
    assert.ok(actionEndedUnderLoad, 'the pod was gone before the last packets were sent');
    const res = await withQueueCount(() => l.assertEachAcceptedOnce(30_000));
    const n = res.received;
    if (res.stuck > 0) {
      stuck.push(`${t.name}: ${res.stuck} (${res.stuckDetail})`);
      t.diagnostic(`${res.stuck} accepted packets reached their online receiver only after it reconnected`);
    }
    t.diagnostic(`${n} packets accepted and received once across the deletion of ${victim!.name} (${secondsSince(t0)} s)`);
    assert.equal(n, sent);
    l.close();
    await settled(gatewaySel, 3);
  });

  it('then a queue pod deleted while packets wait in the queue: every accepted packet arrives once', async (t) => {
    const l = load(url);
    // Receivers offline: every packet is stored by the queue, across the deletion.
    await l.open(20, { receiversOnline: false });
    const [victim] = await pods(ns, queueSel);
    const t0 = performance.now();
    const { sent, actionEndedUnderLoad } = await l.send('q', 60, 100, {
      afterRounds: 10,
      action: async () => void (await must('kubectl', ['delete', 'pod', '-n', ns, victim!.name, '--wait=true', '--timeout=60s'])),
    });
    assert.ok(actionEndedUnderLoad, 'the pod was gone before the last packets were sent');
    await l.connectReceivers();
    const res = await withQueueCount(() => l.assertEachAcceptedOnce(30_000));
    const n = res.received;
    if (res.stuck > 0) {
      stuck.push(`${t.name}: ${res.stuck} (${res.stuckDetail})`);
      t.diagnostic(`${res.stuck} accepted packets reached their online receiver only after it reconnected`);
    }
    t.diagnostic(`${n} packets queued, drained and received once across the deletion of ${victim!.name} (${secondsSince(t0)} s)`);
    assert.equal(n, sent);
    l.close();
    await settled(queueSel, 2);
  });

  it('helm upgrade changing a setting rolls every pod without losing an accepted packet', async (t) => {
    const before = new Set([...(await pods(ns, gatewaySel)), ...(await pods(ns, queueSel)), ...(await pods(ns, prekeySel))].map((p) => p.name));
    const l = load(url);
    await l.open(20);
    const t0 = performance.now();
    let upgraded = 0;
    // 30 s of load at least, and on until the rollout (a surge replica, preStop and drain for each
    // old one) has ended.
    const { sent, actionEndedUnderLoad } = await l.send('up', 120, 250, {
      afterRounds: 4,
      action: async () => {
        await must('helm', [
          'upgrade', release, CHART, '-n', ns, '-f', valuesFile('dev'),
          '--set', 'gateway.config.GATEWAY_IDLE_TIMEOUT_MS=90000',
          '--set', 'queue.config.QUEUE_GROUP_COMMIT_DELAY_MS=3',
          '--set', 'prekey.config.PREKEY_CHALLENGE_TTL_MS=60000',
          '--wait', '--timeout', '5m',
        ]);
        upgraded = secondsSince(t0);
      },
    });
    assert.ok(actionEndedUnderLoad, 'the upgrade finished before the last packets were sent');
    const res = await withQueueCount(() => l.assertEachAcceptedOnce(30_000));
    const n = res.received;
    if (res.stuck > 0) {
      stuck.push(`${t.name}: ${res.stuck} (${res.stuckDetail})`);
      t.diagnostic(`${res.stuck} accepted packets reached their online receiver only after it reconnected`);
    }
    t.diagnostic(`helm upgrade rolled in ${upgraded} s; ${n} packets accepted and received once meanwhile`);
    assert.equal(n, sent);
    await settled(gatewaySel, 3);
    await settled(queueSel, 2);
    await settled(prekeySel, 2);
    const now = [...(await pods(ns, gatewaySel)), ...(await pods(ns, queueSel)), ...(await pods(ns, prekeySel))];
    assert.ok(
      now.every((p) => !before.has(p.name)),
      'every gateway, queue and prekey pod was replaced',
    );
    const cm = await getJson<{ data: Record<string, string> }>('configmap', '-n', ns, `${release}-tacit-gateway`);
    assert.equal(cm.data.GATEWAY_IDLE_TIMEOUT_MS, '90000');
    const prekeyCm = await getJson<{ data: Record<string, string> }>('configmap', '-n', ns, `${release}-tacit-prekey`);
    assert.equal(prekeyCm.data.PREKEY_CHALLENGE_TTL_MS, '60000');
    // The relay key the chart made at install survived the upgrade (the Secret keeps it).
    const keys = await Promise.all((await pods(ns, gatewaySel)).map((g) => relayKeyOf(g.ip)));
    assert.deepEqual([...new Set(keys)], [relayKey], 'the same relay key after helm upgrade');
    l.close();
  });

  // Known gateway issue (docs/deploy.md, "Known issues"): while a replica drains, a packet that is
  // queued for a receiver that just reconnected to another replica can wait in the queue until that
  // receiver reconnects again (nothing is lost: the steps above reconnect and find it). Reported here
  // as TODO until the gateway fixes it; it then passes and the todo should go.
  it('every accepted packet reached its receiver without the receiver reconnecting', { todo: 'gateway: queued-while-reconnecting packets wait for the next reconnect' }, () => {
    assert.deepEqual(stuck, []);
  });

  it('helm uninstall leaves nothing behind in the namespace', async (t) => {
    const t0 = performance.now();
    await must('helm', ['uninstall', release, '-n', ns, '--wait', '--timeout', '3m']);
    await until(async () => (await pods(ns, `app.kubernetes.io/instance=${release}`)).length === 0, 120_000, 'the pods to go');
    t.diagnostic(`helm uninstall in ${secondsSince(t0)} s`);
    assert.deepEqual(await leftovers(ns), []);
  });
});
