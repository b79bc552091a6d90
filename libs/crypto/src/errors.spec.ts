import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _h, _thrown, _toHex } from './_vectors.js';
import { blake3, blake3DeriveKey, blake3Keyed } from './blake3.js';
import { CryptoError, CryptoRangeError, CryptoTypeError, type CryptoErrorCode } from './errors.js';

// A recognisable "secret": if any of its encodings shows up in an error, the test fails.
const SECRET = Uint8Array.from({ length: 33 }, (_, i) => 0xa0 + (i % 16));
const leaks = (text: string) =>
  [_toHex(SECRET).slice(0, 16), Buffer.from(SECRET).toString('base64').slice(0, 12), Array.from(SECRET.subarray(0, 4)).join(',')].some(
    (enc) => text.toLowerCase().includes(enc.toLowerCase()),
  );

// Every message in the cause chain, plus own enumerable properties, as text.
function _fullText(err: unknown): string {
  const out: string[] = [];
  for (let e: unknown = err, i = 0; e instanceof Error && i < 8; e = e.cause, i++) out.push(e.message, JSON.stringify({ ...e }));
  return out.join('\n');
}

function expectError(
  fn: () => unknown,
  want: { cls: typeof CryptoError | typeof CryptoRangeError | typeof CryptoTypeError; code: CryptoErrorCode; field: string; message?: string },
): void {
  const err = _thrown(fn);
  assert.ok(err instanceof want.cls, `expected ${want.cls.name}, got ${String(err)}`);
  assert.ok(err instanceof CryptoError, 'every error of the package is instanceof CryptoError');
  const e = err as CryptoError;
  assert.equal(e.code, want.code);
  assert.equal(e.field, want.field);
  if (want.message !== undefined) assert.equal(e.message, want.message);
  assert.ok(!leaks(_fullText(e)), `secret bytes in error: ${e.message}`);
}

const len = (field: string, expected: number | string, got: number) => ({
  cls: CryptoRangeError,
  code: 'BAD_LENGTH' as const,
  field,
  message: `"${field}" expected ${expected} bytes, got ${got}`,
});

describe(CryptoError.name, () => {
  it('one instanceof check catches all three classes, which keep their built-in bases', () => {
    const e1 = new CryptoError('AUTH_FAILED', 'tag', 'x');
    const e2 = new CryptoRangeError('BAD_LENGTH', 'key', 'x');
    const e3 = new CryptoTypeError('key', 'x');
    for (const e of [e1, e2, e3]) assert.ok(e instanceof CryptoError);
    assert.ok(e2 instanceof RangeError && !(e2 instanceof TypeError));
    assert.ok(e3 instanceof TypeError);
    assert.ok(!(new RangeError('x') instanceof CryptoError));
    assert.ok(!((null as unknown) instanceof CryptoError));
    assert.deepEqual([e1.name, e2.name, e3.name], ['CryptoError', 'CryptoRangeError', 'CryptoTypeError']);
    assert.equal(e3.code, 'BAD_TYPE');
  });

  it('keeps the cause', () => {
    const cause = new Error('inner');
    assert.equal(new CryptoError('INVALID_KEY', 'publicKey', 'x', { cause }).cause, cause);
  });
});

