// Medium tests: DirectoryService over REAL PostgreSQL (from @tacit/testing) and over PGlite in a
// temporary folder: the same spec runs against both adapters; concurrency where there is any.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DirectoryError, MAX_RECORD_LENGTH, openRecord, type DirectoryErrorCode } from '@tacit/directory-core';
import { DIRECTORY_LIMITS } from '@tacit/proto';
import { startPostgres, type PostgresServer } from '@tacit/testing';
import { DirectoryService, type DirectoryLimits } from './directory.service.js';
import { PgDirectoryRepository } from './pg-repository.js';
import { PgliteDirectoryRepository } from './pglite-repository.js';
import type { DirectoryRepository } from './repository.js';
import { FakeClock, keysOf, TestOwner } from './spec-fixtures.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A namespace id per test, the same on both stores (so each handle's Argon2id runs once). */
function ns(name: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(name).digest());
}

async function refused(p: Promise<unknown>, code: DirectoryErrorCode, field?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DirectoryError, `expected DirectoryError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    return true;
  });
}

/** What each adapter's suite provides to the shared spec. */
interface Harness {
  repo(): DirectoryRepository;
  /** Every byte of every row of every directory table, for looking behind the repository. */
  dump(): Promise<Buffer>;
}

function sharedSpec(h: Harness): void {
  const started = async (limits: Partial<DirectoryLimits> = {}, clock = new FakeClock()): Promise<DirectoryService> => {
    const sut = new DirectoryService({ repository: h.repo(), limits, now: clock.now, sweepEveryMs: 0 });
    await sut.start();
    return sut;
  };

  it('Alice registers @alice; Bob, knowing only the handle, finds her identity key and invite', async () => {
    const sut = await started();
    const n = ns('register');
    const alice = new TestOwner(keysOf(n, 'alice'));
    assert.deepEqual(await sut.register(alice.register(sut.challenge())), { sequence: 1 });
    const bobsKeys = keysOf(n, '@Alice'); // what Bob typed
    const found = await sut.lookup({ policy: 'signed', lookupKey: bobsKeys.lookupKey, requester: 'client-b' });
    assert.equal(found.sequence, 1);
    const r = openRecord(bobsKeys, 'signed', found.record);
    assert.equal(r.handle, 'alice');
    assert.deepEqual(r.identityKey, alice.identity.publicKey);
    assert.deepEqual(r.invite, alice.invite);
    await refused(sut.lookup({ policy: 'signed', lookupKey: keysOf(n, 'alicia').lookupKey, requester: 'client-b' }), 'NOT_FOUND', 'lookupKey');
    await sut.stop();
  });

  it('refuses a registration without proof, with a bad proof, or with a challenge not its own, and stores nothing', async () => {
    const sut = await started();
    const alice = new TestOwner(keysOf(ns('no-proof'), 'alice'));
    const mallory = new TestOwner(alice.keys);
    await refused(sut.register(alice.register(sut.challenge(), { proof: new Uint8Array(0) })), 'BAD_PROOF', 'proof');
    // Mallory's key claims Alice's proof, or Alice's key Mallory's.
    await refused(sut.register(alice.register(sut.challenge(), { controlKey: mallory.control.publicKey })), 'BAD_PROOF', 'proof');
    // A proof over another record than the one sent.
    await refused(sut.register({ ...alice.register(sut.challenge()), record: alice.record(new Uint8Array(3)) }), 'BAD_PROOF', 'proof');
    await refused(sut.register(alice.register(new Uint8Array(40))), 'STALE_CHALLENGE', 'challenge');
    await refused(sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'x' }), 'NOT_FOUND');
    await sut.stop();
  });

  it('refuses a replayed registration and an expired challenge (STALE_CHALLENGE)', async () => {
    const clock = new FakeClock();
    const sut = await started({ challengeTtlMs: 120_000 }, clock);
    const alice = new TestOwner(keysOf(ns('stale'), 'alice'));
    const first = alice.register(sut.challenge());
    await sut.register(first);
    await refused(sut.register(first), 'STALE_CHALLENGE', 'challenge');
    const old = sut.challenge();
    clock.advance(120_001);
    await refused(sut.register(alice.register(old)), 'STALE_CHALLENGE', 'challenge');
    assert.deepEqual(await sut.register(alice.register(sut.challenge())), { sequence: 2 }, 'the owner updates with a fresh one');
    await sut.stop();
  });

  it('signed: another key cannot take a handle, nor a look-alike of it (TAKEN); the owner is unaffected', async () => {
    const sut = await started();
    const n = ns('taken');
    const alice = new TestOwner(keysOf(n, 'alice'));
    await sut.register(alice.register(sut.challenge()));
    const mallory = new TestOwner(alice.keys, 'signed', 'client-m');
    await refused(sut.register(mallory.register(sut.challenge())), 'TAKEN', 'lookupKey');
    const lookalike = new TestOwner(keysOf(n, 'a1ice'), 'signed', 'client-m');
    await refused(sut.register(lookalike.register(sut.challenge())), 'TAKEN', 'lookupKey');
    const found = await sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'b' });
    assert.deepEqual(openRecord(alice.keys, 'signed', found.record).identityKey, alice.identity.publicKey);
    assert.equal(found.sequence, 1);
    await sut.stop();
  });

  it('Alice signs @alice over to Carol: the next lookup finds Carol; the grant works once', async () => {
    const clock = new FakeClock();
    const sut = await started({}, clock);
    const alice = new TestOwner(keysOf(ns('transfer'), 'alice'));
    const carol = new TestOwner(alice.keys, 'signed', 'client-c');
    await sut.register(alice.register(sut.challenge()));
    const t = alice.transferTo(carol, 1, clock.t + 60_000, sut.challenge());
    assert.deepEqual(await sut.transfer(t), { sequence: 2 });
    const found = await sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'b' });
    assert.deepEqual(openRecord(alice.keys, 'signed', found.record).identityKey, carol.identity.publicKey);
    // Replayed: Alice's key owns the entry no more.
    await refused(sut.transfer({ ...t, challenge: sut.challenge() }), 'NOT_OWNER', 'grant.ownerKey');
    // Carol now owns it: her update goes through, Alice's registration does not.
    assert.deepEqual(await sut.register(carol.register(sut.challenge())), { sequence: 3 });
    await refused(sut.register(alice.register(sut.challenge())), 'TAKEN');
    await sut.stop();
  });

  it('refuses transfers with a bad, expired, replayed or foreign signature, or the new owner\'s bad proof; the owner is unaffected', async () => {
    const clock = new FakeClock();
    const sut = await started({ writesPerHour: 100 }, clock);
    const alice = new TestOwner(keysOf(ns('bad-transfer'), 'alice'));
    const carol = new TestOwner(alice.keys, 'signed', 'client-c');
    const mallory = new TestOwner(alice.keys, 'signed', 'client-m');
    await sut.register(alice.register(sut.challenge()));
    const soon = clock.t + 60_000;

    const flipped = alice.transferTo(carol, 1, soon, sut.challenge());
    flipped.grant[100]! ^= 1;
    await refused(sut.transfer(flipped), 'BAD_SIGNATURE', 'grant.signature');
    // Mallory relabels Alice's grant to herself: the signature covers the new key.
    const stolen = alice.transferTo(carol, 1, soon, sut.challenge());
    stolen.grant.set(mallory.control.publicKey, 50);
    await refused(sut.transfer(stolen), 'BAD_SIGNATURE', 'grant.signature');
    await refused(sut.transfer(alice.transferTo(carol, 1, soon, sut.challenge(), mallory.control)), 'NOT_OWNER', 'grant.ownerKey');
    await refused(sut.transfer(alice.transferTo(carol, 1, clock.t, sut.challenge())), 'EXPIRED', 'grant.expiresAt');
    await refused(sut.transfer(alice.transferTo(carol, 2, soon, sut.challenge())), 'REPLAYED', 'grant.sequence');
    await refused(sut.transfer({ ...alice.transferTo(carol, 1, soon, sut.challenge()), proof: new Uint8Array(64) }), 'BAD_PROOF', 'proof');
    await refused(sut.transfer(alice.transferTo(carol, 1, soon, new Uint8Array(40))), 'STALE_CHALLENGE', 'challenge');
    await refused(sut.transfer({ ...alice.transferTo(carol, 1, soon, sut.challenge()), grant: new Uint8Array(10) }), 'MALFORMED', 'grant');
    // A grant made before the owner's later update is dead.
    const early = alice.transferTo(carol, 1, soon, sut.challenge());
    await sut.register(alice.register(sut.challenge()));
    await refused(sut.transfer({ ...early, challenge: sut.challenge() }), 'REPLAYED', 'grant.sequence');

    const found = await sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'b' });
    assert.deepEqual(openRecord(alice.keys, 'signed', found.record).identityKey, alice.identity.publicKey);
    assert.equal(found.sequence, 2);
    await sut.stop();
  });

  it('release: the owner\'s signature frees the handle; the sequence goes on, so an old release stays dead', async () => {
    const clock = new FakeClock();
    const sut = await started({}, clock);
    const alice = new TestOwner(keysOf(ns('release'), 'alice'));
    const bob = new TestOwner(alice.keys, 'signed', 'client-b');
    await sut.register(alice.register(sut.challenge()));
    await refused(sut.release(bob.release(1, clock.t + 60_000)), 'NOT_OWNER', 'grant.ownerKey');
    const rel = alice.release(1, clock.t + 60_000);
    assert.deepEqual(await sut.release(rel), { sequence: 2 });
    await refused(sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'b' }), 'NOT_FOUND');
    await refused(sut.release(rel), 'NOT_FOUND', 'lookupKey');
    assert.deepEqual(await sut.register(alice.register(sut.challenge())), { sequence: 3 }, 'taken again, continuing the sequence');
    await refused(sut.release(rel), 'REPLAYED', 'grant.sequence');
    await refused(sut.release(alice.release(3, clock.t)), 'EXPIRED', 'grant.expiresAt');
    await sut.stop();
  });

  it('last_writer_wins: anyone who knows the handle and proves a key takes it; the signed entry of that handle is another', async () => {
    const sut = await started();
    const n = ns('lww');
    const alice = new TestOwner(keysOf(n, 'alice'), 'last_writer_wins');
    const mallory = new TestOwner(alice.keys, 'last_writer_wins', 'client-m');
    await sut.register(alice.register(sut.challenge()));
    assert.deepEqual(await sut.register(mallory.register(sut.challenge())), { sequence: 2 });
    const found = await sut.lookup({ policy: 'last_writer_wins', lookupKey: alice.keys.lookupKey, requester: 'b' });
    assert.deepEqual(openRecord(alice.keys, 'last_writer_wins', found.record).identityKey, mallory.identity.publicKey);
    // Still no takeover without proof.
    await refused(sut.register(alice.register(sut.challenge(), { proof: new Uint8Array(64) })), 'BAD_PROOF');
    // The same handle under the signed policy: a different address, empty.
    await refused(sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'b' }), 'NOT_FOUND');
    // Releasing still takes the current owner.
    await refused(sut.release(alice.release(2, Date.now() + 60_000)), 'NOT_OWNER');
    await sut.stop();
  });

  it('refuses a lookup flood and a registration flood per requester (RATE_LIMITED); others are served; the window passes', async () => {
    const clock = new FakeClock(Math.floor(Date.now() / HOUR) * HOUR);
    const sut = await started({ lookupsPerMinute: 5, writesPerHour: 3 }, clock);
    const n = ns('flood');
    const alice = new TestOwner(keysOf(n, 'alice'), 'signed', 'flooder');
    const ask = (requester: string): Promise<unknown> => sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester });
    for (let i = 0; i < 5; i++) await refused(ask('flooder'), 'NOT_FOUND');
    await refused(ask('flooder'), 'RATE_LIMITED', 'requester');
    await refused(ask('other'), 'NOT_FOUND');
    clock.advance(MINUTE);
    await refused(ask('flooder'), 'NOT_FOUND');
    for (let i = 0; i < 3; i++) await sut.register(alice.register(sut.challenge()));
    await refused(sut.register(alice.register(sut.challenge())), 'RATE_LIMITED', 'requester');
    clock.advance(3 * HOUR);
    assert.ok((await sut.sweep()) >= 2, 'old windows swept');
    await sut.register(alice.register(sut.challenge()));
    await sut.stop();
  });

  it('refuses malformed requests (MALFORMED, naming the field)', async () => {
    const sut = await started();
    const alice = new TestOwner(keysOf(ns('malformed'), 'alice'));
    const c = sut.challenge();
    await refused(sut.register({ ...alice.register(c), lookupKey: new Uint8Array(31) }), 'MALFORMED', 'lookupKey');
    await refused(sut.register({ ...alice.register(c), controlKey: new Uint8Array(33) }), 'MALFORMED', 'controlKey');
    await refused(sut.register({ ...alice.register(c), record: new Uint8Array(100) }), 'MALFORMED', 'record');
    await refused(sut.register({ ...alice.register(c), record: new Uint8Array(MAX_RECORD_LENGTH + 256) }), 'MALFORMED', 'record');
    await refused(sut.register({ ...alice.register(c), policy: 'open' as 'signed' }), 'MALFORMED', 'policy');
    await refused(sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'r'.repeat(129) }), 'MALFORMED', 'requester');
    await refused(sut.release({ ...alice.release(1, Date.now() + 1000), grant: new Uint8Array(146) }), 'MALFORMED', 'grant.version');
    await sut.stop();
  });

  it('stores nothing readable: no handle, namespace id, lookup or record key, owner\'s key or requester', async () => {
    const clock = new FakeClock();
    const sut = await started({}, clock);
    const n = ns('nothing-readable');
    const alice = new TestOwner(keysOf(n, 'alicewonder'), 'signed', 'client-alice');
    const carol = new TestOwner(alice.keys, 'signed', 'client-carol');
    await sut.register(alice.register(sut.challenge()));
    await sut.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'client-bob' });
    await sut.transfer(alice.transferTo(carol, 1, clock.t + 60_000, sut.challenge()));
    await sut.stop();
    const dump = await h.dump();
    assert.ok(dump.indexOf(Buffer.from(alice.entryId)) >= 0, 'the dump holds the entry (the search below is not vacuous)');
    const needles: [string, Uint8Array][] = [
      ['handle', new TextEncoder().encode('alicewonder')],
      ['namespace id', n],
      ['lookup key', alice.keys.lookupKey],
      ['record key', alice.keys.recordKey],
      ["Alice's identity key", alice.identity.publicKey],
      ["Alice's control key", alice.control.publicKey],
      ["Carol's identity key", carol.identity.publicKey],
      ["Carol's control key", carol.control.publicKey],
      ['requester', new TextEncoder().encode('client-')],
    ];
    for (const [what, needle] of needles) {
      assert.equal(dump.indexOf(Buffer.from(needle)), -1, `${what} found in the database`);
      assert.equal(dump.indexOf(Buffer.from(Buffer.from(needle).toString('hex'))), -1, `${what} found in the database as hex`);
    }
  });
}

describe(DirectoryService.name, () => {
  it('limits: DIRECTORY_LIMITS.maxRecordBytes is directory-core\'s MAX_RECORD_LENGTH', () => {
    assert.equal(DIRECTORY_LIMITS.maxRecordBytes, MAX_RECORD_LENGTH);
  });

  describe('on PostgreSQL', () => {
    let server: PostgresServer;
    const repos: PgDirectoryRepository[] = [];
    const repo = (): PgDirectoryRepository => {
      const r = new PgDirectoryRepository({ url: server.url, maxConnections: 8 });
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
      async dump() {
        const c = new pg.Client({ connectionString: server.url });
        await c.connect();
        try {
          const parts: Buffer[] = [];
          for (const t of ['directory_entries', 'directory_rate', 'directory_secret']) {
            for (const row of (await c.query(`SELECT * FROM ${t}`)).rows as Record<string, unknown>[]) {
              for (const v of Object.values(row)) parts.push(Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
            }
          }
          return Buffer.concat(parts);
        } finally {
          await c.end();
        }
      },
    });

    it('lets exactly one of many concurrent first registrations of a handle on two replicas win', async () => {
      const [a, b] = [new DirectoryService({ repository: repo(), sweepEveryMs: 0, limits: { writesPerHour: 1000 } }), new DirectoryService({ repository: repo(), sweepEveryMs: 0, limits: { writesPerHour: 1000 } })];
      await a.start();
      await b.start();
      const keys = keysOf(ns('race'), 'alice');
      const owners = Array.from({ length: 12 }, (_, i) => new TestOwner(keys, 'signed', `client-${i}`));
      const results = await Promise.allSettled(owners.map((o, i) => (i % 2 ? a : b).register(o.register((i % 2 ? a : b).challenge()))));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(won.length, 1, 'one owner');
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as DirectoryError).code, 'TAKEN');
      const found = await a.lookup({ policy: 'signed', lookupKey: keys.lookupKey, requester: 'b' });
      assert.deepEqual(openRecord(keys, 'signed', found.record).identityKey, owners[won[0]!]!.identity.publicKey);
      await a.stop();
      await b.stop();
    });
  });

  describe('on PGlite', () => {
    let dir: string;
    let store: PgliteDirectoryRepository;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tacit-directory-'));
      store = await PgliteDirectoryRepository.open(join(dir, 'directory'));
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    sharedSpec({
      repo: () => store,
      async dump() {
        const q = (sql: string): Promise<Record<string, unknown>[]> => (store as unknown as { _query<R>(s: string): Promise<R[]> })._query<Record<string, unknown>>(sql);
        const parts: Buffer[] = [];
        for (const t of ['directory_entries', 'directory_rate', 'directory_secret']) {
          for (const row of await q(`SELECT * FROM ${t}`)) {
            for (const v of Object.values(row)) parts.push(v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v)));
          }
        }
        return Buffer.concat(parts);
      },
    });

    it('reopens with its data and applies no migration twice', async () => {
      const sut = new DirectoryService({ repository: store, sweepEveryMs: 0 });
      await sut.start();
      const jo = new TestOwner(keysOf(ns('reopen'), 'joe'));
      await sut.register(jo.register(sut.challenge()));
      await store.close();
      store = await PgliteDirectoryRepository.open(join(dir, 'directory'));
      const again = new DirectoryService({ repository: store, sweepEveryMs: 0 });
      await again.start();
      assert.equal((await again.lookup({ policy: 'signed', lookupKey: jo.keys.lookupKey, requester: 'b' })).sequence, 1);
      // The secret survived too: a challenge of the first instance is still good.
      await again.register(jo.register(sut.challenge()));
      await again.stop();
    });
  });
});
