// sendMedia between two messengers through the one-container node and its own media service (tus
// on a folder in DATA_DIR/media, ranged GETs, on MEDIA_PORT): Alice uploads an
// encrypted file and sends its descriptor inside the session; Bob's onMessage gets a typed media
// message and downloads it bit-exact. The key is nowhere the media service or the relay can read;
// a blob altered at the service is refused; bad input is refused before anything is uploaded.
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { createLogger } from '@tacit/kit';
import { MediaError, MemoryStore, Messenger, MessengerError, type IncomingMessage, type MessengerOptions } from '@tacit/sdk';
import { httpGet, waitFor } from '@tacit/testing';
import { startNode, type RunningNode } from './node.js';

const ns = new Uint8Array(32).fill(15);
const quiet = createLogger({ service: 'node', write: () => {} });

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('Messenger.sendMedia through the node and a tus media service', { timeout: 180_000 }, () => {
  let dir: string;
  let node: RunningNode;
  /** The node's media service: its URL and its folder. */
  let media: { url: string; dir: string };
  const opened: Messenger[] = [];
  const party = async (opts: Partial<MessengerOptions> = {}) => {
    const got: IncomingMessage[] = [];
    const errors: Error[] = [];
    const m = await Messenger.create({ namespaceId: ns, relays: [node.url], store: new MemoryStore(), preKeys: { target: 4, lowWater: 2 }, maintainEveryMs: 0, mediaUrl: node.mediaUrl, ...opts });
    opened.push(m);
    m.onMessage((msg) => void got.push(msg));
    m.onError((e) => void errors.push(e));
    return { m, got, errors };
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-media-messenger-'));
    node = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir }, quiet);
    media = { url: node.mediaUrl, dir: path.join(dir, 'media') };
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((m) => m.close()));
  });
  after(async () => {
    await node.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Alice sends a file; Bob gets a typed media message and downloads it bit-exact; the key stays between them', async () => {
    const alice = await party();
    const bob = await party();
    const plain = randomFillSync(Buffer.alloc(3 * 1024 * 1024 + 17));
    const file = path.join(dir, 'photo.bin');
    writeFileSync(file, plain);
    let progress = 0;
    const sent = await alice.m.sendMedia(bob.m.invite(), file, { type: 'image/jpeg', onProgress: (n) => (progress = n) });
    assert.ok(progress > plain.length);
    await waitFor(() => bob.got.length === 1, { timeoutMs: 10_000, intervalMs: 10, what: `the media message (bob errors: ${bob.errors.map(String).join('; ')})` });
    const msg = bob.got[0]!;
    assert.equal(msg.kind, 'media');
    assert.equal(msg.data.length, 0);
    assert.equal(msg.from.id, alice.m.id);
    const d = msg.media!.descriptor;
    assert.deepEqual({ ...d }, { ...sent });
    assert.equal(d.type, 'image/jpeg');
    assert.equal(d.size, plain.length);
    assert.equal(d.url, media.url);
    assert.ok((await collect(msg.media!.download())).equals(plain), 'bit-exact');
    // Neither the media service's store nor the node's data holds the key, the digest or the plaintext.
    const needles = [Buffer.from(d.key), Buffer.from(d.digest), plain.subarray(5000, 5064)];
    for (const f of [...files(media.dir), ...files(dir).filter((f) => f !== file)]) {
      const content = readFileSync(f);
      for (const n of needles) assert.equal(content.indexOf(n), -1, `${path.relative(dir, f)} holds a secret`);
    }
    // Plain messages still go as before, after a media one.
    await alice.m.send(bob.m.id, 'and a caption');
    await waitFor(() => bob.got.length === 2, { timeoutMs: 10_000, intervalMs: 10 });
    assert.equal(bob.got[1]!.kind, 'data');
    assert.equal(bob.got[1]!.media, undefined);
    assert.equal(bob.got[1]!.text(), 'and a caption');
    // Bob answers with bytes from memory (a Blob); Alice gets it the same way.
    await bob.m.sendMedia(alice.m.id, new Blob([plain.subarray(0, 70_000)]), { type: 'application/pdf' });
    await waitFor(() => alice.got.length === 1, { timeoutMs: 10_000, intervalMs: 10 });
    assert.ok((await collect(alice.got[0]!.media!.download())).equals(plain.subarray(0, 70_000)));
    assert.deepEqual([...alice.errors, ...bob.errors], []);
  });

  it('a blob altered at the service is TAMPERED for the recipient; bad input is refused before any upload', async () => {
    const alice = await party();
    const bob = await party();
    const plain = randomFillSync(Buffer.alloc(200_000));
    const sent = await alice.m.sendMedia(bob.m.invite(), plain);
    await waitFor(() => bob.got.length === 1, { timeoutMs: 10_000, intervalMs: 10 });
    assert.equal(bob.got[0]!.media!.descriptor.type, 'application/octet-stream');
    const blob = path.join(media.dir, sent.id);
    const ct = readFileSync(blob);
    ct[70_000]! ^= 1;
    writeFileSync(blob, ct);
    await assert.rejects(collect(bob.got[0]!.media!.download()), (e: unknown) => e instanceof MediaError && e.code === 'TAMPERED' && e.field === 'chunk');

    const created = async () => Number(/^tacit_media_uploads_total\{event="created"[^}]*\} (\d+)$/m.exec((await httpGet(`${node.opsUrl}/metrics`)).text)?.[1] ?? 0);
    const creations = await created();
    assert.ok(creations >= 1, 'the upload above is counted');
    await assert.rejects(alice.m.sendMedia('nobody', plain), (e: unknown) => e instanceof MessengerError && e.code === 'UNKNOWN_CONTACT');
    await assert.rejects(alice.m.sendMedia(bob.m.id, plain, { type: 'not a type' }), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED' && e.field === 'descriptor.type');
    await assert.rejects(alice.m.sendMedia(bob.m.id, plain, { baseUrl: 'http://media.example' }), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED' && e.field === 'baseUrl');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(alice.m.sendMedia(bob.m.id, plain, { signal: ac.signal }), (e: unknown) => e instanceof MediaError && e.code === 'ABORTED');
    assert.equal(await created(), creations, 'nothing was uploaded');
    const noMedia = await party({ mediaUrl: undefined });
    await assert.rejects(noMedia.m.sendMedia(bob.m.id, plain), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED' && e.field === 'baseUrl');
    await waitFor(() => bob.got.length === 1, { timeoutMs: 1000, intervalMs: 10 });
    assert.equal(bob.got.length, 1, 'no message went out for a refused sendMedia');
  });
});
