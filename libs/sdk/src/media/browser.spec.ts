// The SDK's browser build (noble, no node:*) in Debian's Chromium downloads, verifies and decrypts a
// blob a Node client uploaded to a tus media service, by ranges, cross-origin; and refuses the
// same blob altered at the service with a TAMPERED MediaError.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomFillSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startMediaTestServer, type MediaTestServer } from '../_media-test-server.js';
import { uploadMedia, type UploadedMedia } from './upload.js';

const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

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
import { downloadMedia } from '@tacit/sdk';
import { defaultBackend } from '@tacit/crypto';
const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
window.t = {
  backend: () => defaultBackend.name,
  async download(d) {
    const descriptor = { ...d, key: new Uint8Array(d.key), digest: new Uint8Array(d.digest) };
    const parts = [];
    let n = 0;
    try {
      for await (const p of downloadMedia(descriptor, { rangeSize: 1 << 20 })) (parts.push(p), (n += p.length));
    } catch (e) {
      return { error: e.name + ' ' + e.code + ' ' + e.field, got: n };
    }
    const all = new Uint8Array(n);
    let at = 0;
    for (const p of parts) (all.set(p, at), (at += p.length));
    return { sha256: hex(await crypto.subtle.digest('SHA-256', all)), got: n };
  },
};
document.title = 'ready';
</script>`;

function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    const file = path.join(root, path.normalize(url.pathname));
    const allowed = /^\/(libs\/(sdk|crypto|protocol|directory-core)\/dist|node_modules\/@noble)\/[\w@./-]+\.js$|^\/node_modules\/unhomoglyph\/data\.json$/.test(url.pathname);
    if (!allowed || !file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'text/javascript' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('media in the browser build (Chromium)', { timeout: 120_000 }, () => {
  let server: Server;
  let media: MediaTestServer;
  let browser: BrowserContext;
  let tab: Page;
  const profile = mkdtempSync(path.join(tmpdir(), 'tacit-chromium-media-'));

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the chromium Debian package (bash scripts/setup.sh does)`);
    server = await serve();
    media = await startMediaTestServer();
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    tab = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await tab.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'ready', undefined, { timeout: 30_000 }).catch(() => assert.fail(`the page did not load: ${errors.join('; ')}`));
  });
  after(async () => {
    await browser?.close();
    await media?.stop();
    await new Promise((r) => server?.close(r));
    rmSync(profile, { recursive: true, force: true });
  });

  const wire = (u: UploadedMedia) => ({ id: u.id, key: Array.from(u.key), digest: Array.from(u.digest), size: u.size, type: 'image/png', url: u.url });

  it('downloads a Node upload by ranges, on noble, bit-exact; an altered blob is TAMPERED', async () => {
    assert.equal(await tab.evaluate(() => (globalThis as unknown as { t: { backend(): string } }).t.backend()), 'noble');
    const plain = randomFillSync(Buffer.alloc(3 * 1024 * 1024 + 333));
    const up = await uploadMedia(plain, { baseUrl: media.url });
    const call = (d: ReturnType<typeof wire>) => tab.evaluate((x) => (globalThis as unknown as { t: { download(d: unknown): Promise<{ sha256?: string; error?: string; got: number }> } }).t.download(x), d);
    const ok = await call(wire(up));
    assert.equal(ok.sha256, createHash('sha256').update(plain).digest('hex'), JSON.stringify(ok));
    const file = path.join(media.dir, up.id);
    const ct = readFileSync(file);
    ct[2 * 65_552 + 10]! ^= 1;
    writeFileSync(file, ct);
    const bad = await call(wire(up));
    assert.equal(bad.error, 'MediaError TAMPERED chunk');
    assert.equal(bad.got, 2 * 65_536, 'only the two chunks before the altered one came out');
  });
});
