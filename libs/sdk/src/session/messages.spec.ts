import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeBackend } from '@tacit/crypto';
import { decodeBundle, encodeBundle } from './bundle.js';
import { SessionError } from './errors.js';
import { _decodePreKeySignalMessage, _decodeSignalMessage, _encodePreKeySignalMessage, _encodeSignalMessage } from './messages.js';
import { _decodeProto } from './proto.js';
import { SessionManager } from './session-manager.js';
import { MemoryStore } from './store.js';

const key = (n: number) => new Uint8Array(32).fill(n);

describe('wire messages', () => {
  it('a SignalMessage round-trips; its first byte is 0x44 and its last 8 bytes the MAC', () => {
    const body = _encodeSignalMessage(nodeBackend, { ratchetKey: key(1), counter: 300, previousCounter: 7, ciphertext: key(2) }, key(3), key(4), key(5));
    assert.equal(body[0], 0x44);
    const m = _decodeSignalMessage(body);
    assert.deepEqual(m.ratchetKey, key(1));
    assert.equal(m.counter, 300);
    assert.equal(m.previousCounter, 7);
    assert.deepEqual(m.ciphertext, key(2));
    assert.deepEqual(m.mac, body.subarray(body.length - 8));
    assert.deepEqual(m.macInput, body.subarray(0, body.length - 8));
  });

  it('a PreKeySignalMessage round-trips; unknown fields (SPQR 5, addresses 6) are skipped', () => {
    const inner = _encodeSignalMessage(nodeBackend, { ratchetKey: key(1), counter: 0, previousCounter: 0, ciphertext: key(2) }, key(3), key(4), key(5));
    const kem = new Uint8Array(1569).fill(9);
    kem[0] = 0x08;
    const body = _encodePreKeySignalMessage({ registrationId: 77, preKeyId: undefined, signedPreKeyId: 5, kyberPreKeyId: 6, kyberCiphertext: kem, baseKey: key(7), identityKey: key(8), message: inner });
    const m = _decodePreKeySignalMessage(body);
    assert.equal(m.preKeyId, undefined);
    assert.equal(m.registrationId, 77);
    assert.equal(m.kyberType, 'kyber1024');
    assert.deepEqual(m.message.ratchetKey, key(1));
    // An extra length-delimited field 5 inside the SignalMessage, as libsignal's SPQR adds it.
    const withPq = new Uint8Array([...inner.subarray(0, inner.length - 8), 0x2a, 2, 0xaa, 0xbb, ...inner.subarray(inner.length - 8)]);
    assert.deepEqual(_decodeSignalMessage(withPq).ciphertext, key(2));
  });

  it('malformed protobuf is refused field by field', () => {
    for (const [bytes, why] of [
      [[0x0a, 5, 1, 2], /runs past the end/],
      [[0x08], /truncated varint/],
      [[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], /longer than 10 bytes/],
      [[0x0b], /wire type 3/],
      [[0x00, 0x01], /field number 0/],
    ] as const) {
      assert.throws(() => _decodeProto(new Uint8Array(bytes), 'x'), (e: unknown) => e instanceof SessionError && e.code === 'MALFORMED' && why.test(e.message));
    }
    const noCounter = new Uint8Array([0x44, 0x0a, 33, 5, ...key(1), 0x22, 0, ...new Uint8Array(8)]);
    assert.throws(() => _decodeSignalMessage(noCounter), (e: unknown) => e instanceof SessionError && e.field === 'message.counter');
    const bigCounter = new Uint8Array([0x44, 0x10, 0x80, 0x80, 0x80, 0x80, 0x10, ...new Uint8Array(8)]);
    assert.throws(() => _decodeSignalMessage(bigCounter), /exceeds uint32/);
  });

  it('a bundle round-trips through encodeBundle/decodeBundle; missing fields are MALFORMED', async () => {
    const sut = await SessionManager.open({ store: new MemoryStore(), namespaceId: key(1) });
    await sut.generatePreKeys(1, 1);
    const b = await sut.bundle({ oneTime: true });
    assert.deepEqual(decodeBundle(encodeBundle(b)), b);
    const noPre = await sut.bundle();
    assert.deepEqual(decodeBundle(encodeBundle(noPre)), { ...noPre, preKey: undefined });
    assert.throws(() => decodeBundle(new Uint8Array([0x08, 1])), (e: unknown) => e instanceof SessionError && e.field === 'bundle.deviceId');
  });
});
