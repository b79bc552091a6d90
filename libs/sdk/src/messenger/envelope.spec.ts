// The envelope fills the bucket the plaintext's padding chose, for Whisper and PreKey messages alike,
// so the relay learns a bucket and nothing else; and it opens to exactly what was sealed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeBackend } from '@tacit/crypto';
import { bucketFor, pad, SIZE_BUCKETS } from '@tacit/protocol';
import { MemoryStore } from '../session/store.js';
import { SessionManager } from '../session/session-manager.js';
import { ENVELOPE_AAD, MAX_MESSAGE_BYTES, parseEnvelope, PREKEY_OVERHEAD, sealEnvelope, WHISPER_OVERHEAD } from './envelope.js';
import { MessengerError } from './errors.js';

const ns = new Uint8Array(32).fill(9);

describe('envelopes', () => {
  it('fill the bucket pad() chose, exactly, for every size and both message types; the box opens to what was sealed', async () => {
    const [a, b] = await Promise.all([SessionManager.open({ store: new MemoryStore(), namespaceId: ns }), SessionManager.open({ store: new MemoryStore(), namespaceId: ns })]);
    await a.startSession('b', await b.bundle({ oneTime: true }));
    const sizes = [0, 1, 15, 16, 90, 200, 1000, 4000, 16_000, 40_000, MAX_MESSAGE_BYTES];
    for (const starting of [true, false]) {
      for (const n of sizes) {
        const data = nodeBackend.randomBytes(Math.min(n, 65536)).subarray(0, n);
        const padded = pad(data, starting ? PREKEY_OVERHEAD : WHISPER_OVERHEAD);
        const bucket = padded.length + (starting ? PREKEY_OVERHEAD : WHISPER_OVERHEAD);
        assert.ok(SIZE_BUCKETS.includes(bucket));
        const ct = await a.encrypt('b', padded);
        assert.equal(ct.type, starting ? 3 : 2);
        const box = sealEnvelope(nodeBackend, b.identityKey, { kind: ct.type as 2 | 3, sender: new Uint8Array(32).fill(1), identityKey: a.identityKey, binding: new Uint8Array(64).fill(2), message: ct.body });
        assert.equal(4 + box.length, bucket, `${starting ? 'PreKey' : 'Whisper'} message of ${n} bytes: the packet is its bucket`);
        const env = parseEnvelope(b.openSealed(box, ENVELOPE_AAD));
        assert.deepEqual(env.message, ct.body);
        assert.equal(env.kind, ct.type);
        await b.decrypt('a', ct);
      }
      if (starting) {
        // Bob answers: Alice's next messages are Whisper messages.
        await b.encrypt('a', new Uint8Array(1)).then((m) => a.decrypt('b', m));
      }
    }
  });

  it('refuses a box for someone else, a bit flipped, and a non-zero fill', async () => {
    const [a, b] = await Promise.all([SessionManager.open({ store: new MemoryStore(), namespaceId: ns }), SessionManager.open({ store: new MemoryStore(), namespaceId: ns })]);
    const box = sealEnvelope(nodeBackend, b.identityKey, { kind: 2, sender: new Uint8Array(32), message: new Uint8Array(10) });
    assert.throws(() => a.openSealed(box, ENVELOPE_AAD), /authenticate/);
    const flipped = box.slice();
    flipped[100]! ^= 1;
    assert.throws(() => b.openSealed(flipped, ENVELOPE_AAD), /authenticate/);
    const inner = b.openSealed(box, ENVELOPE_AAD);
    inner[inner.length - 1] = 1;
    assert.throws(() => parseEnvelope(inner), (e: unknown) => e instanceof MessengerError && e.code === 'BAD_ENVELOPE' && e.field === 'padding');
    assert.equal(bucketFor(4 + box.length), 4 + box.length);
  });
});
