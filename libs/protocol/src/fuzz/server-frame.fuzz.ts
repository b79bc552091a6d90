// Fuzz target: decodeServerFrame (what the SDK reads from a gateway) on arbitrary bytes. Checks:
// only ProtocolError, with a documented code; what decodes re-encodes to the same bytes; the size
// cap comes first.
import { ErrorCode, ProtocolError } from '../errors.js';
import { decodeServerFrame, encodeServerFrame, type ServerFrame } from '../server-frames.js';
import { expect, FuzzFinding, sameBytes, typed, vectorBytes } from './_fuzz.js';

const _CODES: ReadonlySet<number> = new Set([ErrorCode.MALFORMED_FRAME, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.FRAME_TOO_LARGE]);

function decode(data: Uint8Array, maxFrameBytes?: number): ServerFrame | ProtocolError {
  try {
    return decodeServerFrame(data, maxFrameBytes === undefined ? undefined : { maxFrameBytes });
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(_CODES.has(err.code), `decodeServerFrame threw code ${err.code}`);
    return err;
  }
}

export function fuzz(data: Uint8Array): void {
  const frame = decode(data);
  if (!(frame instanceof ProtocolError)) {
    const again = typed(() => encodeServerFrame(frame));
    if (again === undefined) throw new FuzzFinding('encodeServerFrame refused a decoded frame');
    expect(sameBytes(again, data), `${frame.type} frame does not re-encode to its bytes`);
  }
  if (data.length > 1) {
    const capped = decode(data, data.length - 1);
    expect(capped instanceof ProtocolError && capped.code === ErrorCode.FRAME_TOO_LARGE, 'a frame over maxFrameBytes was not FRAME_TOO_LARGE');
  }
}

/** The server-frame golden vectors, valid and invalid. */
export function seeds(): Uint8Array[] {
  return vectorBytes('server-frame');
}
