import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCode, closeCodeFor, ErrorCode, errorCodeName, ProtocolError } from './errors.js';

describe(ProtocolError.name, () => {
  it('carries name, wire code, code name, field and cause', () => {
    const cause = new Error('inner');
    const sut = new ProtocolError(ErrorCode.FRAME_TOO_LARGE, 'frame', '"frame" expected at most 8 bytes, got 9', { cause });
    assert.ok(sut instanceof Error);
    assert.equal(sut.name, 'ProtocolError');
    assert.equal(sut.code, 6);
    assert.equal(sut.codeName, 'FRAME_TOO_LARGE');
    assert.equal(sut.field, 'frame');
    assert.equal(sut.cause, cause);
  });
});

describe('error and close code tables', () => {
  it('pins every v1 wire code', () => {
    assert.deepEqual(
      { ...ErrorCode },
      {
        MALFORMED_FRAME: 1,
        UNSUPPORTED_VERSION: 2,
        HELLO_REQUIRED: 3,
        BAD_PROOF: 4,
        RATE_LIMITED: 5,
        FRAME_TOO_LARGE: 6,
        MAILBOX_FULL: 7,
        UNKNOWN_PACKET: 8,
        UNAVAILABLE: 9,
        IDLE_TIMEOUT: 10,
        TOO_MANY_CLAIMS: 11,
        INTERNAL: 12,
      },
    );
    assert.equal(errorCodeName(4), 'BAD_PROOF');
    assert.equal(errorCodeName(13), undefined);
  });

  it('maps errors that end the connection to their close codes', () => {
    assert.equal(closeCodeFor(ErrorCode.MALFORMED_FRAME), 4400);
    assert.equal(closeCodeFor(ErrorCode.UNSUPPORTED_VERSION), 4426);
    assert.equal(closeCodeFor(ErrorCode.HELLO_REQUIRED), 4401);
    assert.equal(closeCodeFor(ErrorCode.FRAME_TOO_LARGE), 1009);
    assert.equal(closeCodeFor(ErrorCode.IDLE_TIMEOUT), 4408);
    for (const code of [4, 5, 7, 8, 9, 11, 12]) assert.equal(closeCodeFor(code), undefined, `code ${code}`);
    assert.equal(CloseCode.RATE_LIMITED, 4429);
    assert.equal(CloseCode.SERVICE_RESTART, 1012);
  });
});
