// The media descriptor's binary form: a round trip, the exact layout, and each malformed input a
// MediaError MALFORMED naming its field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMediaDescriptor, decodeMediaDescriptor, encodeMediaDescriptor, type MediaDescriptor } from './descriptor.js';
import { MediaError } from './errors.js';
import { mediaBase } from './http.js';

const d: MediaDescriptor = {
  id: 'AAECAwQFBgcICQoLDA0ODxAR',
  key: new Uint8Array(32).fill(1),
  digest: new Uint8Array(32).fill(2),
  size: 2 ** 33 + 5,
  type: 'image/jpeg',
  url: 'https://media.example:8082',
};

const malformed = (field: string) => (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED' && e.field === field;

describe('media descriptor', () => {
  it('round trips, with and without a URL; the layout is version, key, digest, u64 size, id, type, url', () => {
    const b = encodeMediaDescriptor(d);
    assert.deepEqual(decodeMediaDescriptor(b), d);
    assert.equal(b[0], 1);
    assert.deepEqual(b.subarray(1, 33), d.key);
    assert.deepEqual(b.subarray(65, 73), Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 5));
    assert.equal(b[73], 24);
    const noUrl = { ...d, url: undefined };
    const b2 = encodeMediaDescriptor(noUrl);
    assert.equal(b2.length, b.length - d.url!.length);
    assert.deepEqual(decodeMediaDescriptor(b2), noUrl);
  });

  it('refuses malformed bytes, each with its field', () => {
    const b = encodeMediaDescriptor(d);
    const at = (i: number, v: number) => {
      const c = b.slice();
      c[i] = v;
      return c;
    };
    assert.throws(() => decodeMediaDescriptor(new Uint8Array(0)), malformed('descriptor'));
    assert.throws(() => decodeMediaDescriptor(at(0, 2)), malformed('descriptor.version'));
    assert.throws(() => decodeMediaDescriptor(b.subarray(0, 60)), malformed('descriptor'));
    assert.throws(() => decodeMediaDescriptor(b.subarray(0, b.length - 1)), malformed('descriptor.url'));
    assert.throws(() => decodeMediaDescriptor(Uint8Array.from([...b, 0])), malformed('descriptor'));
    assert.throws(() => decodeMediaDescriptor(at(74, 0x2b)), malformed('descriptor.id'));
    assert.throws(() => decodeMediaDescriptor(at(73, 10)), (e: unknown) => e instanceof MediaError && e.code === 'MALFORMED');
    assert.throws(() => decodeMediaDescriptor(at(65, 0xff)), malformed('descriptor.size'));
    assert.throws(() => decodeMediaDescriptor(at(74 + 24 + 1, 0x0a)), malformed('descriptor.type'));
    assert.throws(() => decodeMediaDescriptor('x' as unknown as Uint8Array), malformed('descriptor'));
  });

  it('refuses bad fields before encoding', () => {
    const bad: [Partial<MediaDescriptor>, string][] = [
      [{ id: 'short' }, 'descriptor.id'],
      [{ id: 'AAECAwQFBgcICQoLDA0ODxAR/' }, 'descriptor.id'],
      [{ key: new Uint8Array(31) }, 'descriptor.key'],
      [{ digest: new Uint8Array(33) }, 'descriptor.digest'],
      [{ size: -1 }, 'descriptor.size'],
      [{ size: 2 ** 41 }, 'descriptor.size'],
      [{ type: 'jpeg' }, 'descriptor.type'],
      [{ type: 'image/jpeg\n' }, 'descriptor.type'],
      [{ url: 'ftp://media.example' }, 'descriptor.url'],
      [{ url: 'https://user:pw@media.example' }, 'descriptor.url'],
      [{ url: 'https://media.example/?token=1' }, 'descriptor.url'],
      [{ url: 'not a url' }, 'descriptor.url'],
    ];
    for (const [patch, field] of bad) assert.throws(() => encodeMediaDescriptor({ ...d, ...patch }), malformed(field), field);
    assert.doesNotThrow(() => checkMediaDescriptor({ ...d, type: 'application/vnd.example+json; charset=utf-8' }));
  });

  it('plain http only to loopback unless allowInsecure', () => {
    assert.equal(mediaBase('http://127.0.0.1:8082/'), 'http://127.0.0.1:8082');
    assert.equal(mediaBase('https://media.example'), 'https://media.example');
    assert.throws(() => mediaBase('http://media.example:8082'), malformed('baseUrl'));
    assert.equal(mediaBase('http://media.example:8082', true), 'http://media.example:8082');
  });
});
