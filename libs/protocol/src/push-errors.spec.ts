import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePushErrorBody, encodePushErrorBody, isPushErrorCode, PUSH_ERROR_STATUS, PushError } from './push-errors.js';

describe('push errors (push-errors.ts)', () => {
  it('gives each code the HTTP status the contract names', () => {
    assert.deepEqual({ ...PUSH_ERROR_STATUS }, {
      MALFORMED: 400,
      BAD_PROOF: 401,
      STALE: 409,
      RATE_LIMITED: 429,
      NOT_FOUND: 404,
      UNSUPPORTED: 422,
      TOO_LARGE: 413,
      TIMEOUT: 408,
      BAD_METHOD: 405,
      UNAVAILABLE: 503,
      INTERNAL: 500,
    });
    assert.ok(isPushErrorCode('STALE'));
    assert.ok(!isPushErrorCode('toString'), 'not an inherited name');
    assert.ok(!isPushErrorCode(400));
  });

  it('carries an error as {"code","field","message"} both ways, and types an answer without one by its status', () => {
    const err = new PushError('BAD_PROOF', 'signature', '"signature" does not verify under "peerKey"');
    assert.equal(encodePushErrorBody(err), '{"code":"BAD_PROOF","field":"signature","message":"\\"signature\\" does not verify under \\"peerKey\\""}');
    const back = decodePushErrorBody(401, encodePushErrorBody(err));
    assert.ok(back instanceof PushError);
    assert.deepEqual([back.code, back.field, back.message, back.status, back.retryable], ['BAD_PROOF', 'signature', err.message, 401, false]);
    assert.equal(new PushError('STALE', 'issuedAtMs', 'x').retryable, true);
    assert.equal(decodePushErrorBody(429, 'slow down').code, 'RATE_LIMITED');
    assert.equal(decodePushErrorBody(404, '').code, 'NOT_FOUND');
    assert.equal(decodePushErrorBody(413, '').code, 'TOO_LARGE');
    assert.equal(decodePushErrorBody(408, '').code, 'TIMEOUT');
    assert.equal(decodePushErrorBody(502, '<html>').code, 'UNAVAILABLE');
    const unknown = decodePushErrorBody(400, '{"code":"NOPE"}');
    assert.deepEqual([unknown.code, unknown.field], ['MALFORMED', 'response']);
  });

  it('cuts a long field and message, on the way out and on the way in', () => {
    const long = new PushError('MALFORMED', 'f'.repeat(300), 'm'.repeat(2000));
    const body = JSON.parse(encodePushErrorBody(long)) as { field: string; message: string };
    assert.deepEqual([body.field.length, body.message.length], [128, 512]);
    const back = decodePushErrorBody(400, JSON.stringify({ code: 'MALFORMED', field: 'x'.repeat(999), message: 'y'.repeat(9999) }));
    assert.deepEqual([back.field.length, back.message.length], [128, 512]);
  });
});
