// Medium tests: PrekeyService over REAL PostgreSQL (from @tacit/testing) and over PGlite in a
// temporary folder: the same spec runs against both adapters; concurrency only where there is any.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { xeddsa } from '@tacit/crypto';
import { decodePrekeyBundle, decodePrekeyUpload, PrekeyError, type PrekeyErrorCode } from '@tacit/protocol';
import { PREKEY_LIMITS } from '@tacit/proto';
import { MAX_PREKEY_UPLOAD_BYTES } from '@tacit/protocol';
import { startPostgres, type PostgresServer } from '@tacit/testing';
import { PgPrekeyRepository } from './pg-repository.js';
import { PglitePrekeyRepository } from './pglite-repository.js';
import { PrekeyService, type PrekeyLimits } from './prekey.service.js';
import type { PrekeyRepository } from './repository.js';
import { FakeClock, TestIdentity } from './spec-fixtures.js';

const HOUR = 3_600_000;

async function refused(p: Promise<unknown>, code: PrekeyErrorCode, field: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PrekeyError, `expected PrekeyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

/** What each adapter's suite provides to the shared spec. */
interface Harness {
  repo(): PrekeyRepository;
  /** Rows of a table, for looking behind the repository. */
  count(table: string): Promise<number>;
}

function sharedSpec(h: Harness): void {
  const started = async (limits: Partial<PrekeyLimits> = {}, clock = new FakeClock()): Promise<PrekeyService> => {
    const sut = new PrekeyService({ repository: h.repo(), limits, now: clock.now, expireEveryMs: 0 });
    await sut.start();
    return sut;
  };

  it('stores a bundle and hands out each one-time key once, then the last-resort key', async () => {
    const sut = await started();
    const alice = new TestIdentity();
    const body = alice.full(sut.challenge(), 3);
    const sent = decodePrekeyUpload(body);
    assert.deepEqual(await sut.upload(body), { preKeys: 3, kyberPreKeys: 3, signedPreKey: true, lastResortKyberPreKey: true });
    const handedOut: number[] = [];
    const kyberOut: number[] = [];
    for (let i = 0; i < 5; i++) {
      const f = await sut.fetch(alice.address);
      const b = decodePrekeyBundle(f.bundle);
      assert.deepEqual(b.identityKey, alice.identityKey);
      assert.equal(b.registrationId, 77);
      assert.deepEqual(b.signedPreKey, { ...sent.signedPreKey!, publicKey: sent.signedPreKey!.publicKey.slice(), signature: sent.signedPreKey!.signature.slice() });
      // What a fetcher gets verifies under the identity key it asked for.
      assert.ok(xeddsa.verify(alice.identity.publicKey, b.signedPreKey.publicKey, b.signedPreKey.signature));
      assert.ok(xeddsa.verify(alice.identity.publicKey, b.kyberPreKey.publicKey, b.kyberPreKey.signature));
      if (b.preKey) handedOut.push(b.preKey.id);
      if (!b.kyberLastResort) kyberOut.push(b.kyberPreKey.id);
      else assert.equal(b.kyberPreKey.id, sent.lastResortKyberPreKey!.id);
      assert.equal(f.lastResort, i >= 3);
    }
    assert.deepEqual(handedOut, sent.preKeys.map((k) => k.id), 'each one-time key once, in id order');
    assert.deepEqual(kyberOut, sent.kyberPreKeys.map((k) => k.id));
    // The owner learns its pools are empty.
    assert.deepEqual(await sut.upload(alice.upload(sut.challenge())), { preKeys: 0, kyberPreKeys: 0, signedPreKey: true, lastResortKyberPreKey: true });
    assert.deepEqual(sut.stats().fetchesOneTime, 3);
    assert.deepEqual(sut.stats().fetchesLastResort, 2);
    await sut.stop();
  });

  it('replaces the signed and last-resort prekeys and adds one-time keys on later uploads', async () => {
    const sut = await started();
    const bob = new TestIdentity();
    await sut.upload(bob.full(sut.challenge(), 1));
    const spk = bob.signedPreKey();
    const lr = bob.kyberPreKey();
    const r = await sut.upload(bob.upload(sut.challenge(), { signedPreKey: spk, lastResortKyberPreKey: lr, preKeys: bob.preKeys(2) }));
    assert.deepEqual(r, { preKeys: 3, kyberPreKeys: 1, signedPreKey: true, lastResortKyberPreKey: true });
    await sut.fetch(bob.address);
    const b = decodePrekeyBundle((await sut.fetch(bob.address)).bundle);
    assert.equal(b.signedPreKey.id, spk.id);
    assert.equal(b.kyberPreKey.id, lr.id, 'the one one-time PQ key went to the first fetch; then the new last-resort key');
    await sut.stop();
  });

  it('refuses each bad upload with a typed error naming the field, and stores nothing', async () => {
    const sut = await started({ maxPreKeys: 4 });
    const carol = new TestIdentity();
    const mallory = new TestIdentity(carol.namespaceId);
    const before = await h.count('prekey_identities');
    // Proof by another key.
    await refused(sut.upload(carol.full(sut.challenge(), 1).slice().fill(0, -64)), 'BAD_PROOF', 'signature');
    await refused(sut.upload(carol.upload(sut.challenge(), { signedPreKey: carol.signedPreKey(), lastResortKyberPreKey: carol.kyberPreKey() }, mallory.identity)), 'BAD_PROOF', 'signature');
    // A prekey signed by another key, each kind, named by position.
    await refused(sut.upload(carol.upload(sut.challenge(), { signedPreKey: carol.signed(carol.signedPreKey().publicKey, mallory.identity), lastResortKyberPreKey: carol.kyberPreKey() })), 'BAD_SIGNATURE', 'signedPreKey.signature');
    await refused(sut.upload(carol.upload(sut.challenge(), { signedPreKey: carol.signedPreKey(), lastResortKyberPreKey: carol.signed(carol.kyberPreKey().publicKey, mallory.identity) })), 'BAD_SIGNATURE', 'lastResortKyberPreKey.signature');
    const kpks = [carol.kyberPreKey(), carol.kyberPreKey(), carol.signed(carol.kyberPreKey().publicKey, mallory.identity)];
    await refused(sut.upload(carol.upload(sut.challenge(), { signedPreKey: carol.signedPreKey(), lastResortKyberPreKey: carol.kyberPreKey(), kyberPreKeys: kpks })), 'BAD_SIGNATURE', 'kyberPreKeys[2].signature');
    // A bit flipped in a signed key after signing.
    const flipped = carol.signedPreKey();
    flipped.publicKey[9]! ^= 1;
    await refused(sut.upload(carol.upload(sut.challenge(), { signedPreKey: flipped, lastResortKyberPreKey: carol.kyberPreKey() })), 'BAD_SIGNATURE', 'signedPreKey.signature');
    // Wrong type byte, wrong length, junk.
    const typed = carol.full(sut.challenge(), 0);
    typed[33] = 0x06;
    await refused(sut.upload(typed), 'BAD_KEY', 'identityKey');
    // A version byte of another version (not the body shifted by one: its next byte is random, and
    // 1 in 256 times it was the version, which failed CI once).
    const versioned = carol.full(sut.challenge(), 0).slice();
    versioned[0] = (versioned[0]! + 1) & 0xff;
    await refused(sut.upload(versioned), 'MALFORMED', 'version');
    await refused(sut.upload(new Uint8Array(MAX_PREKEY_UPLOAD_BYTES + 1)), 'TOO_LARGE', 'upload');
    // Challenges: forged, expired, replayed.
    const forged = sut.challenge();
    forged[30]! ^= 1;
    await refused(sut.upload(carol.full(forged, 1)), 'STALE_CHALLENGE', 'challenge');
    // One-time keys before any signed prekey is on file.
    await refused(sut.upload(carol.upload(sut.challenge(), { preKeys: carol.preKeys(1) })), 'INCOMPLETE', 'signedPreKey');
    await refused(sut.upload(carol.upload(sut.challenge(), { signedPreKey: carol.signedPreKey(), preKeys: carol.preKeys(1) })), 'INCOMPLETE', 'lastResortKyberPreKey');
    // Over the per-identity cap (4): nothing of the upload is kept.
    await refused(sut.upload(carol.full(sut.challenge(), 5)), 'TOO_MANY_PREKEYS', 'preKeys');
    assert.equal(await h.count('prekey_identities'), before, 'no refused upload stored an identity');
    await refused(sut.fetch(carol.address), 'NOT_FOUND', 'address');

    assert.deepEqual(await sut.upload(carol.full(sut.challenge(), 4)), { preKeys: 4, kyberPreKeys: 4, signedPreKey: true, lastResortKyberPreKey: true });
    await refused(sut.upload(carol.upload(sut.challenge(), { preKeys: carol.preKeys(1) })), 'TOO_MANY_PREKEYS', 'preKeys');
    await refused(sut.upload(carol.upload(sut.challenge(), { kyberPreKeys: [carol.kyberPreKey()] })), 'TOO_MANY_PREKEYS', 'kyberPreKeys');
    assert.ok(sut.stats().uploadsRefused.BAD_SIGNATURE! >= 4);
    await sut.stop();
  });

  it('checks the proof before any prekey signature: a forged upload costs one signature check', async () => {
    const sut = await started();
    const dave = new TestIdentity();
    const mallory = new TestIdentity();
    const kpks = Array.from({ length: 3 }, () => dave.signed(dave.kyberPreKey().publicKey, mallory.identity));
    await refused(sut.upload(dave.upload(sut.challenge(), { signedPreKey: dave.signedPreKey(), lastResortKyberPreKey: dave.kyberPreKey(), kyberPreKeys: kpks }, mallory.identity)), 'BAD_PROOF', 'signature');
    await sut.stop();
  });

  it('refuses a replayed upload and an expired challenge', async () => {
    const clock = new FakeClock();
    const sut = await started({ challengeTtlMs: 60_000 }, clock);
    const erin = new TestIdentity();
    const first = erin.full(sut.challenge(), 2);
    await sut.upload(first);
    await sut.fetch(erin.address);
    await sut.fetch(erin.address);
    // Replaying the first upload would put back keys already handed out: refused.
    await refused(sut.upload(first), 'STALE_CHALLENGE', 'challenge');
    assert.deepEqual((await sut.upload(erin.upload(sut.challenge()))).preKeys, 0);
    // An older challenge, not yet expired, is still not newer than the last upload's.
    const older = sut.challenge();
    clock.advance(1);
    await sut.upload(erin.upload(sut.challenge()));
    await refused(sut.upload(erin.upload(older)), 'STALE_CHALLENGE', 'challenge');
    const late = sut.challenge();
    clock.advance(60_001);
    await refused(sut.upload(erin.upload(late)), 'STALE_CHALLENGE', 'challenge');
    await sut.stop();
  });

  it('keeps an upload at the address its own key derives: a contact cannot put keys of its own at yours', async () => {
    const sut = await started();
    const frank = new TestIdentity();
    await sut.upload(frank.full(sut.challenge(), 1));
    // Mallory knows the namespace and Frank's identity key, so Frank's tag; it signs with its own key.
    const mallory = new TestIdentity(frank.namespaceId);
    const squat = mallory.upload(sut.challenge(), { tag: frank.tag, signedPreKey: mallory.signedPreKey(), lastResortKyberPreKey: mallory.kyberPreKey() });
    await sut.upload(squat);
    const b = decodePrekeyBundle((await sut.fetch(frank.address)).bundle);
    assert.deepEqual(b.identityKey, frank.identityKey, "Frank's address still holds Frank's bundle");
    // And with Frank's identity key in it, Mallory cannot prove the upload.
    await refused(sut.upload(frank.upload(sut.challenge(), { signedPreKey: mallory.signedPreKey() }, mallory.identity)), 'BAD_PROOF', 'signature');
    await sut.stop();
  });

  it('hands out at most oneTimePerHour one-time keys per identity per hour, then the last-resort key', async () => {
    const clock = new FakeClock(10 * HOUR);
    const sut = await started({ oneTimePerHour: 2 }, clock);
    const gina = new TestIdentity();
    await sut.upload(gina.full(sut.challenge(), 5));
    const kinds = async (n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const b = decodePrekeyBundle((await sut.fetch(gina.address)).bundle);
        out.push(`${b.preKey ? 'opk' : '-'}/${b.kyberLastResort ? 'lr' : 'kpk'}`);
      }
      return out;
    };
    assert.deepEqual(await kinds(4), ['opk/kpk', 'opk/kpk', '-/lr', '-/lr']);
    assert.deepEqual((await sut.upload(gina.upload(sut.challenge()))).preKeys, 3, 'the harvest took two keys, not four');
    clock.advance(HOUR);
    assert.deepEqual(await kinds(3), ['opk/kpk', 'opk/kpk', '-/lr']);
    await sut.stop();
  });

  it('deletes bundles untouched for bundleTtlMs; a status check keeps one alive; an empty check stores nothing', async () => {
    const clock = new FakeClock();
    const sut = await started({ bundleTtlMs: 10 * HOUR }, clock);
    const [kept, gone] = [new TestIdentity(), new TestIdentity()];
    await sut.upload(kept.full(sut.challenge(), 2));
    await sut.upload(gone.full(sut.challenge(), 2));
    clock.advance(6 * HOUR);
    await sut.upload(kept.upload(sut.challenge()));
    clock.advance(5 * HOUR);
    assert.ok((await sut.expire()) >= 1);
    await sut.fetch(kept.address);
    await refused(sut.fetch(gone.address), 'NOT_FOUND', 'address');
    const before = await h.count('prekey_identities');
    const nobody = new TestIdentity();
    assert.deepEqual(await sut.upload(nobody.upload(sut.challenge())), { preKeys: 0, kyberPreKeys: 0, signedPreKey: false, lastResortKyberPreKey: false });
    assert.equal(await h.count('prekey_identities'), before);
    await sut.stop();
  });

  it('shares the challenge secret between replicas: one mints, another checks', async () => {
    const [a, b] = [await started(), await started()];
    const hal = new TestIdentity();
    assert.equal((await b.upload(hal.full(a.challenge(), 1))).preKeys, 1);
    await a.stop();
    await b.stop();
  });

  it('refuses a fetch address of the wrong length', async () => {
    const sut = await started();
    await refused(sut.fetch(new Uint8Array(31)), 'MALFORMED', 'address');
    await sut.stop();
  });
}

describe('PrekeyService', () => {
  it('limits: PREKEY_LIMITS.maxUploadBytes is the protocol\'s MAX_PREKEY_UPLOAD_BYTES', () => {
    assert.equal(PREKEY_LIMITS.maxUploadBytes, MAX_PREKEY_UPLOAD_BYTES);
  });

  describe('on PostgreSQL', () => {
    let server: PostgresServer;
    const repos: PgPrekeyRepository[] = [];
    const repo = (): PgPrekeyRepository => {
      const r = new PgPrekeyRepository({ url: server.url, maxConnections: 8 });
      repos.push(r);
      return r;
    };
    before(async () => {
      server = await startPostgres();
      // Replicas booting together: each migrates, one applies.
      const versions = await Promise.all([repo().migrate(), repo().migrate(), repo().migrate()]);
      assert.deepEqual(versions.flat(), [1]);
    });
    after(async () => {
      await Promise.all(repos.map((r) => r.close()));
      await server.stop();
    });
    sharedSpec({
      repo,
      async count(table) {
        const c = new pg.Client({ connectionString: server.url });
        await c.connect();
        try {
          return Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
        } finally {
          await c.end();
        }
      },
    });

    it('hands each one-time key to exactly one of many concurrent fetchers on two replicas', async () => {
      const [a, b] = [new PrekeyService({ repository: repo(), expireEveryMs: 0, limits: { oneTimePerHour: 1000 } }), new PrekeyService({ repository: repo(), expireEveryMs: 0, limits: { oneTimePerHour: 1000 } })];
      await a.start();
      await b.start();
      const ivy = new TestIdentity();
      const sent = decodePrekeyUpload(await (async () => {
        const body = ivy.full(a.challenge(), 30);
        await a.upload(body);
        return body;
      })());
      const fetches = await Promise.all(Array.from({ length: 48 }, (_, i) => (i % 2 ? a : b).fetch(ivy.address)));
      const bundles = fetches.map((f) => decodePrekeyBundle(f.bundle));
      const opks = bundles.flatMap((x) => (x.preKey ? [x.preKey.id] : []));
      const kpks = bundles.flatMap((x) => (x.kyberLastResort ? [] : [x.kyberPreKey.id]));
      assert.equal(new Set(opks).size, opks.length, 'no one-time key twice');
      assert.deepEqual([...opks].sort((x, y) => x - y), sent.preKeys.map((k) => k.id), 'every one-time key handed out');
      assert.deepEqual([...kpks].sort((x, y) => x - y), sent.kyberPreKeys.map((k) => k.id));
      assert.equal(bundles.filter((x) => x.kyberLastResort).length, 18);
      assert.equal((await a.upload(ivy.upload(a.challenge()))).preKeys, 0);
      await a.stop();
      await b.stop();
    });
  });

  describe('on PGlite', () => {
    let dir: string;
    let store: PglitePrekeyRepository;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tacit-prekey-'));
      store = await PglitePrekeyRepository.open(join(dir, 'prekey'));
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    sharedSpec({
      repo: () => store,
      async count(table) {
        return (await (store as unknown as { _query<R>(s: string): Promise<R[]> })._query<{ n: number }>(`SELECT count(*)::int4 AS n FROM ${table}`))[0]!.n;
      },
    });

    it('reopens with its data and applies no migration twice', async () => {
      const sut = new PrekeyService({ repository: store, expireEveryMs: 0 });
      await sut.start();
      const jo = new TestIdentity();
      await sut.upload(jo.full(sut.challenge(), 1));
      await store.close();
      store = await PglitePrekeyRepository.open(join(dir, 'prekey'));
      const again = new PrekeyService({ repository: store, expireEveryMs: 0 });
      await again.start();
      assert.equal(decodePrekeyBundle((await again.fetch(jo.address)).bundle).preKey?.id !== undefined, true);
      await again.stop();
    });
  });
});
