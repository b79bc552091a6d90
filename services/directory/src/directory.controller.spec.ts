// The directory's bus API through its client library: on the in-process bus and on a real
// nats-server, refusals arrive as the DirectoryError the service refused with (code and field), bus
// failures as kit's typed errors; a real PostgreSQL going away is UnavailableError, not a bug.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BusDirectoryClient } from '@tacit/directory-client';
import { DirectoryError, openRecord, type DirectoryErrorCode } from '@tacit/directory-core';
import { InvalidArgumentError, type Bus } from '@tacit/kit';
import { describeBusController } from '@tacit/platform/testing';
import { create, DIRECTORY_SUBJECTS, directoryV1, fromBinary, toBinary } from '@tacit/proto';
import { DirectoryController } from './directory.controller.js';
import { DirectoryService } from './directory.service.js';
import { PgDirectoryRepository } from './pg-repository.js';
import { PgliteDirectoryRepository } from './pglite-repository.js';
import { keysOf, TestOwner } from './spec-fixtures.js';

async function refused(p: Promise<unknown>, code: DirectoryErrorCode, field: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DirectoryError, `expected DirectoryError, got ${String(err)}`);
    assert.deepEqual([err.code, err.field], [code, field]);
    return true;
  });
}

/** Register, lookup, transfer, release and refusals through `client` (its raw bus: `clientBus`). */
async function roundTrip(client: BusDirectoryClient, clientBus: Bus): Promise<void> {
  const n = new Uint8Array(randomBytes(32));
  const alice = new TestOwner(keysOf(n, 'alice'));
  const carol = new TestOwner(alice.keys, 'signed', 'client-c');
  const challenge = await client.challenge();
  assert.equal(challenge.length, 40);
  assert.equal(await client.register(alice.register(challenge)), 1);
  const found = await client.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'client-b' });
  assert.equal(found.sequence, 1);
  assert.deepEqual(openRecord(alice.keys, 'signed', found.record).identityKey, alice.identity.publicKey);

  await refused(client.register(carol.register(await client.challenge())), 'TAKEN', 'lookupKey');
  await refused(client.register(alice.register(await client.challenge(), { proof: new Uint8Array(64) })), 'BAD_PROOF', 'proof');
  await refused(client.register(alice.register(challenge)), 'STALE_CHALLENGE', 'challenge');
  await refused(client.lookup({ policy: 'last_writer_wins', lookupKey: alice.keys.lookupKey, requester: 'b' }), 'NOT_FOUND', 'lookupKey');
  await refused(client.lookup({ policy: 'signed', lookupKey: new Uint8Array(5), requester: 'b' }), 'MALFORMED', 'lookupKey');
  await refused(client.transfer(alice.transferTo(carol, 1, Date.now() - 1, await client.challenge())), 'EXPIRED', 'grant.expiresAt');

  assert.equal(await client.transfer(alice.transferTo(carol, 1, Date.now() + 60_000, await client.challenge())), 2);
  const next = await client.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'client-b' });
  assert.deepEqual(openRecord(alice.keys, 'signed', next.record).identityKey, carol.identity.publicKey);
  await refused(client.release(alice.release(2, Date.now() + 60_000)), 'NOT_OWNER', 'grant.ownerKey');
  assert.equal(await client.release(carol.release(2, Date.now() + 60_000)), 3);
  await refused(client.lookup({ policy: 'signed', lookupKey: alice.keys.lookupKey, requester: 'b' }), 'NOT_FOUND', 'lookupKey');

  // A policy the wire does not define: the address cannot be made, so MALFORMED.
  const raw = await clientBus.request(
    DIRECTORY_SUBJECTS.lookup,
    toBinary(directoryV1.LookupRequestSchema, create(directoryV1.LookupRequestSchema, { policy: 7 as directoryV1.DirectoryPolicy, lookupKey: alice.keys.lookupKey })),
  );
  const reply = fromBinary(directoryV1.LookupReplySchema, raw);
  assert.deepEqual([reply.status, reply.field], [directoryV1.DirectoryStatus.MALFORMED, 'policy']);
  // Not a protobuf message at all: the caller's bug, typed as such.
  await assert.rejects(clientBus.request(DIRECTORY_SUBJECTS.lookup, Uint8Array.of(0xff, 0xff, 0xff)), InvalidArgumentError);
}

const BOB = new TestOwner(keysOf(new Uint8Array(32).fill(1), 'bob'));

describeBusController(DirectoryController.name, {
  controller: DirectoryController,
  serviceToken: DirectoryService,
  name: 'directory',
  async memory() {
    const store = await PgliteDirectoryRepository.open(undefined);
    const service = new DirectoryService({ repository: store, sweepEveryMs: 0 });
    await service.start();
    return { service, close: async () => (await service.stop(), await store.close()) };
  },
  async postgres(url) {
    const repo = new PgDirectoryRepository({ url });
    await repo.migrate();
    const service = new DirectoryService({ repository: repo, sweepEveryMs: 0 });
    await service.start();
    return { service, close: async () => (await service.stop(), await repo.close()) };
  },
  client: (proxy) => new BusDirectoryClient(proxy),
  roundTrip,
  seed: async (client) => void (await client.register(BOB.register(await client.challenge()))),
  probe: async (client) => assert.equal((await client.lookup({ policy: 'signed', lookupKey: BOB.keys.lookupKey, requester: 'b' })).sequence, 1),
});
