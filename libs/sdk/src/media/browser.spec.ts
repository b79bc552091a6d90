// The SDK's browser build (noble, no node:*) in Debian's Chromium downloads, verifies and decrypts a
// blob a Node client uploaded to a tus media service, by ranges, cross-origin; and refuses the
// same blob altered at the service with a TAMPERED MediaError.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomFillSync } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBrowserPage, type BrowserPage } from '../_browser-page.js';
import { startMediaTestServer, type MediaTestServer } from '../_media-test-server.js';
import { uploadMedia, type UploadedMedia } from './upload.js';

const script = `
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
`;

describe('media in the browser build (Chromium)', { timeout: 120_000 }, () => {
  let media: MediaTestServer;
  let page: BrowserPage;

  before(async () => {
    media = await startMediaTestServer();
    page = await openBrowserPage(script);
  });
  after(async () => {
    await page?.close();
    await media?.stop();
  });

  const wire = (u: UploadedMedia) => ({ id: u.id, key: Array.from(u.key), digest: Array.from(u.digest), size: u.size, type: 'image/png', url: u.url });

  it('downloads a Node upload by ranges, on noble, bit-exact; an altered blob is TAMPERED', async () => {
    assert.equal(await page.call('backend'), 'noble');
    const plain = randomFillSync(Buffer.alloc(3 * 1024 * 1024 + 333));
    const up = await uploadMedia(plain, { baseUrl: media.url });
    const call = (d: ReturnType<typeof wire>) => page.call<{ sha256?: string; error?: string; got: number }>('download', d);
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
