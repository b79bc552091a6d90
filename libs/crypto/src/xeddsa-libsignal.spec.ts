import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrivateKey } from '@signalapp/libsignal-client';
import { _backends } from './_vectors.js';

// libsignal (devDependency, tests only) as the other side: it verifies our XEdDSA signatures and
// we verify its own, for both backends. Messages include the empty one and serialized keys.
const RUNS = 40;

describe('XEdDSA against libsignal', () => {
  for (const sut of _backends) {
    it(`${sut.name}: libsignal verifies ours; we verify libsignal's; neither accepts the other's tampered ones`, () => {
      for (let i = 0; i < RUNS; i++) {
        const key = PrivateKey.generate();
        const secret = key.serialize();
        const pub = key.getPublicKey();
        assert.deepEqual(sut.x25519.getPublicKey(secret), pub.getPublicKeyBytes());
        // libsignal's typings take Uint8Array<ArrayBuffer>: a copy is one.
        const msg = new Uint8Array(i === 0 ? new Uint8Array(0) : i === 1 ? pub.serialize() : sut.randomBytes(1 + i * 11));

        const ours = new Uint8Array(sut.xeddsa.sign(secret, msg));
        assert.equal(pub.verify(msg, ours), true, `libsignal rejected our signature ${i}`);
        const theirs = key.sign(msg);
        assert.equal(sut.xeddsa.verify(pub.getPublicKeyBytes(), msg, theirs), true, `we rejected libsignal's ${i}`);

        const badOurs = ours.slice();
        badOurs[i % 64]! ^= 0x10;
        assert.equal(pub.verify(msg, badOurs), false);
        const badTheirs = theirs.slice();
        badTheirs[(i * 7) % 64]! ^= 0x10;
        assert.equal(sut.xeddsa.verify(pub.getPublicKeyBytes(), msg, badTheirs), false);
      }
    });
  }
});
