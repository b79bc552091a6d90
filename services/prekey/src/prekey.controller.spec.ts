// The prekey service's bus API through its client library: on the in-process bus and on a real
// nats-server, refusals arrive as the PrekeyError the service refused with (code and field), bus
// failures as kit's typed errors; a real PostgreSQL going away is UnavailableError, not a bug.
import assert from 'node:assert/strict';
import { xeddsa } from '@tacit/crypto';
import { InvalidArgumentError, type Bus } from '@tacit/kit';
import { describeBusController } from '@tacit/platform/testing';
import { BusPrekeyClient } from '@tacit/prekey-client';
import { PREKEY_SUBJECTS } from '@tacit/proto';
import { decodePrekeyBundle, MAX_PREKEY_UPLOAD_BYTES, PrekeyError, type PrekeyErrorCode } from '@tacit/protocol';
import { PgPrekeyRepository } from './pg-repository.js';
import { PglitePrekeyRepository } from './pglite-repository.js';
import { PrekeyController } from './prekey.controller.js';
import { PrekeyService } from './prekey.service.js';
import { TestIdentity } from './spec-fixtures.js';

async function refused(p: Promise<unknown>, code: PrekeyErrorCode, field: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PrekeyError, `expected PrekeyError, got ${String(err)}`);
    assert.deepEqual([err.code, err.field], [code, field]);
    return true;
  });
}

/** Upload, fetch and every kind of refusal through `client` (its raw bus: `clientBus`). */
async function roundTrip(client: BusPrekeyClient, clientBus: Bus): Promise<void> {
  const alice = new TestIdentity();
  const challenge = await client.challenge();
  assert.equal(challenge.length, 40);
  assert.deepEqual(await client.upload(alice.full(challenge, 2)), { preKeys: 2, kyberPreKeys: 2, signedPreKey: true, lastResortKyberPreKey: true });
  const b = decodePrekeyBundle(await client.fetch(alice.address));
  assert.deepEqual(new Uint8Array(b.identityKey), alice.identityKey);
  assert.ok(b.preKey);
  // What comes back still verifies: the signatures crossed the bus (as Buffers, over NATS) and
  // the database unchanged (a verify that cleared the sign bit in place once broke half of them).
  for (const [k, what] of [[b.signedPreKey, 'signed'], [b.kyberPreKey, 'kyber']] as const) {
    assert.ok(xeddsa.verify(alice.identity.publicKey, k.publicKey, k.signature), `${what} prekey signature`);
  }
  for (let i = 0; i < 6; i++) {
    const more = new TestIdentity();
    await client.upload(more.full(await client.challenge(), 1));
    const m = decodePrekeyBundle(await client.fetch(more.address));
    assert.ok(xeddsa.verify(more.identity.publicKey, m.signedPreKey.publicKey, m.signedPreKey.signature), `identity ${i}`);
  }
  const mallory = new TestIdentity();
  await refused(client.upload(alice.upload(await client.challenge(), { signedPreKey: alice.signed(alice.signedPreKey().publicKey, mallory.identity) })), 'BAD_SIGNATURE', 'signedPreKey.signature');
  await refused(client.upload(alice.upload(await client.challenge(), {}, mallory.identity)), 'BAD_PROOF', 'signature');
  await refused(client.upload(alice.upload(challenge)), 'STALE_CHALLENGE', 'challenge');
  await refused(client.upload(new Uint8Array(10)), 'MALFORMED', 'version');
  await refused(client.upload(new Uint8Array(MAX_PREKEY_UPLOAD_BYTES + 1)), 'TOO_LARGE', 'upload');
  await refused(client.fetch(mallory.address), 'NOT_FOUND', 'address');
  await refused(client.fetch(new Uint8Array(5)), 'MALFORMED', 'address');
  // Not a protobuf message at all: the caller's bug, typed as such.
  await assert.rejects(clientBus.request(PREKEY_SUBJECTS.fetch, Uint8Array.of(0xff, 0xff, 0xff)), InvalidArgumentError);
}

const BOB = new TestIdentity();

describeBusController(PrekeyController.name, {
  controller: PrekeyController,
  serviceToken: PrekeyService,
  name: 'prekey',
  async memory() {
    const store = await PglitePrekeyRepository.open(undefined);
    const service = new PrekeyService({ repository: store, expireEveryMs: 0 });
    await service.start();
    return { service, close: async () => (await service.stop(), await store.close()) };
  },
  async postgres(url) {
    const repo = new PgPrekeyRepository({ url });
    await repo.migrate();
    const service = new PrekeyService({ repository: repo, expireEveryMs: 0 });
    await service.start();
    return { service, close: async () => (await service.stop(), await repo.close()) };
  },
  client: (proxy) => new BusPrekeyClient(proxy),
  roundTrip,
  seed: async (client) => void (await client.upload(BOB.full(await client.challenge(), 1))),
  probe: async (client) => assert.deepEqual(decodePrekeyBundle(await client.fetch(BOB.address)).identityKey, BOB.identityKey),
});
