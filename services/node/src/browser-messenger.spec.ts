// A page using the SDK's browser build (noble, no node:*) in Debian's Chromium, headless, converses
// with a Node client through the one-container node: the page publishes its prekeys through the
// node's prekey endpoints (cross-origin, so CORS is exercised), the Node client starts a session
// from them, the page answers, the page starts a session from a Node client's bundle, and after a
// reload the page (its identity and sessions in the browser's IndexedDB) gets what was sent while
// it was closed. Then the directory from the page (Argon2id on noble, the /v1/directory endpoints
// cross-origin): it registers a handle a Node client finds, finds one a Node client registered, and
// gets DirectoryErrors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@tacit/kit';
import { MemoryStore, Messenger, type IncomingMessage } from '@tacit/sdk';
import { openBrowserPage, type BrowserPage } from '@tacit/sdk/_browser-page';
import { waitFor } from '@tacit/testing';
import { startNode, type RunningNode } from './node.js';

const NS = Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);

const script = `
import { Messenger, IndexedDbStore } from '@tacit/sdk';
import { defaultBackend } from '@tacit/crypto';
let m;
window.got = [];
window.errors = [];
window.t = {
  backend: () => defaultBackend.name,
  async create(relay) {
    m = await Messenger.create({ namespaceId: new Uint8Array(${JSON.stringify(NS)}), relays: [relay], store: await IndexedDbStore.open('tacit-messenger'),
      preKeys: { target: 6, lowWater: 2 }, maintainEveryMs: 0 });
    m.onMessage((x) => void window.got.push({ text: x.text(), from: x.from.id }));
    m.onError((e) => void window.errors.push(String(e)));
    return m.invite();
  },
  send: (to, text) => m.send(to, text),
  invite: () => m.invite(),
  register: async (h) => (await m.register(h)).handle,
  lookup: async (h) => {
    try {
      const e = await m.lookup(h);
      return { handle: e.handle, invite: e.invite };
    } catch (e) {
      return { error: e.name + ' ' + e.code };
    }
  },
  got: () => window.got,
  errors: () => window.errors,
  close: () => m.close(),
};
document.title = 'ready';
`;

describe('browser build in Chromium, through the one-container node', { timeout: 240_000 }, () => {
  let node: RunningNode;
  let page: BrowserPage;
  const dir = mkdtempSync(path.join(tmpdir(), 'tacit-browser-node-'));
  const nodeClients: Messenger[] = [];
  const call = <R>(op: string, ...args: unknown[]): Promise<R> => page.call<R>(op, ...args);
  const load = (): Promise<void> => page.load();

  before(async () => {
    node = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir }, createLogger({ service: 'node', write: () => {} }));
    page = await openBrowserPage(script);
  });
  after(async () => {
    await Promise.all(nodeClients.map((c) => c.close()));
    await page?.close();
    await node?.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('converses with a Node client both ways, on noble, with its identity and sessions in IndexedDB across a reload', async () => {
    assert.equal(await call('backend'), 'noble');
    const pageInvite = await call<string>('create', node.url);

    // A Node client (node:crypto) starts a session from the page's bundle, fetched through the node.
    const got: IncomingMessage[] = [];
    const nodeClient = await Messenger.create({ namespaceId: new Uint8Array(NS), relays: [node.url], store: new MemoryStore(), maintainEveryMs: 0, preKeys: { target: 6, lowWater: 2 } });
    nodeClients.push(nodeClient);
    nodeClient.onMessage((x) => void got.push(x));
    for (let i = 0; i < 5; i++) await nodeClient.send(pageInvite, `node ${i}`);
    await waitFor(async () => (await call<unknown[]>('got')).length === 5, { timeoutMs: 30_000, intervalMs: 50, what: 'the page got five messages' });
    const inPage = await call<Array<{ text: string; from: string }>>('got');
    assert.deepEqual(inPage.map((x) => x.text), ['node 0', 'node 1', 'node 2', 'node 3', 'node 4']);
    assert.equal(inPage[0]!.from, nodeClient.id);
    for (let i = 0; i < 3; i++) await call('send', nodeClient.id, `page ${i}`);
    await waitFor(() => got.length === 3, { timeoutMs: 30_000, intervalMs: 50, what: 'the Node client got three answers' });
    assert.deepEqual(got.map((x) => x.text()), ['page 0', 'page 1', 'page 2']);

    // The page starts a session from another Node client's bundle (fetched cross-origin by the page).
    const otherGot: IncomingMessage[] = [];
    const other = await Messenger.create({ namespaceId: new Uint8Array(NS), relays: [node.url], store: new MemoryStore(), maintainEveryMs: 0, preKeys: { target: 6, lowWater: 2 } });
    nodeClients.push(other);
    other.onMessage((x) => void otherGot.push(x));
    await call('send', other.invite(), 'page first');
    await waitFor(() => otherGot.length === 1, { timeoutMs: 30_000, intervalMs: 50, what: "the other client's first message" });
    assert.equal(otherGot[0]!.text(), 'page first');
    await other.send(otherGot[0]!.from, 'other answers');
    await waitFor(async () => (await call<unknown[]>('got')).length === 6, { timeoutMs: 30_000, intervalMs: 50, what: 'the answer in the page' });

    // The page closes; a message waits for it in the node's queue; the page comes back (a reload:
    // the same IndexedDB) with the same identity and session, and gets it.
    await call('close');
    await nodeClient.send(pageInvite, 'while you were away');
    await load();
    assert.equal(await call<string>('create', node.url), pageInvite, 'the same identity after the reload');
    await waitFor(async () => (await call<unknown[]>('got')).length === 1, { timeoutMs: 30_000, intervalMs: 50, what: 'the queued message after the reload' });
    assert.deepEqual((await call<Array<{ text: string }>>('got')).map((x) => x.text), ['while you were away']);
    await call('send', nodeClient.id, 'back');
    await waitFor(() => got.length === 4, { timeoutMs: 30_000, intervalMs: 50, what: 'the answer after the reload' });
    assert.equal(got[3]!.text(), 'back');
    assert.deepEqual(await call('errors'), []);
  });

  it('the directory from the page: it registers a handle a Node client finds, finds a Node client\'s handle, and gets typed errors', async () => {
    const nodeClient = nodeClients[0]!;
    assert.equal(await call<string>('register', '@Page_User'), 'page_user');
    const found = await nodeClient.lookup('page_user');
    assert.equal(found.invite, await call<string>('invite'));
    await nodeClient.register('@node_user');
    assert.deepEqual(await call('lookup', '@node_user'), { handle: 'node_user', invite: nodeClient.invite() });
    assert.deepEqual(await call('lookup', '@nobody_here'), { error: 'DirectoryError NOT_FOUND' });
    assert.deepEqual(await call('lookup', '@\u0430lice'), { error: 'DirectoryError MIXED_SCRIPTS' });
  });
});
