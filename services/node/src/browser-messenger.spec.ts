// A page using the SDK's browser build (noble, no node:*) in Debian's Chromium, headless, converses
// with a Node client through the one-container node: the page publishes its prekeys through the
// node's prekey endpoints (cross-origin, so CORS is exercised), the Node client starts a session
// from them, the page answers, the page starts a session from a Node client's bundle, and after a
// reload the page (its identity and sessions in the browser's IndexedDB) gets what was sent while
// it was closed. Then the directory from the page (Argon2id on noble, the /v1/directory endpoints
// cross-origin): it registers a handle a Node client finds, finds one a Node client registered, and
// gets DirectoryErrors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createLogger } from '@tacit/kit';
import { MemoryStore, Messenger, type IncomingMessage } from '@tacit/sdk';
import { waitFor } from '@tacit/testing';
import { startNode, type RunningNode } from './node.js';

const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const NS = Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);

const importMap = {
  imports: {
    '@tacit/sdk': '/libs/sdk/dist/index.js',
    '@tacit/crypto': '/libs/crypto/dist/portable.js',
    '@tacit/protocol': '/libs/protocol/dist/index.js',
    '@tacit/directory-core': '/libs/directory-core/dist/index.js',
    'unhomoglyph/': '/node_modules/unhomoglyph/',
    '@noble/hashes/': '/node_modules/@noble/hashes/',
    '@noble/curves/': '/node_modules/@noble/curves/',
    '@noble/ciphers/': '/node_modules/@noble/ciphers/',
    '@noble/post-quantum/': '/node_modules/@noble/post-quantum/',
  },
  scopes: {
    '/node_modules/@noble/post-quantum/': {
      '@noble/hashes/': '/node_modules/@noble/post-quantum/node_modules/@noble/hashes/',
      '@noble/curves/': '/node_modules/@noble/post-quantum/node_modules/@noble/curves/',
    },
  },
};

const page = `<!doctype html><meta charset="utf-8"><title>tacit</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
<script type="module">
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
</script>`;

function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    const file = path.join(root, path.normalize(url.pathname));
    const allowed = /^\/(libs\/(sdk|crypto|protocol|directory-core)\/dist|node_modules\/@noble)\/[\w@./-]+\.js$|^\/node_modules\/unhomoglyph\/data\.json$/.test(url.pathname);
    if (!allowed || !file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'text/javascript' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('browser build in Chromium, through the one-container node', { timeout: 240_000 }, () => {
  let node: RunningNode;
  let server: Server;
  let browser: BrowserContext;
  let tab: Page;
  const dir = mkdtempSync(path.join(tmpdir(), 'tacit-browser-node-'));
  const profile = mkdtempSync(path.join(tmpdir(), 'tacit-chromium-'));
  const nodeClients: Messenger[] = [];
  const call = <R>(op: string, ...args: unknown[]): Promise<R> =>
    tab.evaluate(([o, a]) => (globalThis as unknown as { t: Record<string, (...x: unknown[]) => unknown> }).t[o as string]!(...(a as unknown[])), [op, args] as const) as Promise<R>;
  const load = async (): Promise<void> => {
    await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await tab.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'ready', undefined, { timeout: 30_000 });
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the chromium Debian package (bash scripts/setup.sh does)`);
    node = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir }, createLogger({ service: 'node', write: () => {} }));
    server = await serve();
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    tab = browser.pages()[0] ?? (await browser.newPage());
    const pageErrors: string[] = [];
    tab.on('pageerror', (e) => pageErrors.push(String(e)));
    await load().catch(() => {
      throw new Error(`the page did not load: ${pageErrors.join('; ')}`);
    });
  });
  after(async () => {
    await Promise.all(nodeClients.map((c) => c.close()));
    await browser?.close();
    server?.close();
    await node?.stop(100);
    rmSync(profile, { recursive: true, force: true });
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
