import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blake3, ed25519 } from '@tacit/crypto';
import { PUSH_REGISTRATION_MESSAGE_LEN, PUSH_UNREGISTER_MESSAGE_LEN, pushRegistrationMessage, pushTargetBytes, pushUnregisterMessage } from './push.js';
import { decodePushErrorBody, encodePushErrorBody, PushError } from './push-errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// The vector's inputs. Its bytes were computed once with this code and checked piece by piece
// below (domain, u64 BE clock, BLAKE3 of the canonical target, BLAKE3 of the dests).
const ISSUED = 1_764_720_000_000;
const FCM = { provider: 'fcm', token: 'tok-é' } as const;
const DESTS = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
const SEED = new Uint8Array(32).fill(9);
const VECTOR = {
  message:
    '74616369742f76312f707573680000019ae1823c00ecc73bbe1f3ff5be6a5e53a3ed710d69d4bcd9289550f3bbcc6a72433c651a3e8d67bc7836d128b108be2c965538f37bbcee3e7503e35e58fbb0446432e05206',
  peerKey: 'fd1724385aa0c75b64fb78cd602fa1d991fdebf76b13c58ed702eac835e9f618',
  signature:
    '0870391d7ca3d2bf6513a5b1e62be79b3914cacbb4170429d41ddafb814e834bd907f2a39dc392824bb323c63b5c5097a040dd076ded39d1acff9cda2d23810e',
};

describe(pushTargetBytes.name, () => {
  it('is provider byte || u16 BE length-prefixed UTF-8 token, endpoint, p256dh, auth', () => {
    assert.equal(hex(pushTargetBytes({ provider: 'apns', token: 'ab12' })), '01' + '0004' + '61623132' + '0000' + '0000' + '0000');
    assert.equal(
      hex(pushTargetBytes({ provider: 'webpush', endpoint: 'https://push.example/ab', p256dh: 'BP', auth: 'q1' })),
      '03' + '0000' + '0017' + Buffer.from('https://push.example/ab').toString('hex') + '0002' + '4250' + '0002' + '7131',
    );
    assert.equal(hex(pushTargetBytes(FCM)), '02' + '0006' + '746f6b2dc3a9' + '000000000000', 'UTF-8 bytes, not UTF-16 units');
  });

  it('rejects an unknown provider and a field over 65535 bytes', () => {
    assert.throws(() => pushTargetBytes({ provider: 'sms' as 'fcm' }), RangeError);
    assert.throws(() => pushTargetBytes({ provider: 'toString' as 'fcm' }), RangeError);
    assert.throws(() => pushTargetBytes({ provider: 'fcm', token: 'x'.repeat(65_536) }), { message: '"target.token" expected at most 65535 UTF-8 bytes, got 65536' });
    assert.throws(() => pushTargetBytes({ provider: 'fcm', token: 1 as unknown as string }), TypeError);
  });
});

describe(pushRegistrationMessage.name, () => {
  it('matches the pinned vector, and the vector signature verifies under the pinned key', () => {
    const sut = pushRegistrationMessage(ISSUED, FCM, DESTS);
    assert.equal(sut.length, PUSH_REGISTRATION_MESSAGE_LEN);
    assert.equal(PUSH_REGISTRATION_MESSAGE_LEN, 85);
    assert.equal(hex(sut), VECTOR.message);
    assert.equal(hex(ed25519.getPublicKey(SEED)), VECTOR.peerKey);
    assert.ok(ed25519.verify(Buffer.from(VECTOR.peerKey, 'hex'), sut, Buffer.from(VECTOR.signature, 'hex')));
  });

  it('is "tacit/v1/push" || u64 BE issuedAtMs || BLAKE3(target bytes) || BLAKE3(dests)', () => {
    const sut = pushRegistrationMessage(ISSUED, FCM, DESTS);
    assert.equal(Buffer.from(sut.subarray(0, 13)).toString('latin1'), 'tacit/v1/push');
    assert.equal(new DataView(sut.buffer, sut.byteOffset).getBigUint64(13), BigInt(ISSUED));
    assert.deepEqual(sut.subarray(21, 53), blake3(pushTargetBytes(FCM)));
    assert.deepEqual(sut.subarray(53), blake3(Buffer.concat(DESTS)));
  });

  it('changes with every input: a mutated clock, target field, dest, or dest order', () => {
    const base = VECTOR.message;
    const d3 = new Uint8Array(32).fill(1);
    d3[31] = 0;
    for (const [name, msg] of [
      ['issuedAtMs + 1', pushRegistrationMessage(ISSUED + 1, FCM, DESTS)],
      ['token', pushRegistrationMessage(ISSUED, { provider: 'fcm', token: 'tok-e' }, DESTS)],
      ['provider', pushRegistrationMessage(ISSUED, { provider: 'apns', token: 'tok-é' }, DESTS)],
      ['a byte of dests[0]', pushRegistrationMessage(ISSUED, FCM, [d3, DESTS[1]!])],
      ['dest order', pushRegistrationMessage(ISSUED, FCM, [DESTS[1]!, DESTS[0]!])],
      ['fewer dests', pushRegistrationMessage(ISSUED, FCM, [DESTS[0]!])],
    ] as const) {
      assert.notEqual(hex(msg), base, name);
      assert.ok(!ed25519.verify(Buffer.from(VECTOR.peerKey, 'hex'), msg, Buffer.from(VECTOR.signature, 'hex')), `signature still verifies after mutating ${name}`);
    }
  });

  it('rejects bad inputs', () => {
    assert.throws(() => pushRegistrationMessage(ISSUED, FCM, []), { message: '"dests" expected 1..1024 items, got 0' });
    assert.throws(() => pushRegistrationMessage(ISSUED, FCM, Array.from({ length: 1025 }, () => DESTS[0]!)), RangeError);
    assert.throws(() => pushRegistrationMessage(ISSUED, FCM, [new Uint8Array(31)]), { message: '"dests[0]" expected 32 bytes, got 31' });
    assert.throws(() => pushRegistrationMessage(-1, FCM, DESTS), RangeError);
    assert.throws(() => pushRegistrationMessage(1.5, FCM, DESTS), RangeError);
  });
});

describe(pushUnregisterMessage.name, () => {
  it('is "tacit/v1/push-off" || u64 BE issuedAtMs', () => {
    const sut = pushUnregisterMessage(ISSUED);
    assert.equal(sut.length, PUSH_UNREGISTER_MESSAGE_LEN);
    assert.equal(hex(sut), '74616369742f76312f707573682d6f66660000019ae1823c00');
    assert.notEqual(hex(pushUnregisterMessage(ISSUED + 1)), hex(sut));
  });
});

describe(PushError.name, () => {
  it('round-trips through the JSON body, and a foreign body still gives a typed error by status', () => {
    const err = decodePushErrorBody(401, encodePushErrorBody(new PushError('BAD_PROOF', 'signature', 'nope')));
    assert.equal(err.code, 'BAD_PROOF');
    assert.equal(err.field, 'signature');
    assert.equal(err.status, 401);
    assert.equal(decodePushErrorBody(429, '<html>').code, 'RATE_LIMITED');
    assert.equal(decodePushErrorBody(502, '').code, 'UNAVAILABLE');
    assert.equal(decodePushErrorBody(400, '{"code":"toString"}').code, 'MALFORMED');
    assert.equal(new PushError('UNSUPPORTED', 'target.provider', 'x').status, 422);
  });
});
