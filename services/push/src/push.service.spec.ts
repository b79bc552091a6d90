// Medium tests: PushService over REAL PostgreSQL (from @tacit/testing) and over PGlite: the same
// spec runs against both adapters. A RecordingSender stands for each provider (it records wakes and
// answers programmed outcomes); the database is real.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Metrics } from '@tacit/kit';
import { bindPushMetrics } from './metrics.js';
import { ed25519 } from '@tacit/crypto';
import { PushError, pushRegistrationMessage, type PushErrorCode } from '@tacit/protocol';
import { startPostgres, type PostgresServer } from '@tacit/testing';
import { PgPushRepository } from './pg-repository.js';
import { PglitePushRepository } from './pglite-repository.js';
import { PushService, type PushLimits } from './push.service.js';
import type { PushRepository } from './repository.js';
import { FakeClock, freshFcm, RecordingSender, TARGETS, TestDevice } from './spec-fixtures.js';

const WINDOW = 30_000;

async function refused(p: Promise<unknown>, code: PushErrorCode, field: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PushError, `expected PushError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

/** What each adapter's suite provides to the shared spec. */
interface Harness {
  repo(): PushRepository;
}

/** Every row of every push table, as JSON text (bytea as \x hex), for looking behind the repository. */
async function dump(repo: PushRepository): Promise<string> {
  const q = (repo as unknown as { _query<R>(sql: string): Promise<R[]> })._query.bind(repo);
  const out: string[] = [];
  for (const t of ['push_secret', 'push_keys', 'push_registrations', 'push_mailboxes']) {
    const rows = await q<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM ${t} t`);
    out.push(...rows.map((r) => r.j));
  }
  return out.join('\n').toLowerCase();
}

