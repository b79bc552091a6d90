import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blake3, blake3DeriveKey, x25519, xeddsa } from '@tacit/crypto';
import { MAX_PREKEY_BUNDLE_BYTES, MAX_PREKEY_UPLOAD_BYTES, MAX_UPLOAD_KYBER_PREKEYS, MAX_UPLOAD_PREKEYS } from './constants.js';
import { decodePrekeyErrorBody, encodePrekeyErrorBody, PrekeyError } from './prekey-errors.js';
import {
  decodePrekeyBundle,
  decodePrekeyFetch,
  decodePrekeyUpload,
  decodePrekeyUploadReply,
  encodePrekeyBundle,
  encodePrekeyFetch,
  encodePrekeyUpload,
  encodePrekeyUploadReply,
  prekeyAddress,
  prekeyAddressOf,
  prekeyTag,
  prekeyUploadProofMessage,
  type PrekeyUpload,
} from './prekeys.js';

const curve = (b: number) => Uint8Array.of(0x05, ...new Uint8Array(32).fill(b));
const kem = (b: number) => Uint8Array.of(0x0a, ...new Uint8Array(1568).fill(b));
const sig = (b: number) => new Uint8Array(64).fill(b);

function upload(over: Partial<PrekeyUpload> = {}): PrekeyUpload {
  return {
    tag: new Uint8Array(32).fill(1),
    identityKey: curve(2),
    registrationId: 4242,
    signedPreKey: { id: 7, publicKey: curve(3), signature: sig(4) },
    lastResortKyberPreKey: { id: 8, publicKey: kem(5), signature: sig(6) },
    preKeys: [{ id: 1, publicKey: curve(7) }, { id: 2, publicKey: curve(8) }],
    kyberPreKeys: [{ id: 9, publicKey: kem(9), signature: sig(10) }],
    challenge: new Uint8Array(40).fill(11),
    signature: sig(12),
    ...over,
  };
}