describe('input checks', () => {
  const k31 = SECRET.subarray(0, 31);
  const k33 = SECRET;

  for (const sut of _backends) {
    describe(sut.name, () => {
      it('X25519: key lengths and types', () => {
        expectError(() => sut.x25519.getPublicKey(k31), len('secretKey', 32, 31));
        expectError(() => sut.x25519.getSharedSecret(k33, new Uint8Array(32)), len('secretKey', 32, 33));
        expectError(() => sut.x25519.getSharedSecret(new Uint8Array(32), k31), len('publicKey', 32, 31));
        expectError(() => sut.x25519.ephemeral(k33), len('publicKey', 32, 33));
        expectError(() => sut.x25519.getPublicKey('00'.repeat(32) as never), {
          cls: CryptoTypeError,
          code: 'BAD_TYPE',
          field: 'secretKey',
          message: '"secretKey" expected Uint8Array, got string',
        });
        expectError(() => sut.x25519.getPublicKey(Array.from(SECRET.subarray(0, 32)) as never), {
          cls: CryptoTypeError,
          code: 'BAD_TYPE',
          field: 'secretKey',
          message: '"secretKey" expected Uint8Array, got Array',
        });
      });

      it('X25519: every low-order point is refused, with no secret in the error', () => {
        const sk = SECRET.subarray(0, 32);
        const p = 2n ** 255n - 19n;
        const le = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
        const order8 = [
          _h('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
          _h('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'),
        ];
        const lowOrder = [le(0n), le(1n), le(p - 1n), le(p), le(p + 1n), ...order8];
        for (const pk of lowOrder)
          expectError(() => sut.x25519.getSharedSecret(sk, pk), {
            cls: CryptoError,
            code: 'LOW_ORDER_POINT',
            field: 'publicKey',
          });
        for (const pk of lowOrder)
          expectError(() => sut.x25519.ephemeral(pk), { cls: CryptoError, code: 'LOW_ORDER_POINT', field: 'publicKey' });
      });

      it('Ed25519: wrong lengths throw, a bad signature is false', () => {
        const kp = sut.ed25519.keygen();
        const msg = new Uint8Array(10);
        const sig = sut.ed25519.sign(kp.secretKey, msg);
        expectError(() => sut.ed25519.sign(k31, msg), len('secretKey', 32, 31));
        expectError(() => sut.ed25519.verify(kp.publicKey, msg, sig.subarray(0, 63)), len('signature', 64, 63));
        expectError(() => sut.ed25519.verify(k33, msg, sig), len('publicKey', 32, 33));
        expectError(() => sut.ed25519.verify(kp.publicKey, 'hi' as never, sig), {
          cls: CryptoTypeError,
          code: 'BAD_TYPE',
          field: 'message',
        });
        const bad = sig.slice();
        bad[5]! ^= 1;
        assert.equal(sut.ed25519.verify(kp.publicKey, msg, bad), false);
        // 0xff..7f is not a valid point encoding: false, not an exception.
        assert.equal(sut.ed25519.verify(new Uint8Array(32).fill(0xff).fill(0x7f, 31), msg, sig), false);
      });

      it('AES-256-GCM: key, nonce and short ciphertext lengths; bad tag', () => {
        const key = SECRET.subarray(0, 32);
        const nonce = new Uint8Array(12);
        expectError(() => sut.aes256gcm.encrypt(k31, nonce, new Uint8Array(1)), len('key', 32, 31));
        expectError(() => sut.aes256gcm.encrypt(key, new Uint8Array(16), new Uint8Array(1)), len('nonce', 12, 16));
        expectError(() => sut.aes256gcm.decrypt(key, nonce, new Uint8Array(15)), len('ciphertext', 'at least 16', 15));
        expectError(() => sut.aes256gcm.encrypt(key, nonce, new Uint8Array(1), 'aad' as never), {
          cls: CryptoTypeError,
          code: 'BAD_TYPE',
          field: 'aad',
        });
        const plaintext = SECRET.subarray(0, 20);
        const ct = sut.aes256gcm.encrypt(key, nonce, plaintext);
        ct[ct.length - 1]! ^= 0x80;
        expectError(() => sut.aes256gcm.decrypt(key, nonce, ct), {
          cls: CryptoError,
          code: 'AUTH_FAILED',
          field: 'tag',
          message: '"tag" does not authenticate the ciphertext',
        });
      });

      it('HKDF and HMAC: limits', () => {
        const e = new Uint8Array(0);
        expectError(() => sut.hkdfSha256(SECRET, e, e, 0), {
          cls: CryptoRangeError,
          code: 'BAD_VALUE',
          field: 'length',
          message: '"length" expected 1..8160, got 0',
        });
        expectError(() => sut.hkdfSha256(SECRET, e, e, 8161), { cls: CryptoRangeError, code: 'BAD_VALUE', field: 'length' });
        expectError(() => sut.hkdfSha256(SECRET, e, e, 1.5), { cls: CryptoTypeError, code: 'BAD_TYPE', field: 'length' });
        expectError(() => sut.hkdfSha256(SECRET, e, new Uint8Array(1025), 32), len('info', 'at most 1024', 1025));
        assert.equal(sut.hkdfSha256(SECRET, e, new Uint8Array(1024), 32).length, 32);
        expectError(() => sut.hmacSha256Verify(SECRET, e, new Uint8Array(16)), len('tag', 32, 16));
        expectError(() => sut.hmacSha256(null as never, e), { cls: CryptoTypeError, code: 'BAD_TYPE', field: 'key' });
      });

      it('ML-KEM: lengths and the FIPS 203 modulus check on encapsulation keys', () => {
        for (const kem of [sut.mlkem768, sut.mlkem1024]) {
          expectError(() => kem.keygen(SECRET), len('seed', 64, 33));
          const kp = kem.keygen();
          expectError(() => kem.decapsulate(kp.secretKey, new Uint8Array(kem.lengths.ciphertext - 1)), len('ciphertext', kem.lengths.ciphertext, kem.lengths.ciphertext - 1));
          expectError(() => kem.decapsulate(k33, new Uint8Array(kem.lengths.ciphertext)), len('secretKey', 64, 33));
          expectError(() => kem.encapsulate(kp.publicKey.subarray(1)), len('publicKey', kem.lengths.publicKey, kem.lengths.publicKey - 1));
          // Coefficient i of t sits in bytes 3i/2..; make the last one 4095 (>= q = 3329).
          for (const at of [0, 384 * (kem.name === 'ML-KEM-768' ? 3 : 4) - 3]) {
            const pk = kp.publicKey.slice();
            pk[at] = 0xff;
            pk[at + 1]! |= 0x0f;
            expectError(() => kem.encapsulate(pk), {
              cls: CryptoError,
              code: 'INVALID_KEY',
              field: 'publicKey',
              message: '"publicKey" has a coefficient not below q=3329 (FIPS 203 modulus check)',
            });
          }
          // 3328 = q - 1 is the largest allowed coefficient.
          const edge = kp.publicKey.slice();
          edge[0] = 3328 & 0xff;
          edge[1] = (edge[1]! & 0xf0) | (3328 >> 8);
          assert.equal(kem.encapsulate(edge).sharedSecret.length, 32);
        }
      });

      it('randomBytes: bounded count', () => {
        assert.equal(sut.randomBytes(0).length, 0);
        expectError(() => sut.randomBytes(65537), { cls: CryptoRangeError, code: 'BAD_VALUE', field: 'n' });
      });
    });
  }

  it('BLAKE3: key length, output length, context type', () => {
    expectError(() => blake3Keyed(SECRET, new Uint8Array(0)), len('key', 32, 33));
    expectError(() => blake3(new Uint8Array(0), 0), { cls: CryptoRangeError, code: 'BAD_VALUE', field: 'dkLen', message: '"dkLen" expected 1..65536, got 0' });
    expectError(() => blake3(new Uint8Array(0), 65537), { cls: CryptoRangeError, code: 'BAD_VALUE', field: 'dkLen' });
    expectError(() => blake3('abc' as never), { cls: CryptoTypeError, code: 'BAD_TYPE', field: 'data' });
    expectError(() => blake3DeriveKey(SECRET as never, SECRET), { cls: CryptoTypeError, code: 'BAD_TYPE', field: 'context' });
    assert.equal(blake3(new Uint8Array(0), 65536).length, 65536);
  });
});
