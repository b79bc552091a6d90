// Fuzz target: what a peer or a media service can hand the SDK's media code. The first byte picks:
// even — message content and media descriptors (decodeContent on the rest); odd — a blob's
// ciphertext for a fixed descriptor (MediaDecryptor, the rest split at the second byte). Checks: the
// only errors are MessengerError / MediaError with documented codes; what decodes encodes again to
// the same bytes; the decryptor yields only a prefix of the real plaintext (a verified chunk) and
// accepts the whole only when it is the real ciphertext.
import { nodeBackend } from '@tacit/crypto';
import { MediaDecryptor, MediaEncryptor } from '../media/cipher.js';
import { encodeMediaDescriptor } from '../media/descriptor.js';
import { MediaError } from '../media/errors.js';
import { openSource } from '../media/source.js';
import { decodeContent, encodeContent } from '../messenger/content.js';
import { MessengerError } from '../messenger/errors.js';
import { expect, sameBytes } from './_fuzz.js';

const KEY = new Uint8Array(32).fill(5);
const PLAIN = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) & 0xff | 1);
const enc = new MediaEncryptor(KEY, await openSource(PLAIN), nodeBackend);
const CT = await enc.range(0, enc.layout.ciphertext);
const DIGEST = await enc.digest();

function content(body: Uint8Array): void {
  try {
    const c = decodeContent(body);
    expect(sameBytes(encodeContent(c), body), 'content that decodes does not encode back to its bytes');
  } catch (err) {
    if (err instanceof MessengerError) expect(err.code === 'BAD_CONTENT' || err.code === 'UNSUPPORTED_CONTENT', `MessengerError ${err.code}`);
    else throw err;
  }
}

function blob(body: Uint8Array): void {
  const d = new MediaDecryptor({ key: KEY, digest: DIGEST, size: PLAIN.length }, nodeBackend);
  const cut = body.length > 0 ? Math.min(body[0]! * 300, body.length) : 0;
  // Fuzzed bytes stand in for the start of the stored blob; the real rest follows, as a service would send it.
  const head = body.subarray(1);
  const rest = CT.subarray(Math.min(head.length, CT.length));
  const ct = new Uint8Array(head.length + rest.length);
  ct.set(head);
  ct.set(rest, head.length);
  let out = 0;
  try {
    for (const piece of [ct.subarray(0, cut), ct.subarray(cut)]) {
      for (const p of d.push(piece)) {
        expect(sameBytes(p, PLAIN.subarray(out, out + p.length)), 'the decryptor yielded something that is not the plaintext');
        out += p.length;
      }
    }
    d.finish();
    expect(sameBytes(ct, CT), 'a ciphertext other than the real one was accepted whole');
  } catch (err) {
    if (err instanceof MediaError) expect(err.code === 'TAMPERED', `MediaError ${err.code}`);
    else throw err;
  }
}

export function fuzz(data: Uint8Array): void {
  if (data.length === 0) return;
  if ((data[0]! & 1) === 0) content(data.subarray(1));
  else blob(data.subarray(1));
}

/** A data content, a media content, the real blob and one with a flipped byte. */
export function seeds(): Uint8Array[] {
  const media = encodeMediaDescriptor({ id: 'AAECAwQFBgcICQoLDA0ODxAR', key: KEY, digest: DIGEST, size: PLAIN.length, type: 'image/png', url: 'https://m.example' });
  const flipped = CT.subarray(0, 200).slice();
  flipped[100]! ^= 1;
  return [Uint8Array.of(0, 0, 104, 105), Uint8Array.of(0, 1, ...media), Uint8Array.of(1, 0, ...CT.subarray(0, 300)), Uint8Array.of(1, 3, ...flipped)];
}
