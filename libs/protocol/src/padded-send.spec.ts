import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeClientFrame } from './client-frames.js';
import { encodePaddedSend } from './padded-send.js';
import { pad } from './padding.js';

describe(encodePaddedSend.name, () => {
  it('gives the bytes of encodeClientFrame(send) with pad(data), for any header and data', () => {
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
    fc.assert(
      fc.property(
        fc.record({
          hopLimit: fc.integer({ min: 1, max: 16 }),
          destHash: bytes(32),
          mailboxId: bytes(16),
          packetId: bytes(16),
          ttlSeconds: fc.integer({ min: 1, max: 2_592_000 }),
        }),
        fc.uint8Array({ maxLength: 5000 }),
        (header, data) => {
          const sut = encodePaddedSend(header, data);
          const reference = encodeClientFrame({ type: 'send', packet: { version: 1, ...header, payload: pad(data) } });
          assert.deepEqual(sut, reference);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('hands out frames that never share bytes, with zero padding, across many slabs', () => {
    const header = { hopLimit: 8, destHash: new Uint8Array(32), mailboxId: new Uint8Array(16), packetId: new Uint8Array(16), ttlSeconds: 60 };
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const f = encodePaddedSend(header, new Uint8Array(1 + (i % 300)).fill(0xee));
      // Scribbling over the previous frame (the SDK rewrites its type byte for a RESEND) touches only it.
      frames.at(-1)?.fill(0xff);
      frames.push(f);
      const reference = encodeClientFrame({ type: 'send', packet: { version: 1, ...header, payload: pad(new Uint8Array(1 + (i % 300)).fill(0xee)) } });
      assert.deepEqual(f, reference);
    }
  });

  it('names the field it rejects', () => {
    const header = { hopLimit: 8, destHash: new Uint8Array(31), mailboxId: new Uint8Array(16), packetId: new Uint8Array(16), ttlSeconds: 60 };
    assert.throws(() => encodePaddedSend(header, new Uint8Array(1)), /"destHash" expected 32 bytes, got 31/);
    assert.throws(() => encodePaddedSend({ ...header, destHash: new Uint8Array(32), hopLimit: 0 }, new Uint8Array(1)), RangeError);
    assert.throws(() => encodePaddedSend({ ...header, destHash: new Uint8Array(32) }, new Uint8Array(65533)), /"data" expected at most 65532 bytes/);
  });
});
