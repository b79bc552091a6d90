import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeBackend } from '@tacit/crypto';
import { SessionError } from './errors.js';
import { SessionManager } from './session-manager.js';
import { MemoryStore } from './store.js';

const NS = new Uint8Array(32).fill(4);
const DAY = 86_400_000;
const enc = new TextEncoder();

async function setup() {
  let now = Date.UTC(2026, 5, 1);
  const store = new MemoryStore();
  const sut = await SessionManager.open({
    store,
    namespaceId: NS,
    backend: nodeBackend,
    now: () => now,
    preKeys: { target: 50, lowWater: 10, rotateAfterMs: 2 * DAY, retainMs: 30 * DAY },
  });
  return { sut, store, advance: (ms: number) => (now += ms) };
}

let peers = 0;
/** A new peer (its own identity, so its own peer id) starts a session with `sut` from `bundle`. */
async function startFrom(sut: SessionManager, bundle: Awaited<ReturnType<SessionManager['bundle']>>) {
  const alice = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS });
  await alice.startSession('bob', bundle);
  return sut.decrypt(`peer-${peers++}`, await alice.encrypt('bob', enc.encode('hi')));
}

describe('prekeys', () => {
  it('replenishes each kind up to the target when the service reports fewer than the low-water mark', async () => {
    const { sut } = await setup();
    const none = await sut.maintain({ preKeys: 10, kyberPreKeys: 30 });
    assert.equal(none.preKeys.length, 0);
    assert.equal(none.kyberPreKeys.length, 0);
    const up = await sut.maintain({ preKeys: 3, kyberPreKeys: 9 });
    assert.equal(up.preKeys.length, 47);
    assert.equal(up.kyberPreKeys.length, 41);
    assert.equal(new Set(up.preKeys.map((k) => k.id)).size, 47);
    assert.equal(up.signedPreKey, undefined);
    // Each upload is signed by our identity and names it.
    assert.deepEqual(up.identityKey.subarray(1), sut.identityKey);
    for (const k of up.kyberPreKeys) assert.equal(nodeBackend.xeddsa.verify(sut.identityKey, k.publicKey, k.signature), true);
    assert.equal(up.kyberPreKeys[0]!.publicKey[0], 0x0a);
  });

  it('rotates the signed and last-resort prekeys; the old ones serve session starts until retired', async () => {
    const { sut, advance } = await setup();
    const oldBundle = await sut.bundle();
    advance(DAY);
    let up = await sut.maintain();
    assert.equal(up.signedPreKey, undefined, 'not due after a day');
    advance(DAY);
    up = await sut.maintain();
    assert.ok(up.signedPreKey !== undefined && up.lastResortKyberPreKey !== undefined);
    assert.equal(nodeBackend.xeddsa.verify(sut.identityKey, up.signedPreKey.publicKey, up.signedPreKey.signature), true);
    const newBundle = await sut.bundle();
    assert.equal(newBundle.signedPreKey.id, up.signedPreKey.id);
    assert.notEqual(newBundle.signedPreKey.id, oldBundle.signedPreKey.id);
    assert.equal(newBundle.kyberPreKey.id, up.lastResortKyberPreKey.id);
    // A peer holding the old bundle can still start a session within the retention time.
    advance(20 * DAY);
    await sut.maintain();
    await startFrom(sut, oldBundle);
    // Past rotation + retention the old keys are gone.
    advance(20 * DAY);
    await sut.maintain();
    const err = await startFrom(sut, oldBundle).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SessionError && err.code === 'UNKNOWN_PREKEY', String(err));
    await startFrom(sut, await sut.bundle());
  });

  it('one-time prekeys are offered lowest first and consumed by a session start', async () => {
    const { sut } = await setup();
    const up = await sut.generatePreKeys(2, 2);
    const b1 = await sut.bundle({ oneTime: true });
    assert.equal(b1.preKey!.id, Math.min(...up.preKeys.map((k) => k.id)));
    await startFrom(sut, b1);
    const b2 = await sut.bundle({ oneTime: true });
    assert.notEqual(b2.preKey!.id, b1.preKey!.id);
    await startFrom(sut, b2);
    const b3 = await sut.bundle({ oneTime: true });
    assert.equal(b3.preKey, undefined, 'none left');
    assert.equal(b3.kyberPreKey.id, (await sut.bundle()).kyberPreKey.id, 'the last-resort key serves');
  });

  it('a kyber1024 manager publishes Kyber-1024 keys (type 0x08) and bad counts are typed errors', async () => {
    const sut = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS, kem: 'kyber1024' });
    assert.equal((await sut.bundle()).kyberPreKey.publicKey[0], 0x08);
    for (const n of [-1, 1.5, 1001]) await assert.rejects(sut.generatePreKeys(n, 0), (e: unknown) => e instanceof SessionError && e.field === 'preKeys');
    await assert.rejects(SessionManager.open({ store: new MemoryStore(), namespaceId: new Uint8Array(16) }), (e: unknown) => e instanceof SessionError && e.field === 'namespaceId');
  });

  it('one store holds separate identities per namespace', async () => {
    const store = new MemoryStore();
    const a = await SessionManager.open({ store, namespaceId: new Uint8Array(32).fill(1) });
    const b = await SessionManager.open({ store, namespaceId: new Uint8Array(32).fill(2) });
    assert.notDeepEqual(a.identityKey, b.identityKey);
    assert.notDeepEqual(a.mailboxKey.publicKey, b.mailboxKey.publicKey);
    const a2 = await SessionManager.open({ store, namespaceId: new Uint8Array(32).fill(1) });
    assert.deepEqual(a2.identityKey, a.identityKey);
  });
});
