// How the media service's answers become MediaErrors, and which are worth another try.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryableStatus, retryAfterMs, statusError } from './http.js';

const body = (code: string) => JSON.stringify({ code, field: 'x', message: 'm' });

describe('media service answers', () => {
  it('map to typed codes, with the status and Retry-After', () => {
    const cases: [number, string | undefined, string, string][] = [
      [413, body('TOO_LARGE'), 'TOO_LARGE', 'size'],
      [429, body('QUOTA_EXCEEDED'), 'QUOTA_EXCEEDED', 'id'],
      [429, body('RATE_LIMITED'), 'RATE_LIMITED', 'id'],
      [429, 'not json', 'RATE_LIMITED', 'id'],
      [404, body('NOT_FOUND'), 'NOT_FOUND', 'id'],
      [410, undefined, 'NOT_FOUND', 'id'],
      [416, body('RANGE_NOT_SATISFIABLE'), 'NOT_FOUND', 'range'],
      [400, body('MALFORMED'), 'MALFORMED', 'id'],
      [503, body('UNAVAILABLE'), 'UNAVAILABLE', 'id'],
      [500, '', 'UNAVAILABLE', 'id'],
    ];
    for (const [status, b, code, field] of cases) {
      const e = statusError(status, b, '7', 'the blob');
      assert.equal(e.code, code, `${status} ${b}`);
      assert.equal(e.field, field);
      assert.equal(e.status, status);
      assert.equal(e.retryAfterMs, 7000);
    }
    assert.equal(retryAfterMs(new Date(Date.now() + 60_000).toUTCString())! > 50_000, true);
    assert.equal(retryAfterMs('soon'), undefined);
  });

  it('retries what may pass later, not refusals', () => {
    for (const s of [0, 500, 502, 503, 408, 423]) assert.equal(retryableStatus(s), true, String(s));
    assert.equal(retryableStatus(429, body('RATE_LIMITED')), true);
    assert.equal(retryableStatus(429, body('QUOTA_EXCEEDED')), false);
    for (const s of [400, 404, 410, 413, 416]) assert.equal(retryableStatus(s), false, String(s));
  });
});
