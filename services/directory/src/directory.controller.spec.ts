// The directory's bus API through its client library: on the in-process bus and on a real
// nats-server, refusals arrive as the DirectoryError the service refused with (code and field), bus
// failures as kit's typed errors; a real PostgreSQL going away is UnavailableError, not a bug.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BusDirectoryClient } from '@tacit/directory-client';
import { DirectoryError, openRecord, type DirectoryErrorCode } from '@tacit/directory-core';
import { InProcessBus, InvalidArgumentError, NatsBus, UnavailableError, type Bus } from '@tacit/kit';
import { BusClientProxy, serveOnBus } from '@tacit/platform';
import { create, DIRECTORY_SUBJECTS, directoryV1, fromBinary, toBinary } from '@tacit/proto';
import { startNats, startPostgres, type NatsServer, type PostgresServer } from '@tacit/testing';
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

async function serve(bus: Bus, sut: DirectoryService): Promise<{ close(): Promise<void> }> {
  class DirectoryOnBus {}
  return serveOnBus(bus, { module: DirectoryOnBus, controllers: [DirectoryController], providers: [{ provide: DirectoryService, useValue: sut }] });
}

/** Register, lookup, transfer, release and refusals from `clientBus` to the controller served on `serverBus`. */
async function roundTrip(serverBus: Bus, clientBus: Bus, sut: DirectoryService): Promise<void> {
  const served = await serve(serverBus, sut);
  const client = new BusDirectoryClient(new BusClientProxy(clientBus));
  try {
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
  } finally {
    await served.close();
  }
}

describe(DirectoryController.name, () => {
  let store: PgliteDirectoryRepository;
  let sut: DirectoryService;
  before(async () => {
    store = await PgliteDirectoryRepository.open(undefined);
    sut = new DirectoryService({ repository: store, sweepEveryMs: 0 });
    await sut.start();
  });
  after(async () => {
    await sut.stop();
    await store.close();
  });

  it('answers over an InProcessBus, refusals typed', async () => {
    const bus = new InProcessBus();
    await roundTrip(bus, bus, sut);
    await bus.close();
  });

  describe('over a real nats-server', () => {
    let nats: NatsServer;
    before(async () => {
      nats = await startNats({ jetstream: false });
    });
    after(async () => {
      await nats.stop();
    });

    it('answers across two connections, refusals typed', async () => {
      const [server, client] = [await NatsBus.connect({ url: nats.url, name: 'directory' }), await NatsBus.connect({ url: nats.url, name: 'gateway' })];
      try {
        await roundTrip(server, client, sut);
      } finally {
        await client.close();
        await server.close();
      }
    });
  });

  describe('with PostgreSQL down', () => {
    let pg: PostgresServer;
    before(async () => {
      pg = await startPostgres();
    });
    after(async () => {
      await pg.stop();
    });

    it('answers UnavailableError (retryable), and serves again once it is back', async () => {
      const repo = new PgDirectoryRepository({ url: pg.url });
      await repo.migrate();
      const service = new DirectoryService({ repository: repo, sweepEveryMs: 0 });
      await service.start();
      const bus = new InProcessBus();
      const served = await serve(bus, service);
      const client = new BusDirectoryClient(new BusClientProxy(bus));
      const bob = new TestOwner(keysOf(new Uint8Array(32).fill(1), 'bob'));
      await client.register(bob.register(await client.challenge()));
      await pg.kill();
      await assert.rejects(client.lookup({ policy: 'signed', lookupKey: bob.keys.lookupKey, requester: 'b' }), UnavailableError);
      await pg.start();
      assert.equal((await client.lookup({ policy: 'signed', lookupKey: bob.keys.lookupKey, requester: 'b' })).sequence, 1);
      await served.close();
      await bus.close();
      await service.stop();
      await repo.close();
    });
  });
});
