import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DirectoryError } from './errors.js';
import { decodeDirectoryErrorBody, decodeDirectoryRequest, directoryHttpStatus, encodeDirectoryErrorBody, encodeDirectoryRequest, fromBase64Url, toBase64Url } from './http.js';

describe('directory over HTTP (http.ts)', () => {
  it('base64url is Node\'s, unpadded, both ways, at every length; anything else is MALFORMED naming the field', () => {
    for (let n = 0; n < 70; n++) {
      const b = new Uint8Array(randomBytes(n));
      assert.equal(toBase64Url(b), Buffer.from(b).toString('base64url'));
      assert.deepEqual(fromBase64Url(toBase64Url(b), 'x'), b);
    }
    for (const bad of ['a', 'ab=', 'a+b/', 'AB', 'a b']) assert.throws(() => fromBase64Url(bad, 'grant'), (e: unknown) => e instanceof DirectoryError && e.code === 'MALFORMED' && e.field === 'grant', bad);
  });

  it('a request round-trips; a missing, mistyped or overlong field is MALFORMED naming it', () => {
    const req = { policy: 'signed' as const, lookupKey: new Uint8Array(32).fill(1), grant: new Uint8Array(146).fill(2) };
    assert.deepEqual(decodeDirectoryRequest('release', encodeDirectoryRequest(req)), req);
    const refused = (body: string, field: string) =>
      assert.throws(() => decodeDirectoryRequest('release', body), (e: unknown) => e instanceof DirectoryError && e.code === 'MALFORMED' && e.field === field, body);
    refused('[]', 'body');
    refused('{', 'body');
    refused(JSON.stringify({ policy: 'signed', lookupKey: toBase64Url(req.lookupKey) }), 'grant');
    refused(JSON.stringify({ policy: 'signed', lookupKey: 5, grant: 'AA' }), 'lookupKey');
    refused(JSON.stringify({ policy: 'signed', lookupKey: 'A'.repeat(100), grant: 'AA' }), 'lookupKey');
    refused(JSON.stringify({ lookupKey: 'AA', grant: 'AA' }), 'policy');
  });

  it('errors keep their code and field across the wire; a body that is not one still gives a typed error by status', () => {
    const err = new DirectoryError('REPLAYED', 'grant.sequence', 'used');
    const back = decodeDirectoryErrorBody(directoryHttpStatus(err.code), encodeDirectoryErrorBody(err));
    assert.deepEqual([back.code, back.field, back.message], ['REPLAYED', 'grant.sequence', 'used']);
    assert.equal(directoryHttpStatus('REPLAYED'), 409);
    assert.equal(directoryHttpStatus('CONFUSABLE'), 400);
    assert.equal(decodeDirectoryErrorBody(429, '<html>').code, 'RATE_LIMITED');
    assert.equal(decodeDirectoryErrorBody(502, '').code, 'UNAVAILABLE');
  });
});
