import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodeBackend } from '@tacit/crypto';
import { openBrowserPage, type BrowserPage } from '../_browser-page.js';
import type { PreKeyBundle } from './bundle.js';
import type { CiphertextMessage } from './messages.js';
import { SessionManager } from './session-manager.js';
import { MemoryStore } from './store.js';

// The SDK's browser build in Debian's Chromium (headless, driven by playwright-core): the page
// loads @tacit/sdk with @tacit/crypto resolved to its portable entry (noble, no node:*), keeps
// its identity and sessions in the browser's own IndexedDB, and converses with a Node client on
// node:crypto (the page and its server: ../_browser-page.ts).
const NS = new Uint8Array(32).fill(11);

const script = `
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
`;

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
  let page: BrowserPage;
  before(async () => {
    page = await openBrowserPage(script);
  });
  after(async () => page?.close());

  it('runs on noble without node:*, converses with a Node client both ways, and keeps its sessions in IndexedDB across a reload', async () => {
    const call = <R>(op: string, ...args: unknown[]): Promise<R> => page.call<R>(op, ...args);
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
    await page.load();
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
