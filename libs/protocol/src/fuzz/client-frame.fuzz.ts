// Fuzz target: decodeClientFrame and its in-place fast paths (sendFrameTtl, ackFrameCount), on
// arbitrary bytes. Checks: only ProtocolError is thrown, with a code the decoder documents; what
// decodes re-encodes to the same bytes (the decoder is strict: one encoding per frame); the fast
// paths accept exactly the SEND/RESEND and ACK frames the full decoder accepts, with the same TTL
// and count; a frame over the size cap fails with FRAME_TOO_LARGE before anything else. What the
// gateway computes from a decoded frame throws nothing but negotiateVersion's UNSUPPORTED_VERSION:
// the version negotiation of a HELLO, a CLAIM's proof message and its mailbox ids.
import { mailboxId } from '../address.js';
import { CLAIM_PROOF_MESSAGE_LEN, CLAIM_PROOF_MESSAGE_V2_LEN, claimProofMessage, claimProofMessageV2 } from '../claim.js';
import { ackFrameCount, ackV2FrameCount, decodeClientFrame, encodeClientFrame, sendFrameTtl, type ClientFrame } from '../client-frames.js';
import { SUPPORTED_VERSIONS } from '../constants.js';
import { negotiateVersion } from '../version.js';
import { ErrorCode, ProtocolError } from '../errors.js';
import { expect, FuzzFinding, sameBytes, typed, vectorBytes } from './_fuzz.js';

const _CODES: ReadonlySet<number> = new Set([ErrorCode.MALFORMED_FRAME, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.FRAME_TOO_LARGE]);

function decode(data: Uint8Array, maxFrameBytes?: number): ClientFrame | ProtocolError {
  try {
    return decodeClientFrame(data, maxFrameBytes === undefined ? undefined : { maxFrameBytes });
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(_CODES.has(err.code), `decodeClientFrame threw code ${err.code}`);
    expect(typeof err.field === 'string' && err.field.length > 0, 'ProtocolError without a field');
    return err;
  }
}

export function fuzz(data: Uint8Array): void {
  const frame = decode(data);
  const ttl = sendFrameTtl(data);
  const acks = ackFrameCount(data);
  const acksV2 = ackV2FrameCount(data);
  if (frame instanceof ProtocolError) {
    expect(ttl === undefined, `sendFrameTtl accepted a frame decodeClientFrame refuses (${frame.message})`);
    expect(acks === undefined, `ackFrameCount accepted a frame decodeClientFrame refuses (${frame.message})`);
    expect(acksV2 === undefined, `ackV2FrameCount accepted a frame decodeClientFrame refuses (${frame.message})`);
  } else {
    const again = typed(() => encodeClientFrame(frame));
    if (again === undefined) throw new FuzzFinding('encodeClientFrame refused a decoded frame');
    expect(sameBytes(again, data), `${frame.type} frame does not re-encode to its bytes`);
    expect(ttl === (frame.type === 'send' ? frame.packet.ttlSeconds : undefined), `sendFrameTtl ${ttl} for a ${frame.type} frame`);
    // The in-place reader is v1's ACK only; an ACK_V2 (tagged) is decoded whole.
    expect(acks === (frame.type === 'ack' && frame.tag === undefined ? frame.packetIds.length : undefined), `ackFrameCount ${acks} for a ${frame.type} frame`);
    expect(acksV2 === (frame.type === 'ack' && frame.tag !== undefined ? frame.packetIds.length : undefined), `ackV2FrameCount ${acksV2} for a ${frame.type} frame`);
    if (frame.type === 'hello') {
      try {
        const v = negotiateVersion(frame.minVersion, frame.maxVersion, SUPPORTED_VERSIONS);
        expect(v >= frame.minVersion && v <= frame.maxVersion && SUPPORTED_VERSIONS.includes(v), `negotiated version ${v}`);
      } catch (err) {
        if (!(err instanceof ProtocolError) || err.code !== ErrorCode.UNSUPPORTED_VERSION) throw err;
        expect(!SUPPORTED_VERSIONS.some((v) => v >= frame.minVersion && v <= frame.maxVersion), 'no version agreed although one is in range');
      }
    } else if (frame.type === 'claim') {
      expect(claimProofMessage(new Uint8Array(32), frame.dests).length === CLAIM_PROOF_MESSAGE_LEN, 'a claim proof message of another length');
      if (frame.ephemeral !== undefined) {
        const v2 = claimProofMessageV2(new Uint8Array(32), new Uint8Array(32), frame.ephemeral, frame.dests);
        expect(v2.length === CLAIM_PROOF_MESSAGE_V2_LEN, 'a v2 claim proof message of another length');
      }
      expect(mailboxId(frame.dests[0]!, frame.peerKey).length === 16, 'a mailbox id of another length');
    }
  }
  // One byte under its own length: over the cap, refused before it is parsed.
  if (data.length > 1) {
    const capped = decode(data, data.length - 1);
    expect(capped instanceof ProtocolError && capped.code === ErrorCode.FRAME_TOO_LARGE, 'a frame over maxFrameBytes was not FRAME_TOO_LARGE');
    expect(sendFrameTtl(data, { maxFrameBytes: data.length - 1 }) === undefined, 'sendFrameTtl ignored maxFrameBytes');
    expect(ackFrameCount(data, { maxFrameBytes: data.length - 1 }) === undefined, 'ackFrameCount ignored maxFrameBytes');
    expect(ackV2FrameCount(data, { maxFrameBytes: data.length - 1 }) === undefined, 'ackV2FrameCount ignored maxFrameBytes');
  }
}

/** The client-frame golden vectors, valid and invalid. */
export function seeds(): Uint8Array[] {
  return vectorBytes('client-frame');
}
