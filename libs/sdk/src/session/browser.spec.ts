import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nodeBackend } from '@tacit/crypto';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { PreKeyBundle } from './bundle.js';
import type { CiphertextMessage } from './messages.js';
import { SessionManager } from './session-manager.js';
import { MemoryStore } from './store.js';

// The SDK's browser build in Debian's Chromium (headless, driven by playwright-core): the page
// loads @tacit/sdk with @tacit/crypto resolved to its portable entry (noble, no node:*), keeps
// its identity and sessions in the browser's own IndexedDB, and converses with a Node client on
// node:crypto. Chromium comes from the `chromium` Debian package (scripts/lib/pins.sh).
const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
const NS = new Uint8Array(32).fill(11);

// Only what the page imports is served: the four libraries' builds, the noble packages and Unicode's confusables (unhomoglyph).
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
  // @noble/post-quantum brings its own copies of hashes and curves.
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
import { SessionManager, IndexedDbStore } from '@tacit/sdk';
import { defaultBackend } from '@tacit/crypto';
const u8 = (a) => new Uint8Array(a);
const arr = (u) => Array.from(u);
let sut;
window.t = {
  backend: () => defaultBackend.name,
  hasProcess: () => typeof process !== 'undefined',
  async open() {
    sut = await SessionManager.open({ store: await IndexedDbStore.open('tacit-spec'), namespaceId: new Uint8Array(32).fill(11) });
    await sut.generatePreKeys(2, 2);
    return arr(sut.identityKey);
  },
  async bundle() {
    const b = await sut.bundle({ oneTime: true });
    return { ...b, identityKey: arr(b.identityKey),
      signedPreKey: { ...b.signedPreKey, publicKey: arr(b.signedPreKey.publicKey), signature: arr(b.signedPreKey.signature) },
      kyberPreKey: { ...b.kyberPreKey, publicKey: arr(b.kyberPreKey.publicKey), signature: arr(b.kyberPreKey.signature) },
      preKey: b.preKey && { id: b.preKey.id, publicKey: arr(b.preKey.publicKey) } };
  },
  async startSession(b, peer) {
    await sut.startSession(peer, { ...b, identityKey: u8(b.identityKey),
      signedPreKey: { ...b.signedPreKey, publicKey: u8(b.signedPreKey.publicKey), signature: u8(b.signedPreKey.signature) },
      kyberPreKey: { ...b.kyberPreKey, publicKey: u8(b.kyberPreKey.publicKey), signature: u8(b.kyberPreKey.signature) },
      preKey: b.preKey && { id: b.preKey.id, publicKey: u8(b.preKey.publicKey) } });
  },
  async encrypt(text, peer) { const m = await sut.encrypt(peer, new TextEncoder().encode(text)); return { type: m.type, body: arr(m.body) }; },
  async decrypt(m, peer) { const r = await sut.decrypt(peer, { type: m.type, body: u8(m.body) }); await sut.acknowledge(r.id); return new TextDecoder().decode(r.plaintext); },
};
document.title = 'ready';
</script>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.json': 'application/json' };

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
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

type _Wire = { type: 2 | 3; body: number[] };
const toWire = (m: CiphertextMessage): _Wire => ({ type: m.type, body: Array.from(m.body) });
const fromWire = (m: _Wire): CiphertextMessage => ({ type: m.type, body: new Uint8Array(m.body) });
const wireBundle = (b: PreKeyBundle) => ({
  ...b,
  identityKey: Array.from(b.identityKey),
  signedPreKey: { ...b.signedPreKey, publicKey: Array.from(b.signedPreKey.publicKey), signature: Array.from(b.signedPreKey.signature) },
  kyberPreKey: { ...b.kyberPreKey, publicKey: Array.from(b.kyberPreKey.publicKey), signature: Array.from(b.kyberPreKey.signature) },
  preKey: b.preKey && { id: b.preKey.id, publicKey: Array.from(b.preKey.publicKey) },
});
const unwireBundle = (b: ReturnType<typeof wireBundle>): PreKeyBundle => ({
  ...b,
  identityKey: new Uint8Array(b.identityKey),
  signedPreKey: { ...b.signedPreKey, publicKey: new Uint8Array(b.signedPreKey.publicKey), signature: new Uint8Array(b.signedPreKey.signature) },
  kyberPreKey: { ...b.kyberPreKey, publicKey: new Uint8Array(b.kyberPreKey.publicKey), signature: new Uint8Array(b.kyberPreKey.signature) },
  preKey: b.preKey && { id: b.preKey.id, publicKey: new Uint8Array(b.preKey.publicKey) },
});

