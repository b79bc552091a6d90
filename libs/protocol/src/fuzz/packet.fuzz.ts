// Fuzz target: decodePacket (packets read back from a queue or another relay) on arbitrary bytes.
// Checks: only ProtocolError (UNSUPPORTED_VERSION or MALFORMED_FRAME); what decodes re-encodes to
// the same bytes; a SEND frame around the same bytes decodes to the same packet, or fails the same
// way (the gateway forwards a SEND's bytes as the packet without decoding them again).
import { ClientFrameType, decodeClientFrame } from '../client-frames.js';
import { MAX_FRAME_BYTES } from '../constants.js';
import { ErrorCode, ProtocolError } from '../errors.js';
import { decodePacket, encodePacket, type Packet } from '../packet.js';
import { expect, FuzzFinding, sameBytes, typed, vectorBytes } from './_fuzz.js';

function decode(data: Uint8Array): Packet | ProtocolError {
  try {
    return decodePacket(data);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(err.code === ErrorCode.MALFORMED_FRAME || err.code === ErrorCode.UNSUPPORTED_VERSION, `decodePacket threw code ${err.code}`);
    return err;
  }
}

export function fuzz(data: Uint8Array): void {
  const packet = decode(data);
  if (!(packet instanceof ProtocolError)) {
    const again = typed(() => encodePacket(packet));
    if (again === undefined) throw new FuzzFinding('encodePacket refused a decoded packet');
    expect(sameBytes(again, data), 'packet does not re-encode to its bytes');
  }
  if (1 + data.length > MAX_FRAME_BYTES) return;
  const framed = new Uint8Array(1 + data.length);
  framed[0] = ClientFrameType.SEND;
  framed.set(data, 1);
  let frame;
  try {
    frame = decodeClientFrame(framed);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    // Bytes after the packet are named after what was decoded: "packet" alone, "frame" in a SEND.
    const field = err.field === 'frame' ? 'packet' : err.field;
    expect(packet instanceof ProtocolError && packet.code === err.code && packet.field === field, 'SEND refused a packet decodePacket accepts, or with another error');
    return;
  }
  expect(!(packet instanceof ProtocolError) && frame.type === 'send' && sameBytes(encodePacket(frame.packet), data), 'SEND accepted a packet decodePacket refuses');
}

/** The packet golden vectors, valid and invalid. */
export function seeds(): Uint8Array[] {
  return vectorBytes('packet');
}
