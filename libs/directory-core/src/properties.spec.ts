// Property tests: any string a user can type gets a normal form or a DirectoryError, never anything
// else; normal forms are fixed points with the skeleton they were given; any bytes handed to the
// grant and record decoders are refused with a DirectoryError. Runs are bounded (low seconds).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { x25519 } from '@tacit/crypto';
import { DirectoryError } from './errors.js';
import { normalizeHandle, skeleton } from './handle.js';
import { deriveHandleKeys } from './kdf.js';
import { decodeGrant, encodeGrant, GRANT_LENGTH } from './proofs.js';
import { deriveControlKey, openRecord, sealRecord } from './record.js';

const RUNS = { numRuns: 2000 };

// Strings mixing ASCII, Latin-1, Greek, Cyrillic, CJK, combining marks, invisibles and emoji.
const char = fc.oneof(
  fc.constantFrom(...'abcxyz019_@.- ẞßσς'),
  fc.integer({ min: 0x20, max: 0x2ff }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0x300, max: 0x36f }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0x370, max: 0x4ff }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0x3040, max: 0x30ff }).map((c) => String.fromCodePoint(c)),
  fc.constantFrom('\u200b', '\u200d', '\u00ad', '\u202e', '\ufeff', '\ud800', '😀', '東', '한', 'ｆ', 'ﬀ'),
);
const typed = fc.array(char, { maxLength: 40 }).map((a) => a.join(''));
// Mostly acceptable: one alphabet's letters (cased), digits and "_", a combining mark now and then.
const alphabet = fc.constantFrom('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZß', 'αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔ', 'абвгдежзийклмнопрстуфхцчшщыэюяАБВГ', 'あいうえおかきくけこアイウエオ東京日本ー', '가나다라마바사아자차');
const plausible = fc
  .tuple(alphabet, fc.array(fc.nat(), { minLength: 3, maxLength: 20 }), fc.array(fc.constantFrom('', '', '', '', '_', '7', '\u0301', '\u0308'), { minLength: 20, maxLength: 20 }))
  .map(([abc, picks, extras]) => picks.map((p, i) => [...abc][p % [...abc].length]! + (i > 0 ? extras[i]! : '')).join(''));
const inputs = fc.oneof(typed, plausible);

describe('handle properties', () => {
  it('every input gets a normal form or a DirectoryError naming the handle', () => {
    fc.assert(
      fc.property(inputs, (s) => {
        try {
          const n = normalizeHandle(s);
          assert.ok([...n.handle].length >= 3 && [...n.handle].length <= 32);
        } catch (e) {
          assert.ok(e instanceof DirectoryError, `not a DirectoryError for ${JSON.stringify(s)}: ${String(e)}`);
          assert.equal(e.field, 'handle');
        }
      }),
      RUNS,
    );
  });

  it('a normal form is accepted again as itself, with the same skeleton', () => {
    let accepted = 0;
    fc.assert(
      fc.property(inputs, (s) => {
        let n;
        try {
          n = normalizeHandle(s);
        } catch {
          return;
        }
        accepted++;
        const again = normalizeHandle(n.handle);
        assert.equal(again.handle, n.handle);
        assert.equal(again.skeleton, n.skeleton);
        assert.equal(n.skeleton, skeleton(n.handle));
      }),
      RUNS,
    );
    assert.ok(accepted > RUNS.numRuns / 10, `only ${accepted} of ${RUNS.numRuns} inputs were handles: the property says little`);
  });
});

describe('decoder properties', () => {
  const keys = deriveHandleKeys(new Uint8Array(32), 'alice');
  const identity = x25519.keygen();
  const sealed = sealRecord({ keys, policy: 'signed', identity, controlKey: deriveControlKey(identity.secretKey, keys.lookupKey).publicKey, invite: new Uint8Array(10) });

  it('decodeGrant refuses any bytes it cannot decode with a DirectoryError, and round-trips what it can', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: GRANT_LENGTH, maxLength: GRANT_LENGTH })), (b) => {
        try {
          assert.deepEqual(encodeGrant(decodeGrant(b)), b);
        } catch (e) {
          assert.ok(e instanceof DirectoryError, String(e));
          assert.equal(e.code, 'MALFORMED');
        }
      }),
      RUNS,
    );
  });

  it('openRecord refuses any altered record with a DirectoryError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sealed.ciphertext.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = sealed.ciphertext.slice();
        bad[i]! ^= x;
        assert.throws(() => openRecord(keys, 'signed', bad), (e: unknown) => e instanceof DirectoryError && (e.code === 'BAD_RECORD' || e.code === 'MALFORMED'));
      }),
      { numRuns: 300 },
    );
  });
});
