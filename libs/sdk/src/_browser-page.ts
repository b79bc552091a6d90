/**
 * For specs only (`@tacit/sdk/_browser-page`): Debian's Chromium, headless and driven by
 * playwright-core, on a page that loads the SDK's browser build through an import map —
 * `@tacit/crypto` resolved to its portable entry (noble, no node:*) — from a server on 127.0.0.1
 * that serves nothing but what the page imports. The SDK's session and media browser specs and the
 * node's browser messenger spec run their pages on it. Chromium comes from the `chromium` Debian
 * package (scripts/lib/pins.sh).
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium. */
export const CHROMIUM = '/usr/bin/chromium';
const _ROOT = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** The SDK's browser build and its dependencies as a page imports them. */
export const SDK_IMPORT_MAP = {
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
} as const;

// Only what the page imports is served: the four libraries' builds, the noble packages and Unicode's confusables (unhomoglyph).
const _SERVED = /^\/(libs\/(sdk|crypto|protocol|directory-core)\/dist|node_modules\/@noble)\/[\w@./-]+\.js$|^\/node_modules\/unhomoglyph\/data\.json$/;

/** A page in Chromium. */
export interface BrowserPage {
  readonly tab: Page;
  readonly browser: BrowserContext;
  /** Where the page is served. */
  readonly url: string;
  /** Calls `window.t[op](...args)` in the page; arguments and results cross as JSON. */
  call<R>(op: string, ...args: unknown[]): Promise<R>;
  /** (Re)loads the page and waits for its script to set `document.title = 'ready'`. */
  load(): Promise<void>;
  /** Closes the browser and the server and removes the profile. */
  close(): Promise<void>;
}

function _serve(html: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    const file = path.join(_ROOT, path.normalize(url.pathname));
    if (!_SERVED.test(url.pathname) || !file.startsWith(_ROOT) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'text/javascript' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Opens Chromium, with a new empty profile, on a page whose module script is `script` (which sets
 * `window.t` and then `document.title = 'ready'`), and waits for it to be ready; a page that does not
 * load fails with the page's errors.
 */
export async function openBrowserPage(script: string): Promise<BrowserPage> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install the chromium Debian package (bash scripts/setup.sh does)`);
  const html = `<!doctype html><meta charset="utf-8"><title>tacit</title>
<script type="importmap">${JSON.stringify(SDK_IMPORT_MAP)}</script>
<script type="module">${script}</script>`;
  const server = await _serve(html);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const profile = mkdtempSync(path.join(tmpdir(), 'tacit-chromium-'));
  let browser: BrowserContext | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await new Promise((r) => server.close(r));
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    // This machine's browser flags: no sandbox as root, no network beyond the page.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const tab = browser.pages()[0] ?? (await browser.newPage());
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    const load = async (): Promise<void> => {
      await tab.goto(url);
      const ready = () => (globalThis as unknown as { document: { title: string } }).document.title === 'ready';
      await tab.waitForFunction(ready, undefined, { timeout: 30_000 }).catch(() => {
        throw new Error(`the page did not load: ${errors.join('; ')}`);
      });
    };
    await load();
    const call = <R>(op: string, ...args: unknown[]): Promise<R> =>
      tab.evaluate(([o, a]) => (globalThis as unknown as { t: Record<string, (...x: unknown[]) => unknown> }).t[o as string]!(...(a as unknown[])), [op, args] as const) as Promise<R>;
    return { tab, browser, url, call, load, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
