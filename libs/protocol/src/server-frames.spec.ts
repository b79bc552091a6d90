import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, ProtocolError } from './errors.js';
import { decodeServerFrame, encodeServerFrame, GoawayReason, requestIdRef, type ServerFrame } from './server-frames.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe(encodeServerFrame.name, () => {
  it('encodes GOAWAY and CLAIMED big-endian', () => {
    assert.equal(hex(encodeServerFrame({ type: 'goaway', reason: GoawayReason.DRAINING, retryAfterMs: 0x01020304 })), '870001020304');
    assert.equal(hex(encodeServerFrame({ type: 'claimed', requestId: 0xdeadbeef, count: 3 })), '82deadbeef0003');
  });

  it('rejects invalid frames naming the field', () => {
    const ref = new Uint8Array(16);
    const bad: [unknown, RegExp][] = [
      [{ type: 'error', code: 13, ref, message: '' }, /"code" expected a v1 error code 1\.\.12, got 13/],
      [{ type: 'error', code: 1, ref, message: 'é'.repeat(257) }, /"message" expected at most 512 UTF-8 bytes, got 514/],
      [{ type: 'error', code: 1, ref, message: 'a\ud800b' }, /"message" expected well-formed Unicode/],
      [{ type: 'error', code: 1, ref: new Uint8Array(4), message: '' }, /"ref" expected 16 bytes, got 4/],
      [{ type: 'welcome', version: 3, challenge: new Uint8Array(32), maxFrameBytes: 1, idleTimeoutMs: 1, maxClaim: 1 }, /"version" expected one of 1, 2, got 3/],
      [{ type: 'welcome', version: 2, challenge: new Uint8Array(32), maxFrameBytes: 1, idleTimeoutMs: 1, maxClaim: 1 }, /"relayKey" expected Uint8Array, got undefined/],
      [{ type: 'welcome', version: 2, challenge: new Uint8Array(32), maxFrameBytes: 1, idleTimeoutMs: 1, maxClaim: 1, relayKey: new Uint8Array(31) }, /"relayKey" expected 32 bytes, got 31/],
      [{ type: 'welcome', version: 1, challenge: new Uint8Array(32), maxFrameBytes: 1, idleTimeoutMs: 1, maxClaim: 1, relayKey: new Uint8Array(32) }, /"relayKey" expected absent in version 1/],
      [{ type: 'welcome', version: 1, challenge: new Uint8Array(32), maxFrameBytes: 1, idleTimeoutMs: 1, maxClaim: 1025 }, /"maxClaim"/],
      [{ type: 'goaway', reason: 2, retryAfterMs: 0 }, /"reason" expected integer 0\.\.1, got 2/],
      [{ type: 'claimed', requestId: 1, count: 0 }, /"count" expected integer 1\.\.1024, got 0/],
      [{ type: 'hello' }, /"type" expected welcome, claimed/],
    ];
    for (const [frame, message] of bad) {
      assert.throws(() => encodeServerFrame(frame as ServerFrame), (e: unknown) => {
        assert.ok(e instanceof TypeError || e instanceof RangeError, String(e));
        assert.match(e.message, message);
        return true;
      });
    }
  });
});

describe(decodeServerFrame.name, () => {
  it('keeps a leading BOM in ERROR messages, so decode and encode stay inverse', () => {
    const frame: ServerFrame = { type: 'error', code: ErrorCode.INTERNAL, ref: new Uint8Array(16), message: '\ufeffx' };
    assert.deepEqual(decodeServerFrame(encodeServerFrame(frame)), frame);
  });

  it('reports invalid UTF-8 as MALFORMED_FRAME on "message", with the cause', () => {
    const bytes = Uint8Array.of(0x86, 0, 1, ...new Uint8Array(16), 0, 1, 0xff);
    assert.throws(() => decodeServerFrame(bytes), (e: unknown) => {
      assert.ok(e instanceof ProtocolError);
      assert.equal(e.field, 'message');
      assert.ok(e.cause instanceof TypeError);
      return true;
    });
  });
});

describe(requestIdRef.name, () => {
  it('puts the requestId big-endian in the first 4 of 16 bytes', () => {
    assert.equal(hex(requestIdRef(0x01020304)), `01020304${'00'.repeat(12)}`);
    assert.throws(() => requestIdRef(2 ** 32), RangeError);
  });
});
