// Issue 16 end to end through the one-container node (gateway, queue, prekey service and directory in
// one process, PGlite in DATA_DIR): Alice registers @alice, Bob finds her knowing only the handle,
// starts a session from her invite and they converse; Alice signs @alice over to Carol and Bob's next
// lookup finds Carol; last-writer-wins as docs/directory.md says; every bad input refused with its
// typed DirectoryError and the owner unaffected; then nothing readable — neither the handles, the
// namespace id nor the owners' identity keys in the directory's data files, the logs or /metrics.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deriveControlKey, deriveHandleKeys, entryId, recordHash, sealRecord, signRegistration } from '@tacit/directory-core';
import { x25519 } from '@tacit/crypto';
import { createLogger } from '@tacit/kit';
import { embeddedDbFolder, leasePglite } from '@tacit/platform';
import { DirectoryError, DirectoryHttpClient, MemoryStore, Messenger, type IncomingMessage, type MessengerOptions } from '@tacit/sdk';
import { waitFor } from '@tacit/testing';
import { startNode, type RunningNode } from './node.js';

const ns = new Uint8Array(randomBytes(32));
const logLines: string[] = [];
const logger = createLogger({ service: 'node', level: 'debug', write: (l) => void logLines.push(l) });

interface Party {
  m: Messenger;
  got: IncomingMessage[];
}

