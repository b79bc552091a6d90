// Encoders written by hand for the two bus messages that carry a drain's bulk: the drain page
// (DrainReply.packed, ~150 KB for 512 packets) and the acks of such a page (AckRequest.packed_refs
// and packed_seqs). protobuf-es writes a bytes field into a buffer it grows by doubling, zero-filled
// each time, then copies the result out (`finish`): for one page ~0.5 MB of zeroing and copying,
// ~5 % of the node's main thread while it drained (profiled in tacit-drain). Here: the exact size,
// one copy. The output is byte for byte protobuf-es's (fields in number order; proto3 defaults
// not written), which fast-codec.spec.ts checks; anything else goes to protobuf-es.
import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { varintSize, writeVarint } from './hand-wire.js';
import { AckRequestSchema, DrainReplySchema, type AckRequest, type DrainReply } from './gen/tacit/queue/v1/queue_pb.js';

/**
 * Longest bytes field written here: protobuf-es writes a length as a uint32 and refuses a longer
 * field (a typed array may be longer); such a message goes to it, to be refused the same way. The
 * bus's own limits are megabytes.
 */
const _MAX_BYTES = 0xffff_ffff;

/** A length-delimited field's size (tag of one byte: field numbers below 16). */
function _bytesFieldSize(b: Uint8Array): number {
  return b.length === 0 ? 0 : 1 + varintSize(b.length) + b.length;
}

function _writeBytesField(out: Uint8Array, o: number, field: number, b: Uint8Array): number {
  if (b.length === 0) return o;
  out[o++] = (field << 3) | 2;
  o = writeVarint(out, o, b.length);
  out.set(b, o);
  return o + b.length;
}

/** DrainReply in its packed form (no `packets`): `more` (2) and `packed` (3). */
function _drainReply(m: DrainReply): Uint8Array {
  if (m.packets.length > 0 || (m.$unknown?.length ?? 0) > 0 || m.packed.length > _MAX_BYTES) return toBinary(DrainReplySchema, m);
  const out = new Uint8Array((m.more ? 2 : 0) + _bytesFieldSize(m.packed));
  let o = 0;
  if (m.more) {
    out[o++] = (2 << 3) | 0;
    out[o++] = 1;
  }
  _writeBytesField(out, o, 3, m.packed);
  return out;
}

/** AckRequest in its packed form (no `refs`): `packed_refs` (2) and `packed_seqs` (3). */
function _ackRequest(m: AckRequest): Uint8Array {
  if (m.refs.length > 0 || (m.$unknown?.length ?? 0) > 0 || m.packedRefs.length > _MAX_BYTES || m.packedSeqs.length > _MAX_BYTES) {
    return toBinary(AckRequestSchema, m);
  }
  const out = new Uint8Array(_bytesFieldSize(m.packedRefs) + _bytesFieldSize(m.packedSeqs));
  _writeBytesField(out, _writeBytesField(out, 0, 2, m.packedRefs), 3, m.packedSeqs);
  return out;
}

const _FAST = new Map<string, (m: never) => Uint8Array>([
  [DrainReplySchema.typeName, _drainReply],
  [AckRequestSchema.typeName, _ackRequest],
]);

/** `toBinary(schema, message)`, by hand for the drain's bulk messages (above), else by protobuf-es. */
export function encodeMessage<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  const fast = _FAST.get(schema.typeName);
  return fast ? fast(message as never) : toBinary(schema, message);
}