describe('browser build in Chromium', () => {
  let server: Server;
  let browser: BrowserContext;
  let tab: Page;
  const profile = mkdtempSync(path.join(tmpdir(), 'tacit-chromium-'));
  let url = '';

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the chromium Debian package (bash scripts/setup.sh does)`);
    server = await serve();
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // The flags of this machine's browser checks (no sandbox as root, no network beyond the page),
    // and a new empty profile folder.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    tab = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(url);
    const ready = () => (globalThis as unknown as { document: { title: string } }).document.title === 'ready';
    await tab.waitForFunction(ready, undefined, { timeout: 30_000 }).catch(() => {
      throw new Error(`the page did not load: ${errors.join('; ')}`);
    });
  });

  after(async () => {
    await browser?.close();
    server?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('runs on noble without node:*, converses with a Node client both ways, and keeps its sessions in IndexedDB across a reload', async () => {
    // Calls window.t[op](...args) in the page; arguments and results cross as JSON.
    const call = <R>(op: string, ...args: unknown[]): Promise<R> =>
      tab.evaluate(
        ([o, a]) => (globalThis as unknown as { t: Record<string, (...x: unknown[]) => unknown> }).t[o as string]!(...(a as unknown[])),
        [op, args] as const,
      ) as Promise<R>;
    assert.equal(await call('backend'), 'noble');
    assert.equal(await call('hasProcess'), false);

    const browserIdentity = await call<number[]>('open');
    const node = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS, backend: nodeBackend });
    await node.startSession('browser', unwireBundle(await call('bundle')));
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    for (let i = 0; i < 20; i++) {
      const m = await node.encrypt('browser', enc.encode(`node ${i}`));
      assert.equal(await call('decrypt', toWire(m), 'node'), `node ${i}`);
      if (i % 3 === 2) {
        const r = fromWire(await call('encrypt', `browser ${i}`, 'node'));
        assert.equal(dec.decode((await node.decrypt('browser', r)).plaintext), `browser ${i}`);
      }
    }

    // A reload: the page opens the same IndexedDB database and goes on with the same session.
    await tab.reload();
    await tab.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'ready');
    assert.deepEqual(await call('open'), browserIdentity);
    const m = await node.encrypt('browser', enc.encode('after reload'));
    assert.equal(await call('decrypt', toWire(m), 'node'), 'after reload');
    const r = fromWire(await call('encrypt', 'browser after reload', 'node'));
    assert.equal(dec.decode((await node.decrypt('browser', r)).plaintext), 'browser after reload');

    // And the other way round: the page starts a session from the Node client's bundle.
    await node.generatePreKeys(1, 1);
    const other = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS, backend: nodeBackend });
    await other.generatePreKeys(1, 1);
    await call('startSession', wireBundle(await other.bundle({ oneTime: true })), 'other');
    const first = fromWire(await call('encrypt', 'browser first', 'other'));
    assert.equal(first.type, 3);
    assert.equal(dec.decode((await other.decrypt('browser', first)).plaintext), 'browser first');
    const back = await other.encrypt('browser', enc.encode('node answers'));
    assert.equal(await call('decrypt', toWire(back), 'other'), 'node answers');
  });
});