function refused(fn: () => unknown, code: string, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PrekeyError, `expected PrekeyError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.field, field);
    return true;
  });
}

describe('prekey bodies', () => {
  it('round-trips a full upload and an empty one byte for byte', () => {
    for (const u of [upload(), upload({ signedPreKey: undefined, lastResortKyberPreKey: undefined, preKeys: [], kyberPreKeys: [] })]) {
      const bytes = encodePrekeyUpload(u);
      const back = decodePrekeyUpload(bytes);
      assert.deepEqual({ ...back }, { ...u });
      assert.deepEqual(encodePrekeyUpload(back), bytes);
    }
  });

  it('fits the largest upload in MAX_PREKEY_UPLOAD_BYTES exactly', () => {
    const preKeys = Array.from({ length: MAX_UPLOAD_PREKEYS }, (_, i) => ({ id: i, publicKey: curve(i) }));
    const kyberPreKeys = Array.from({ length: MAX_UPLOAD_KYBER_PREKEYS }, (_, i) => ({ id: i, publicKey: kem(i), signature: sig(i) }));
    const bytes = encodePrekeyUpload(upload({ preKeys, kyberPreKeys }));
    assert.equal(bytes.length, MAX_PREKEY_UPLOAD_BYTES);
    assert.equal(decodePrekeyUpload(bytes).kyberPreKeys.length, MAX_UPLOAD_KYBER_PREKEYS);
  });

  it('refuses uploads that are too long, cut short, padded, over a count, or with unknown flags', () => {
    const good = encodePrekeyUpload(upload());
    refused(() => decodePrekeyUpload(new Uint8Array(MAX_PREKEY_UPLOAD_BYTES + 1)), 'TOO_LARGE', 'upload');
    refused(() => decodePrekeyUpload(good.subarray(0, good.length - 1)), 'MALFORMED', 'signature');
    refused(() => decodePrekeyUpload(Uint8Array.of(...good, 0)), 'MALFORMED', 'upload');
    refused(() => decodePrekeyUpload(Uint8Array.of(2, ...good.subarray(1))), 'MALFORMED', 'version');
    const flags = good.slice();
    flags[70] = 0x04;
    refused(() => decodePrekeyUpload(flags), 'MALFORMED', 'flags');
    const empty = encodePrekeyUpload(upload({ signedPreKey: undefined, lastResortKyberPreKey: undefined, preKeys: [], kyberPreKeys: [] }));
    const count = empty.slice();
    count[71] = 0;
    count[72] = MAX_UPLOAD_PREKEYS + 1;
    refused(() => decodePrekeyUpload(count), 'MALFORMED', 'preKeyCount');
  });

  it('refuses a key with the wrong type byte as BAD_KEY, naming it', () => {
    refused(() => decodePrekeyUpload(encodePrekeyUpload(upload()).fill(0x06, 33, 34)), 'BAD_KEY', 'identityKey');
    const bytes = encodePrekeyUpload(upload());
    // signedPreKey starts at 71: id (4), then its key's type byte.
    bytes[75] = 0x08;
    refused(() => decodePrekeyUpload(bytes), 'BAD_KEY', 'signedPreKey.publicKey');
    const k = encodePrekeyUpload(upload({ kyberPreKeys: [{ id: 1, publicKey: kem(1), signature: sig(1) }, { id: 2, publicKey: kem(2), signature: sig(2) }] }));
    const second = k.length - 64 - 40 - 1637 + 4;
    assert.equal(k[second], 0x0a);
    k[second] = 0x05;
    refused(() => decodePrekeyUpload(k), 'BAD_KEY', 'kyberPreKeys[1].publicKey');
  });

  it('refuses a repeated one-time key id (decoder: MALFORMED; encoder: RangeError)', () => {
    const twice = upload({ preKeys: [{ id: 5, publicKey: curve(1) }, { id: 5, publicKey: curve(2) }] });
    assert.throws(() => encodePrekeyUpload(twice), RangeError);
    const bytes = encodePrekeyUpload(upload({ preKeys: [{ id: 5, publicKey: curve(1) }, { id: 6, publicKey: curve(2) }] }));
    const at = bytes.indexOf(6, 70 + 1 + 101 + 1637 + 2 + 37 + 3);
    bytes[at] = 5;
    refused(() => decodePrekeyUpload(bytes), 'MALFORMED', 'preKeys[1].id');
  });

  it('encoders refuse what decoders would (TypeError / RangeError naming the field)', () => {
    assert.throws(() => encodePrekeyUpload(upload({ tag: new Uint8Array(31) })), /"tag" expected 32 bytes, got 31/);
    assert.throws(() => encodePrekeyUpload(upload({ identityKey: new Uint8Array(33) })), /"identityKey" expected key type 0x05/);
    assert.throws(() => encodePrekeyUpload(upload({ preKeys: Array.from({ length: 101 }, (_, i) => ({ id: i, publicKey: curve(1) })) })), /"preKeys" expected 0..100 items/);
    assert.throws(() => encodePrekeyUpload(upload({ registrationId: -1 })), RangeError);
  });

  it('binds the proof to every byte before the signature', () => {
    const bytes = encodePrekeyUpload(upload());
    const m = prekeyUploadProofMessage(bytes);
    assert.equal(new TextDecoder().decode(m.subarray(0, 16)), 'tacit/v1/prekeys');
    assert.deepEqual(m.subarray(16), blake3(bytes.subarray(0, bytes.length - 64)));
    const other = bytes.slice();
    other[bytes.length - 1]! ^= 1;
    assert.deepEqual(prekeyUploadProofMessage(other), m, 'the signature is not signed');
    other[100]! ^= 1;
    assert.notDeepEqual(prekeyUploadProofMessage(other), m);
    // An identity key signs it with XEdDSA and it verifies under the identity key on the wire.
    const id = x25519.keygen();
    const ik = Uint8Array.of(5, ...id.publicKey);
    const unsigned = encodePrekeyUpload(upload({ identityKey: ik }));
    unsigned.set(xeddsa.sign(id.secretKey, prekeyUploadProofMessage(unsigned)), unsigned.length - 64);
    const u = decodePrekeyUpload(unsigned);
    assert.ok(xeddsa.verify(u.identityKey.subarray(1), prekeyUploadProofMessage(unsigned), u.signature));
  });

  it('derives tag and address from the namespace and the serialized identity key, as specified', () => {
    const ns = new Uint8Array(32).fill(9);
    const ik = curve(3);
    const tag = prekeyTag(ns, ik);
    assert.deepEqual(tag, blake3DeriveKey('tacit 2026-11 prekey tag v1', Uint8Array.of(...ns, ...ik)));
    assert.deepEqual(prekeyAddress(tag, ik), blake3DeriveKey('tacit 2026-11 prekey address v1', Uint8Array.of(...tag, ...ik)));
    assert.deepEqual(prekeyAddressOf(ns, ik), prekeyAddress(tag, ik));
    assert.notDeepEqual(prekeyAddressOf(new Uint8Array(32).fill(8), ik), prekeyAddressOf(ns, ik), 'another namespace, another address');
    assert.notDeepEqual(prekeyAddress(tag, curve(4)), prekeyAddress(tag, ik), 'the same tag under another key is another address');
  });

  it('round-trips bundles with and without a one-time prekey, and refuses junk', () => {
    const full = {
      identityKey: curve(1),
      registrationId: 77,
      signedPreKey: { id: 2, publicKey: curve(2), signature: sig(2) },
      kyberPreKey: { id: 3, publicKey: kem(3), signature: sig(3) },
      kyberLastResort: false,
      preKey: { id: 4, publicKey: curve(4) },
    };
    const bytes = encodePrekeyBundle(full);
    assert.equal(bytes.length, MAX_PREKEY_BUNDLE_BYTES);
    assert.deepEqual({ ...decodePrekeyBundle(bytes) }, full);
    const lastResort = { ...full, kyberLastResort: true, preKey: undefined };
    assert.deepEqual({ ...decodePrekeyBundle(encodePrekeyBundle(lastResort)) }, lastResort);
    refused(() => decodePrekeyBundle(bytes.subarray(0, bytes.length - 37)), 'MALFORMED', 'preKey.id');
    refused(() => decodePrekeyBundle(Uint8Array.of(1, 0x04)), 'MALFORMED', 'flags');
  });

  it('round-trips fetch requests and upload replies', () => {
    const address = new Uint8Array(32).fill(3);
    assert.deepEqual(decodePrekeyFetch(encodePrekeyFetch(address)), address);
    refused(() => decodePrekeyFetch(new Uint8Array(34)), 'TOO_LARGE', 'fetch');
    refused(() => decodePrekeyFetch(Uint8Array.of(1, 2)), 'MALFORMED', 'address');
    const reply = { preKeys: 12, kyberPreKeys: 0, signedPreKey: true, lastResortKyberPreKey: false };
    assert.deepEqual(decodePrekeyUploadReply(encodePrekeyUploadReply(reply)), reply);
    refused(() => decodePrekeyUploadReply(Uint8Array.of(1, 4, 0, 0, 0, 0, 0, 0, 0, 0)), 'MALFORMED', 'flags');
  });

  it('carries errors as JSON, and types an answer without one by its status', () => {
    const err = new PrekeyError('BAD_SIGNATURE', 'kyberPreKeys[2].signature', 'does not verify');
    const back = decodePrekeyErrorBody(400, encodePrekeyErrorBody(err));
    assert.deepEqual([back.code, back.field, back.message, back.status], ['BAD_SIGNATURE', 'kyberPreKeys[2].signature', 'does not verify', 400]);
    assert.equal(decodePrekeyErrorBody(429, 'slow down').code, 'RATE_LIMITED');
    assert.equal(decodePrekeyErrorBody(502, '<html>').code, 'UNAVAILABLE');
    assert.equal(decodePrekeyErrorBody(400, '{"code":"NOPE"}').code, 'MALFORMED');
  });
});