/** Whether `fn` rejects with a DirectoryError of `code`. */
async function refused(fn: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof DirectoryError, `expected a DirectoryError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** Every file under `dir`, read whole. */
function filesOf(dir: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, name);
    if (statSync(p).isFile()) out.push([p, readFileSync(p)]);
  }
  return out;
}

/**
 * The data files of one service's relations (tables named `<prefix>_…`, their indexes and TOAST) in
 * the node's embedded database, which the services share: each relation is its own file there.
 */
async function relationFiles(dataDir: string, prefix: string): Promise<Array<[string, Buffer]>> {
  const folder = embeddedDbFolder(dataDir, prefix);
  const lease = await leasePglite(folder);
  let rels: string[];
  try {
    const own = `SELECT oid FROM pg_class WHERE relname LIKE $1 AND relkind IN ('r', 'S') UNION SELECT reltoastrelid FROM pg_class WHERE relname LIKE $1 AND reltoastrelid <> 0`;
    const rows = await lease.db.query<{ p: string | null }>(
      `WITH own AS (${own}) SELECT pg_relation_filepath(oid) AS p FROM own UNION SELECT pg_relation_filepath(indexrelid) FROM pg_index WHERE indrelid IN (SELECT oid FROM own)`,
      [`${prefix}\\_%`],
    );
    rels = rows.rows.map((r) => r.p).filter((p): p is string => p !== null);
  } finally {
    await lease.release();
  }
  const out: Array<[string, Buffer]> = [];
  for (const rel of rels) {
    const base = path.join(folder, rel);
    for (const name of readdirSync(path.dirname(base))) {
      const p = path.join(path.dirname(base), name);
      if (p === base || p.startsWith(`${base}.`) || p.startsWith(`${base}_`)) out.push([p, readFileSync(p)]);
    }
  }
  return out;
}

describe('the directory end to end through the node (issue 16)', { timeout: 300_000 }, () => {
  let dir: string;
  let node: RunningNode;
  const opened: Messenger[] = [];
  const party = async (opts: Partial<MessengerOptions> = {}): Promise<Party> => {
    const got: IncomingMessage[] = [];
    const m = await Messenger.create({ namespaceId: ns, relays: [node.url], store: new MemoryStore(), preKeys: { target: 8, lowWater: 4 }, maintainEveryMs: 0, minBackoffMs: 50, maxBackoffMs: 200, ...opts });
    opened.push(m);
    m.onMessage((msg) => void got.push(msg));
    return { m, got };
  };
  let alice: Party;
  let bob: Party;
  let carol: Party;
  const identities: Uint8Array[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-directory-'));
    node = await startNode(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        OPS_PORT: '0',
        OPS_HOST: '127.0.0.1',
        DATA_DIR: dir,
        GATEWAY_DIRECTORY_WRITES_PER_MINUTE: '100000',
        GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE: '100000',
        DIRECTORY_WRITES_PER_HOUR: '100000',
        // Every party here is 127.0.0.1: one requester. The flood spec spends the rest.
        DIRECTORY_LOOKUPS_PER_MINUTE: '40',
      },
      logger,
    );
    [alice, bob, carol] = [await party(), await party(), await party()];
    identities.push(alice.m.identityKey, carol.m.identityKey);
  });
  after(async () => {
    await Promise.all(opened.map((m) => m.close()));
    await node?.stop(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Alice registers @alice; Bob, knowing only the handle, finds her invite, starts a session and they converse', async () => {
    assert.deepEqual(await alice.m.register('@Alice'), { handle: 'alice', sequence: 1 });
    const found = await bob.m.lookup('@alice');
    assert.equal(found.handle, 'alice');
    assert.deepEqual(found.identityKey, alice.m.identityKey);
    assert.equal(found.invite, alice.m.invite());
    await bob.m.send(found.invite, 'hello @alice');
    await waitFor(() => alice.got.length === 1, { timeoutMs: 15_000, intervalMs: 10, what: "Bob's first message" });
    assert.equal(alice.got[0]!.text(), 'hello @alice');
    await alice.m.send(alice.got[0]!.from, 'hi bob');
    await waitFor(() => bob.got.length === 1, { timeoutMs: 15_000, intervalMs: 10, what: "Alice's reply" });
    assert.equal(bob.got[0]!.text(), 'hi bob');
    assert.deepEqual(bob.got[0]!.from.identityKey, alice.m.identityKey);
  });

  it('bad inputs are refused with typed errors, and Alice still owns @alice after each', async () => {
    const stillAlice = async (): Promise<void> => assert.deepEqual((await bob.m.lookup('alice')).identityKey, alice.m.identityKey);
    const mallory = await party();
    // Handles: forbidden and mixed-script characters, a whole-script look-alike (refused before
    // anything is sent), and a look-alike that passes the rules: it is @alice's own entry, taken.
    await refused(mallory.m.register('@al ice'), 'FORBIDDEN_CHARACTER');
    await refused(mallory.m.register('@alice\u200d'), 'FORBIDDEN_CHARACTER');
    await refused(mallory.m.register('@\u0430lice'), 'MIXED_SCRIPTS');
    await refused(mallory.m.lookup('@\u0440\u0430\u0443\u0440\u0430'), 'CONFUSABLE');
    await refused(mallory.m.register('@a1ice'), 'TAKEN');
    await stillAlice();
    // A registration without proof of possession of the control key it names.
    const http = new DirectoryHttpClient(node.url);
    const identity = x25519.keygen();
    const k = deriveHandleKeys(ns, 'alice');
    const control = deriveControlKey(identity.secretKey, k.lookupKey);
    const record = sealRecord({ keys: k, policy: 'signed', identity, controlKey: control.publicKey, invite: new TextEncoder().encode(mallory.m.invite()) }).ciphertext;
    const challenge = await http.challenge();
    await refused(http.register({ policy: 'signed', lookupKey: k.lookupKey, record, controlKey: control.publicKey, challenge, proof: new Uint8Array(64) }), 'BAD_PROOF');
    // With a good proof of a key that is not Alice's control key: TAKEN.
    const fresh = await http.challenge();
    const proof = signRegistration(control.secretKey, fresh, entryId('signed', k.lookupKey), recordHash(record));
    await refused(http.register({ policy: 'signed', lookupKey: k.lookupKey, record, controlKey: control.publicKey, challenge: fresh, proof }), 'TAKEN');
    await stillAlice();
    // Transfers: a bad signature, an expired grant, a grant signed by someone who does not own it.
    const request = await mallory.m.transferRequest('@alice');
    const grant = await alice.m.transfer('@alice', request);
    const bytes = Buffer.from(grant, 'base64url');
    bytes[bytes.length - 1]! ^= 1;
    await refused(mallory.m.acceptTransfer('@alice', bytes.toString('base64url')), 'BAD_SIGNATURE');
    await refused(mallory.m.acceptTransfer('@alice', await alice.m.transfer('@alice', request, { expiresInMs: -1000 })), 'EXPIRED');
    await refused(mallory.m.acceptTransfer('@alice', await mallory.m.transfer('@alice', request)), 'NOT_OWNER');
    await refused(mallory.m.release('@alice'), 'NOT_OWNER');
    await stillAlice();
  });

  it('Alice signs @alice over to Carol; Bob\'s next lookup finds Carol; replayed grants are refused and Carol keeps it', async () => {
    // A grant made before Alice's last change of the entry (here: she registers again) is dead.
    const old = await alice.m.transfer('@alice', await carol.m.transferRequest('@alice'));
    await alice.m.register('@alice');
    await refused(carol.m.acceptTransfer('@alice', old), 'REPLAYED');
    assert.deepEqual((await bob.m.lookup('@alice')).identityKey, alice.m.identityKey);
    const grant = await alice.m.transfer('@alice', await carol.m.transferRequest('@alice'));
    assert.equal((await carol.m.acceptTransfer('@alice', grant)).handle, 'alice');
    const found = await bob.m.lookup('@alice');
    assert.deepEqual(found.identityKey, carol.m.identityKey);
    assert.equal(found.invite, carol.m.invite());
    // The same grant again: Alice, who signed it, owns nothing now.
    await refused(carol.m.acceptTransfer('@alice', grant), 'NOT_OWNER');
    await refused(alice.m.release('@alice'), 'NOT_OWNER');
    assert.deepEqual((await bob.m.lookup('@alice')).identityKey, carol.m.identityKey);
    await bob.m.send(found.invite, 'hello carol');
    await waitFor(() => carol.got.length === 1, { timeoutMs: 15_000, intervalMs: 10, what: "Bob's message to @alice's new owner" });
    assert.equal(carol.got[0]!.text(), 'hello carol');
  });

  it('last-writer-wins: anyone who proves a key takes the handle, only the owner releases it, and the signed namespace never sees it', async () => {
    const dave = await party({ directoryPolicy: 'last_writer_wins' });
    const erin = await party({ directoryPolicy: 'last_writer_wins' });
    identities.push(dave.m.identityKey, erin.m.identityKey);
    await dave.m.register('@shared_name');
    assert.deepEqual((await erin.m.lookup('@shared_name')).identityKey, dave.m.identityKey);
    await erin.m.register('@shared_name');
    assert.deepEqual((await dave.m.lookup('@shared_name')).identityKey, erin.m.identityKey, 'the last writer holds it');
    await refused(dave.m.release('@shared_name'), 'NOT_OWNER');
    await refused(bob.m.lookup('@shared_name'), 'NOT_FOUND');
    await erin.m.release('@shared_name');
    await refused(dave.m.lookup('@shared_name'), 'NOT_FOUND');
  });

  it('a lookup flood is RATE_LIMITED, and the owner is unaffected', async () => {
    let limited: DirectoryError | undefined;
    for (let i = 0; i < 100 && !limited; i++) {
      try {
        await bob.m.lookup('@nobody_here');
      } catch (e) {
        if (e instanceof DirectoryError && e.code === 'RATE_LIMITED') limited = e;
        else assert.ok(e instanceof DirectoryError && e.code === 'NOT_FOUND', String(e));
      }
    }
    assert.ok(limited, 'the flood was limited');
    const k = deriveHandleKeys(ns, 'alice');
    const r = await node.directory.lookup({ policy: 'signed', lookupKey: k.lookupKey, requester: 'another-requester' });
    assert.ok(r.record.length > 0, "@alice's entry is still there for others");
  });

  it('nothing readable: no handle, namespace id or owner identity key in the directory\'s data files, the logs or /metrics', async () => {
    const metrics = await (await fetch(`${node.opsUrl}/metrics`)).text();
    assert.match(metrics, /tacit_directory_requests_total\{op="lookup",outcome="ok"/);
    assert.match(metrics, /tacit_gateway_directory_requests_total/);
    await Promise.all(opened.splice(0).map((m) => m.close()));
    await node.stop(0);
    const text = Buffer.from(`${logLines.join('\n')}\n${metrics}`);
    assert.ok(logLines.length > 0);
    const files = await relationFiles(dir, 'directory');
    assert.ok(files.length >= 6, `the directory's tables and indexes in PGlite (${files.length} files)`);
    const enc = (b: Uint8Array) => [Buffer.from(b), Buffer.from(Buffer.from(b).toString('hex')), Buffer.from(Buffer.from(b).toString('base64')), Buffer.from(Buffer.from(b).toString('base64url'))];
    const needles: Array<[string, Buffer]> = [
      ...['alice', 'shared_name', 'nobody_here', 'a1ice'].map((h) => [`handle ${h}`, Buffer.from(h)] as [string, Buffer]),
      ...enc(ns).map((b) => ['namespace id', b] as [string, Buffer]),
      ...identities.flatMap((id, i) => enc(id).map((b) => [`identity key ${i}`, b] as [string, Buffer])),
    ];
    for (const [what, needle] of needles) {
      assert.equal(text.indexOf(needle), -1, `${what} in the logs or metrics`);
      for (const [p, bytes] of files) assert.equal(bytes.indexOf(needle), -1, `${what} in ${p}`);
    }
    // The search finds a key where one is: the prekey service's PGlite files hold identity keys (its bundles).
    assert.ok((await relationFiles(dir, 'prekey')).some(([, bytes]) => bytes.indexOf(Buffer.from(identities[0]!)) >= 0), 'the search would find a raw identity key');
    // The whole data folder (queue and prekey service too) holds neither a handle nor the namespace id.
    for (const [p, bytes] of filesOf(dir)) for (const [what, needle] of needles.filter(([w]) => !w.startsWith('identity'))) assert.equal(bytes.indexOf(needle), -1, `${what} in ${p}`);
  });
});