function sharedSpec(h: Harness): void {
  const senders = () => ({ apns: new RecordingSender('apns'), fcm: new RecordingSender('fcm'), webpush: new RecordingSender('webpush') });
  const started = async (limits: Partial<PushLimits> = {}, clock = new FakeClock(), s = senders(), warnings: Array<[string, Record<string, unknown> | undefined]> = []) => {
    const sut = new PushService({
      repository: h.repo(),
      senders: Object.values(s),
      limits: { coalesceWindowMs: WINDOW, ...limits },
      now: clock.now,
      dispatchEveryMs: 0,
      expireEveryMs: 0,
      secret: crypto.getRandomValues(new Uint8Array(32)),
      log: { warn: (e, f) => warnings.push([e, f]) },
    });
    await sut.start();
    return { sut, clock, s, warnings };
  };
  /** One dispatcher pass and the wakes it started. */
  const tick = async (sut: PushService) => {
    await sut.dispatch();
    await sut.idle();
  };

  it('binds the recomputed mailbox ids to the target and wakes it for a queued packet', async () => {
    const { sut, clock, s } = await started();
    const bob = new TestDevice(clock);
    const dests = bob.dests(3);
    assert.deepEqual(await sut.register(bob.registration(TARGETS.apns, dests)), { mailboxes: 3, expiresAtMs: clock.t + 8 * 86_400_000 });
    assert.equal(await sut.onQueued(bob.mailbox(dests[1]!)), true);
    await tick(sut);
    assert.deepEqual(s.apns.wakes, [{ provider: 'apns', token: TARGETS.apns.token }]);
    assert.equal(sut.stats().wakes.apns.sent, 1);
    assert.equal(await sut.onQueued(crypto.getRandomValues(new Uint8Array(16))), false, 'an unknown mailbox wakes nobody');
    await sut.stop();
  });

  it('refuses a bad signature, a signature by another key and a signature over other dests (BAD_PROOF)', async () => {
    const { sut, clock } = await started();
    const bob = new TestDevice(clock);
    const mallory = new TestDevice(clock);
    const good = bob.registration(TARGETS.fcm);
    const flipped = good.signature.slice();
    flipped[0]! ^= 1;
    await refused(sut.register({ ...good, signature: flipped }), 'BAD_PROOF', 'signature');
    await refused(sut.register({ ...good, signature: mallory.registration(TARGETS.fcm, good.dests).signature }), 'BAD_PROOF', 'signature');
    await refused(sut.register({ ...good, dests: bob.dests(4) }), 'BAD_PROOF', 'signature');
    await refused(sut.register({ ...good, target: TARGETS.apns }), 'BAD_PROOF', 'signature');
    assert.equal(sut.stats().registerRefused.BAD_PROOF, 4);
    await sut.register(good);
    await sut.stop();
  });

  it("cannot bind another key's mailboxes: Mallory registering Bob's dests binds only her own ids", async () => {
    const { sut, clock, s } = await started();
    const bob = new TestDevice(clock);
    const mallory = new TestDevice(clock);
    const bobDests = bob.dests(2);
    // Mallory signs Bob's dests with her key: accepted, but the ids are recomputed under her key.
    await sut.register(mallory.registration(TARGETS.fcm, bobDests));
    assert.equal(await sut.onQueued(bob.mailbox(bobDests[0]!)), false, "Bob's mailbox is not bound to Mallory's target");
    await tick(sut);
    assert.equal(s.fcm.wakes.length, 0);
    // And Bob's own registration of the same dests is his, untouched by hers.
    await sut.register(bob.registration(TARGETS.apns, bobDests));
    assert.equal(await sut.onQueued(bob.mailbox(bobDests[0]!)), true);
    await tick(sut);
    assert.equal(s.apns.wakes.length, 1);
    assert.equal(s.fcm.wakes.length, 0);
    await sut.stop();
  });

  it('refuses issued_at outside the clock window, a replay and an older request (STALE)', async () => {
    const { sut, clock } = await started({ clockWindowMs: 600_000 });
    const bob = new TestDevice(clock);
    await refused(sut.register(bob.registration(TARGETS.fcm, undefined, { issuedAtMs: clock.t - 600_001 })), 'STALE', 'issued_at_ms');
    await refused(sut.register(bob.registration(TARGETS.fcm, undefined, { issuedAtMs: clock.t + 600_001 })), 'STALE', 'issued_at_ms');
    const first = bob.registration(TARGETS.fcm);
    await sut.register(first);
    clock.advance(1000);
    await refused(sut.register(first), 'STALE', 'issued_at_ms');
    const older = bob.registration(TARGETS.fcm, undefined, { issuedAtMs: first.issuedAtMs - 1 });
    await refused(sut.register(older), 'STALE', 'issued_at_ms');
    await sut.register(bob.registration(TARGETS.fcm));
    await sut.stop();
  });

  it('refuses malformed dests, keys and signatures (MALFORMED, naming the field)', async () => {
    const { sut, clock } = await started();
    const bob = new TestDevice(clock);
    await refused(sut.register({ ...bob.registration(TARGETS.fcm), dests: [] }), 'MALFORMED', 'dests');
    const many = Array.from({ length: 1025 }, () => bob.dests(1)[0]!);
    await refused(sut.register({ ...bob.registration(TARGETS.fcm), dests: many }), 'MALFORMED', 'dests');
    await refused(sut.register({ ...bob.registration(TARGETS.fcm), dests: [new Uint8Array(31)] }), 'MALFORMED', 'dests[0]');
    await refused(sut.register({ ...bob.registration(TARGETS.fcm), peerKey: new Uint8Array(31) }), 'MALFORMED', 'peer_key');
    await refused(sut.register({ ...bob.registration(TARGETS.fcm), signature: new Uint8Array(63) }), 'MALFORMED', 'signature');
    await refused(sut.register({ ...bob.registration(TARGETS.fcm), requester: 'r'.repeat(129) }), 'MALFORMED', 'requester');
    // No more dests than the hours a registration lives (PUSH_HORIZON_CAP, 8 days: 192 + 3).
    await refused(sut.register({ ...bob.registration(TARGETS.fcm), dests: bob.dests(196) }), 'MALFORMED', 'dests');
    const max = bob.dests(195);
    assert.equal((await sut.register(bob.registration(TARGETS.fcm, max))).mailboxes, 195);
    await sut.stop();
  });

  it('takes a Web Push endpoint on a private host only with allowPrivateHosts (tests, private deployments)', async () => {
    const { sut, clock } = await started({ allowPrivateHosts: true });
    const bob = new TestDevice(clock);
    assert.ok((await sut.register(bob.registration({ ...TARGETS.webpush, endpoint: 'https://127.0.0.1:8443/push/1' }))).mailboxes > 0);
    await sut.stop();
  });

  it('refuses malformed targets (MALFORMED) and providers this relay does not send to (UNSUPPORTED)', async () => {
    const s = senders();
    const { sut, clock } = await started({}, new FakeClock(), { apns: s.apns, webpush: s.webpush } as ReturnType<typeof senders>);
    const bob = new TestDevice(clock);
    const reg = (t: Parameters<TestDevice['registration']>[0]) => sut.register(bob.registration(t));
    await refused(reg({ provider: 'apns', token: 'xyz' }), 'MALFORMED', 'target.token');
    await refused(reg({ provider: 'apns', token: 'ab'.repeat(31) }), 'MALFORMED', 'target.token');
    await refused(reg({ ...TARGETS.apns, endpoint: 'https://x.test' }), 'MALFORMED', 'target.endpoint');
    await refused(reg({ ...TARGETS.webpush, endpoint: 'http://push.example.test/x' }), 'MALFORMED', 'target.endpoint');
    await refused(reg({ ...TARGETS.webpush, endpoint: 'not a url' }), 'MALFORMED', 'target.endpoint');
    // The client chooses the endpoint and the service POSTs to it: no internal hosts (PUSH_ALLOW_INTERNAL_HOSTS).
    for (const inside of ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://localhost/x', 'https://[::1]/x', 'https://metadata/x']) {
      await refused(reg({ ...TARGETS.webpush, endpoint: inside }), 'MALFORMED', 'target.endpoint');
    }
    await refused(reg({ ...TARGETS.webpush, p256dh: Buffer.alloc(65, 4).toString('base64url').slice(0, 80) }), 'MALFORMED', 'target.p256dh');
    await refused(reg({ ...TARGETS.webpush, p256dh: Buffer.alloc(65, 5).toString('base64url') }), 'MALFORMED', 'target.p256dh');
    await refused(reg({ ...TARGETS.webpush, auth: 'not base64!' }), 'MALFORMED', 'target.auth');
    await refused(reg({ ...TARGETS.webpush, token: 'x' }), 'MALFORMED', 'target.token');
    await refused(sut.register({ ...bob.registration(TARGETS.fcm), target: { provider: 'sms' as 'fcm', token: 'x' } }), 'MALFORMED', 'target.provider');
    await refused(reg({ ...TARGETS.webpush, endpoint: 'https://x.test/' + 'a'.repeat(2048) }), 'MALFORMED', 'target.endpoint');
    await refused(reg(TARGETS.fcm), 'UNSUPPORTED', 'target.provider');
    assert.deepEqual(sut.providers, ['apns', 'webpush']);
    await sut.register(bob.registration(TARGETS.webpush));
    await sut.stop();
  });

  it('limits requests per requester, registrations per target and peer keys per target (RATE_LIMITED)', async () => {
    const { sut, clock } = await started({ requesterPerHour: 3, targetPerHour: 100, maxPerTarget: 2 });
    const devs = Array.from({ length: 4 }, () => new TestDevice(clock));
    const shared = freshFcm();
    await sut.register(devs[0]!.registration(shared, undefined, { requester: 'busy' }));
    await sut.register(devs[1]!.registration(shared, undefined, { requester: 'busy' }));
    await refused(sut.register(devs[2]!.registration(shared, undefined, { requester: 'busy' })), 'RATE_LIMITED', 'target');
    await refused(sut.register(devs[3]!.registration(TARGETS.apns, undefined, { requester: 'busy' })), 'RATE_LIMITED', 'requester');
    // Peer keys per target: two devices hold TARGETS.fcm; the third was refused above.
    assert.equal(sut.stats().registerRefused.RATE_LIMITED, 2);
    await refused(sut.register(devs[3]!.registration(shared, undefined, { requester: 'other' })), 'RATE_LIMITED', 'target');
    clock.advance(3_600_000);
    await sut.register(devs[3]!.registration(TARGETS.apns, undefined, { requester: 'busy' }));
    await sut.stop();

    const t = await started({ targetPerHour: 2 });
    const d = new TestDevice(t.clock);
    for (let i = 0; i < 2; i++) {
      await t.sut.register(d.registration(TARGETS.apns));
      t.clock.advance(1);
    }
    await refused(t.sut.register(d.registration(TARGETS.apns)), 'RATE_LIMITED', 'target');
    await t.sut.stop();

    const m = await started({ maxRegistrations: 1 });
    const [a, b] = [new TestDevice(m.clock), new TestDevice(m.clock)];
    // Another test's rows count too: fill up to the cap with a fresh database's view of it.
    const stored = await m.sut.storedRegistrations();
    if (stored === 0) await m.sut.register(a.registration(TARGETS.apns));
    await refused(m.sut.register(b.registration(TARGETS.webpush)), 'RATE_LIMITED', 'peer_key');
    await m.sut.stop();
  });

  it("replaces the peer key's earlier binding, keeping a pending wake", async () => {
    const { sut, clock, s } = await started();
    const bob = new TestDevice(clock);
    const old = bob.dests(2);
    await sut.register(bob.registration(TARGETS.apns, old));
    assert.equal(await sut.onQueued(bob.mailbox(old[0]!)), true);
    clock.advance(1);
    const fresh = bob.dests(2, 1000);
    await sut.register(bob.registration(TARGETS.fcm, fresh));
    assert.equal(await sut.onQueued(bob.mailbox(old[0]!)), false, 'the old binding is gone');
    await tick(sut);
    assert.equal(s.apns.wakes.length, 0);
    assert.equal(s.fcm.wakes.length, 1, 'the pending wake went to the new target');
    assert.equal(await sut.onQueued(bob.mailbox(fresh[1]!)), true);
    await sut.stop();
  });

  it('unregisters: NOT_FOUND after, STALE on replay, BAD_PROOF on a foreign signature', async () => {
    const { sut, clock, s } = await started();
    const bob = new TestDevice(clock);
    const dests = bob.dests(1);
    await refused(sut.unregister(bob.unregistration()), 'NOT_FOUND', 'peer_key');
    await sut.register(bob.registration(TARGETS.apns, dests));
    await refused(sut.unregister({ ...bob.unregistration(), signature: new TestDevice(clock).unregistration().signature }), 'BAD_PROOF', 'signature');
    await refused(sut.unregister(bob.unregistration()), 'STALE', 'issued_at_ms');
    clock.advance(1);
    const off = bob.unregistration();
    await sut.unregister(off);
    assert.equal(await sut.onQueued(bob.mailbox(dests[0]!)), false);
    await tick(sut);
    assert.equal(s.apns.wakes.length, 0);
    await refused(sut.unregister(off), 'STALE', 'issued_at_ms');
    clock.advance(1);
    await refused(sut.unregister(bob.unregistration()), 'NOT_FOUND', 'peer_key');
    await sut.stop();
  });

  it('onQueuedMany: a page of events is one statement — each registration marked once, a burst one wake, unknown and malformed ids counted', async () => {
    const { sut, clock, s } = await started();
    const bob = new TestDevice(clock);
    const carol = new TestDevice(clock);
    const [bd, cd] = [bob.dests(3), carol.dests(1)];
    await sut.register(bob.registration(TARGETS.webpush, bd));
    await sut.register(carol.registration(TARGETS.apns, cd));
    const unknown = crypto.getRandomValues(new Uint8Array(16));
    const page = [bob.mailbox(bd[0]!), bob.mailbox(bd[1]!), bob.mailbox(bd[0]!), carol.mailbox(cd[0]!), unknown, new Uint8Array(5), bob.mailbox(bd[2]!)];
    assert.deepEqual(await sut.onQueuedMany(page), { matched: 5, malformed: 1 });
    assert.deepEqual(await sut.onQueuedMany([]), { matched: 0, malformed: 0 });
    assert.equal(sut.stats().events, 6);
    assert.equal(sut.stats().eventsMatched, 5);
    await tick(sut);
    assert.equal(s.webpush.wakes.length, 1, "Bob's four events: one wake");
    assert.equal(s.apns.wakes.length, 1, "Carol's: one");
    // Inside the window a page holds its wakes as single events do; at its end, one more each.
    clock.advance(1000);
    assert.deepEqual(await sut.onQueuedMany([bob.mailbox(bd[1]!), carol.mailbox(cd[0]!)]), { matched: 2, malformed: 0 });
    await tick(sut);
    assert.equal(s.webpush.wakes.length + s.apns.wakes.length, 2, 'held inside the window');
    clock.advance(WINDOW);
    await tick(sut);
    assert.deepEqual([s.webpush.wakes.length, s.apns.wakes.length], [2, 2], 'one more each at the window end');
    await sut.stop();
  });

  it('a metrics scrape while a page is being recorded never sees an event it later takes back (no failed scrape)', async () => {
    const { sut, clock, s } = await started();
    const repo = h.repo();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const mark = repo.markQueuedMany.bind(repo);
    const bob = new TestDevice(clock);
    const [d] = bob.dests(1);
    await sut.register(bob.registration(TARGETS.webpush, [d!]));
    const metrics = new Metrics({ service: 'push', defaultMetrics: false });
    const sync = bindPushMetrics(metrics, sut, () => undefined);
    const scrape = async () => {
      sync();
      return metrics.registry.metrics();
    };
    repo.markQueuedMany = async (...a: Parameters<typeof mark>) => {
      await gate;
      return mark(...a);
    };
    try {
      const recording = sut.onQueuedMany([bob.mailbox(d!), bob.mailbox(d!)]);
      await new Promise((r) => setTimeout(r, 10));
      // Before the fix the scrape here counted 2 unmatched, the next one -2: prom-client threw, and
      // /metrics answered 500 from then on.
      assert.doesNotMatch(await scrape(), /^tacit_push_events_total\{outcome="unmatched"[^}]*\} [1-9]/m, 'mid-write: nothing counted unmatched');
      release();
      assert.deepEqual(await recording, { matched: 2, malformed: 0 });
      const after = await scrape();
      assert.match(after, /^tacit_push_events_total\{outcome="matched"[^}]*\} 2$/m);
      assert.doesNotMatch(after, /^tacit_push_events_total\{outcome="unmatched"[^}]*\} [1-9]/m);
      await tick(sut);
      assert.equal(s.webpush.wakes.length, 1, 'and the wake went out');
    } finally {
      delete (repo as Partial<PushRepository>).markQueuedMany;
      release();
      await sut.stop();
    }
  });

  it('coalesces: N events in one window are one wake, and events after it one more at the window end', async () => {
    const { sut, clock, s } = await started();
    const bob = new TestDevice(clock);
    const dests = bob.dests(3);
    await sut.register(bob.registration(TARGETS.webpush, dests));
    for (let i = 0; i < 10; i++) await sut.onQueued(bob.mailbox(dests[i % 3]!));
    await tick(sut);
    assert.equal(s.webpush.wakes.length, 1, 'a burst is one wake');
    await tick(sut);
    assert.equal(s.webpush.wakes.length, 1, 'nothing more without new events');
    clock.advance(5000);
    for (let i = 0; i < 5; i++) await sut.onQueued(bob.mailbox(dests[0]!));
    await tick(sut);
    assert.equal(s.webpush.wakes.length, 1, 'inside the window: held');
    clock.advance(WINDOW - 5001);
    await tick(sut);
    assert.equal(s.webpush.wakes.length, 1, 'one ms before the window ends: held');
    clock.advance(1);
    await tick(sut);
    assert.equal(s.webpush.wakes.length, 2, 'at the window end: exactly one more');
    clock.advance(WINDOW * 3);
    await tick(sut);
    assert.equal(s.webpush.wakes.length, 2, 'none lost, none extra');
    // A quiet registration wakes at once for the next event.
    await sut.onQueued(bob.mailbox(dests[2]!));
    await tick(sut);
    assert.equal(s.webpush.wakes.length, 3);
    await sut.stop();
  });

  it('backs off on retry outcomes (1 s doubling, Retry-After honoured), then gives up after its tries', async () => {
    const { sut, clock, s } = await started({ retryStartMs: 1000, retryMaxMs: 4000, retryTries: 5, retryMaxAgeMs: 3_600_000 });
    const bob = new TestDevice(clock);
    const dests = bob.dests(1);
    await sut.register(bob.registration(TARGETS.fcm, dests));
    s.fcm.program.push({ kind: 'retry', reason: '503' }, { kind: 'retry', reason: '503' }, { kind: 'retry', reason: '429', retryAfterMs: 60_000 });
    await sut.onQueued(bob.mailbox(dests[0]!));
    await tick(sut);
    assert.equal(s.fcm.wakes.length, 1);
    const at = async (ms: number, want: number, what: string) => {
      clock.advance(ms);
      await tick(sut);
      assert.equal(s.fcm.wakes.length, want, what);
    };
    await at(999, 1, 'before 1 s');
    await at(1, 2, 'after 1 s');
    await at(1999, 2, 'before 2 s');
    await at(1, 3, 'after 2 s: the 429 asks for 60 s');
    await at(59_999, 3, 'before Retry-After');
    await at(1, 4, 'after Retry-After: sent');
    await at(3_600_000, 4, 'done: no more tries');
    assert.equal(sut.stats().wakes.fcm.retry, 3);
    assert.equal(sut.stats().wakes.fcm.sent, 1);

    // Gives up after retryTries.
    s.fcm.program.push(...Array.from({ length: 5 }, () => ({ kind: 'retry', reason: '500' }) as const));
    await sut.onQueued(bob.mailbox(dests[0]!));
    for (let i = 0; i < 10; i++) await at(4000, Math.min(5 + i, 9), `try ${i + 2}`);
    assert.equal(sut.stats().wakes.fcm.givenUp, 1);
    // A later event wakes again.
    await sut.onQueued(bob.mailbox(dests[0]!));
    await at(0, 10, 'a new event after giving up');
    await sut.stop();
  });

  it('removes a target the provider says is gone (with its mailboxes)', async () => {
    const { sut, clock, s } = await started();
    const bob = new TestDevice(clock);
    const dests = bob.dests(2);
    await sut.register(bob.registration(TARGETS.apns, dests));
    const before = await sut.storedRegistrations();
    s.apns.program.push({ kind: 'gone', reason: 'Unregistered' });
    await sut.onQueued(bob.mailbox(dests[0]!));
    await tick(sut);
    assert.equal(sut.stats().wakes.apns.gone, 1);
    assert.equal(await sut.storedRegistrations(), before - 1);
    assert.equal(await sut.onQueued(bob.mailbox(dests[1]!)), false);
    await sut.stop();
  });

  it("spares a registration renewed with another target while the 'gone' wake was out", async () => {
    const { sut, clock, s } = await started();
    const bob = new TestDevice(clock);
    const dests = bob.dests(1);
    const old = { provider: 'apns', token: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex') } as const;
    await sut.register(bob.registration(old, dests));
    s.apns.program.push(async () => {
      clock.advance(1);
      await sut.register(bob.registration(TARGETS.fcm, dests));
      return { kind: 'gone', reason: 'Unregistered' };
    });
    await sut.onQueued(bob.mailbox(dests[0]!));
    await tick(sut);
    assert.equal(sut.stats().wakes.apns.gone, 1);
    await tick(sut);
    assert.equal(s.fcm.wakes.length, 1, 'the wake went to the new target');
    assert.equal(await sut.onQueued(bob.mailbox(dests[0]!)), true, 'the renewed registration is still there');
    await sut.stop();
  });

  it('keeps a target when our credentials are refused: logs push_provider_refused without the token, retries with backoff', async () => {
    const { sut, clock, s, warnings } = await started({ retryStartMs: 1000 });
    const bob = new TestDevice(clock);
    const dests = bob.dests(1);
    await sut.register(bob.registration(TARGETS.apns, dests));
    s.apns.program.push({ kind: 'refused', reason: `ExpiredProviderToken for ${TARGETS.apns.token}` });
    await sut.onQueued(bob.mailbox(dests[0]!));
    await tick(sut);
    assert.equal(sut.stats().wakes.apns.refused, 1);
    const w = warnings.find(([e]) => e === 'push_provider_refused');
    assert.ok(w, 'logged');
    assert.equal(w[1]?.provider, 'apns');
    assert.ok(!JSON.stringify(warnings).includes(TARGETS.apns.token.slice(0, 20)), 'no token in the log line');
    clock.advance(1000);
    await tick(sut);
    assert.equal(s.apns.wakes.length, 2, 'retried');
    assert.equal(sut.stats().wakes.apns.sent, 1);
    await sut.stop();
  });

  it('a hanging provider holds at most its slots until the timeout, and never the other providers or the intake', async () => {
    const { sut, clock, s } = await started({ concurrency: 2, wakeTimeoutMs: 200 });
    const devs = Array.from({ length: 4 }, () => new TestDevice(clock));
    for (const d of devs) await sut.register(d.registration(TARGETS.apns, d.dests(1)));
    const web = new TestDevice(clock);
    await sut.register(web.registration(TARGETS.webpush, web.dests(1)));
    s.apns.program.push('hang', 'hang', 'hang', 'hang');
    for (const d of devs) await sut.onQueued(d.mailbox(d.dests(1)[0]!));
    await sut.dispatch();
    assert.equal(sut.inflight('apns'), 2, 'two slots taken, two wakes wait');
    // The other provider and the intake go on meanwhile.
    const t0 = performance.now();
    assert.equal(await sut.onQueued(web.mailbox(web.dests(1)[0]!)), true);
    await sut.dispatch();
    assert.ok(performance.now() - t0 < 150, 'not held by the hanging provider');
    assert.equal(s.webpush.wakes.length, 1);
    await sut.idle();
    assert.equal(sut.inflight('apns'), 0, 'freed by the timeout');
    assert.equal(sut.stats().wakes.apns.timeout, 2);
    assert.equal(s.apns.aborted, 2, 'the sender was told to give up');
    clock.advance(1000);
    await tick(sut);
    assert.equal(s.apns.wakes.length, 4, 'the waiting two went once slots were free');
    await sut.stop();
  });

  it('stop() aborts wakes in flight and records them as retries, so the next start sends them', async () => {
    const repo = h.repo();
    const clock = new FakeClock();
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const hanging = new RecordingSender('fcm');
    hanging.program.push('hang');
    const first = new PushService({ repository: repo, senders: [hanging], now: clock.now, dispatchEveryMs: 0, expireEveryMs: 0, secret });
    await first.start();
    const bob = new TestDevice(clock);
    const dests = bob.dests(1);
    await first.register(bob.registration(TARGETS.fcm, dests));
    await first.onQueued(bob.mailbox(dests[0]!));
    await first.dispatch();
    assert.equal(first.inflight('fcm'), 1);
    await first.stop();
    assert.equal(hanging.aborted, 1);
    const again = new RecordingSender('fcm');
    const second = new PushService({ repository: repo, senders: [again], now: clock.now, dispatchEveryMs: 0, expireEveryMs: 0, secret });
    await second.start();
    clock.advance(1000);
    await tick(second);
    assert.equal(again.wakes.length, 1);
    await second.stop();
  });

  it('lapses a registration at issued + horizon cap, and expire() deletes it', async () => {
    const { sut, clock, s } = await started({ horizonCapMs: 86_400_000 });
    const bob = new TestDevice(clock);
    const dests = bob.dests(1);
    const mine = { provider: 'apns', token: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex') } as const;
    const { expiresAtMs } = await sut.register(bob.registration(mine, dests));
    clock.t = expiresAtMs;
    assert.equal(await sut.onQueued(bob.mailbox(dests[0]!)), false);
    const before = await sut.storedRegistrations();
    assert.ok((await sut.expire()) >= 1);
    assert.ok((await sut.storedRegistrations()) < before);
    await tick(sut);
    assert.ok(!s.apns.wakes.some((w) => w.provider === 'apns' && w.token === mine.token));
    await sut.stop();
  });

  it('stores nothing in clear: no peer key, dest or mailbox id in any table (the target, which a wake needs, is)', async () => {
    const repo = h.repo();
    const clock = new FakeClock();
    const sut = new PushService({ repository: repo, senders: [new RecordingSender('fcm')], now: clock.now, dispatchEveryMs: 0, expireEveryMs: 0, secret: crypto.getRandomValues(new Uint8Array(32)) });
    await sut.start();
    const bob = new TestDevice(clock);
    const dests = bob.dests(4);
    await sut.register(bob.registration(TARGETS.fcm, dests));
    await sut.onQueued(bob.mailbox(dests[0]!));
    const text = await dump(repo);
    assert.ok(text.includes(TARGETS.fcm.token.toLowerCase()), 'the search finds what is there');
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    for (const [what, b] of [['peer key', bob.peerKey], ...dests.map((d) => ['dest', d] as const), ...dests.map((d) => ['mailbox id', bob.mailbox(d)] as const)] as const) {
      assert.equal(text.indexOf(hex(b)), -1, `${what} stored in clear`);
      assert.equal(text.indexOf(hex(b).slice(0, 16)), -1, `a prefix of a ${what} stored in clear`);
    }
    await sut.stop();
  });

  it('keeps a registration signed by pushRegistrationMessage over the exact target: a changed token is refused', async () => {
    const { sut, clock } = await started();
    const bob = new TestDevice(clock);
    const reg = bob.registration(TARGETS.fcm);
    const sig = ed25519.sign(bob.key.secretKey, pushRegistrationMessage(reg.issuedAtMs, TARGETS.fcm, reg.dests));
    await refused(sut.register({ ...reg, signature: sig, target: { ...TARGETS.fcm, token: TARGETS.fcm.token + 'x' } }), 'BAD_PROOF', 'signature');
    await sut.stop();
  });
}

describe(`${PushService.name} (PostgreSQL)`, () => {
  let pgServer: PostgresServer;
  const repos: PgPushRepository[] = [];
  before(async () => {
    pgServer = await startPostgres();
    const first = new PgPushRepository({ url: pgServer.url });
    await first.migrate();
    repos.push(first);
  });
  after(async () => {
    await Promise.all(repos.map((r) => r.close().catch(() => undefined)));
    await pgServer?.stop();
  });
  sharedSpec({
    repo: () => {
      const r = new PgPushRepository({ url: pgServer.url });
      repos.push(r);
      return r;
    },
  });
});

describe(`${PushService.name} (PGlite)`, () => {
  let dir: string;
  let repo: PglitePushRepository;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tacit-push-'));
    repo = await PglitePushRepository.open(join(dir, 'push'));
  });
  after(async () => {
    await repo?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // One database, as the node has: PGlite is one connection, which stop() must not close.
  sharedSpec({ repo: () => repo });

  it('nothing readable in its data files: no peer key, dest or mailbox id, raw or hex (the target is there)', async () => {
    const own = join(dir, 'files');
    const store = await PglitePushRepository.open(own);
    const clock = new FakeClock();
    const sut = new PushService({ repository: store, senders: [new RecordingSender('fcm')], now: clock.now, dispatchEveryMs: 0, expireEveryMs: 0 });
    await sut.start();
    const bob = new TestDevice(clock);
    const dests = bob.dests(8);
    const target = freshFcm();
    await sut.register(bob.registration(target, dests));
    for (const d of dests) await sut.onQueued(bob.mailbox(d));
    await sut.stop();
    await store.close();
    const files = filesOf(own);
    assert.ok(files.length > 10, "PGlite's files");
    const all = Buffer.concat(files.map(([, b]) => b));
    assert.ok(all.includes(Buffer.from(target.token!)), 'the search finds what is there');
    const enc = (b: Uint8Array) => [Buffer.from(b), Buffer.from(Buffer.from(b).toString('hex'))];
    for (const [what, b] of [['peer key', bob.peerKey], ...dests.map((d) => ['dest', d] as const), ...dests.map((d) => ['mailbox id', bob.mailbox(d)] as const)] as const) {
      for (const needle of enc(b)) for (const [p, bytes] of files) assert.equal(bytes.indexOf(needle), -1, `${what} in ${p}`);
    }
  });
});

/** Every file under `root` with its bytes. */
function filesOf(root: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push([join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name))]);
  }
  return out;
}
