// Message content kinds: data and media round trip; an unknown kind, an empty content and a media
// body that does not decode are typed MessengerErrors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeMediaDescriptor, type MediaDescriptor } from '../media/descriptor.js';
import { CONTENT_DATA, CONTENT_MEDIA, decodeContent, encodeContent } from './content.js';
import { MessengerError } from './errors.js';

const media: MediaDescriptor = { id: 'AAECAwQFBgcICQoLDA0ODxAR', key: new Uint8Array(32).fill(3), digest: new Uint8Array(32).fill(4), size: 12345, type: 'image/png', url: 'https://m.example' };
const code = (c: string, field?: string) => (e: unknown) => e instanceof MessengerError && e.code === c && (field === undefined || e.field === field);

describe('message content', () => {
  it('data and media round trip behind their kind byte', () => {
    const d = encodeContent({ kind: 'data', data: Uint8Array.of(1, 2, 3) });
    assert.deepEqual(d, Uint8Array.of(CONTENT_DATA, 1, 2, 3));
    assert.deepEqual(decodeContent(d), { kind: 'data', data: Uint8Array.of(1, 2, 3) });
    assert.deepEqual(decodeContent(Uint8Array.of(CONTENT_DATA)), { kind: 'data', data: new Uint8Array(0) });
    const m = encodeContent({ kind: 'media', media });
    assert.equal(m[0], CONTENT_MEDIA);
    assert.deepEqual(m.subarray(1), encodeMediaDescriptor(media));
    assert.deepEqual(decodeContent(m), { kind: 'media', media });
  });

  it('refuses an empty content, an unknown kind and a media body that does not decode', () => {
    assert.throws(() => decodeContent(new Uint8Array(0)), code('BAD_CONTENT', 'content'));
    assert.throws(() => decodeContent(Uint8Array.of(2, 0)), code('UNSUPPORTED_CONTENT', 'contentKind'));
    assert.throws(() => decodeContent(Uint8Array.of(0x6f, 0x6e)), code('UNSUPPORTED_CONTENT'));
    const m = encodeContent({ kind: 'media', media });
    assert.throws(() => decodeContent(m.subarray(0, m.length - 1)), code('BAD_CONTENT'));
    const v = m.slice();
    v[1] = 9;
    assert.throws(() => decodeContent(v), code('BAD_CONTENT', 'descriptor.version'));
  });
});
