// The push endpoints' bodies (tacit.push.v1 RegisterRequest, UnregisterRequest and their replies) in
// protobuf's wire format, written by hand for the SDK: the generated @tacit/proto carries every
// service's messages and @bufbuild/protobuf, which a browser app should not load for two messages.
// push-wire.spec.ts checks every encoding against @tacit/proto's toBinary, and decodes its output.
import { PUSH_PROVIDER_BYTE, type PushTargetFields } from '@tacit/protocol';

const _utf8 = new TextEncoder();
const _text = new TextDecoder('utf-8', { fatal: true });

/** An append-only protobuf writer. */
class _Writer {
  private readonly parts: number[] = [];
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private flush(): void {
    if (this.parts.length === 0) return;
    const b = Uint8Array.from(this.parts);
    this.parts.length = 0;
    this.chunks.push(b);
    this.size += b.length;
  }

  varint(n: number): this {
    // Up to 2^53: the values here are ms timestamps, lengths, field keys and enums.
    while (n >= 0x80) {
      this.parts.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.parts.push(n);
    return this;
  }

  /** A length-delimited field (bytes, string, message); proto3 leaves an empty one out. */
  bytes(field: number, b: Uint8Array, keepEmpty = false): this {
    if (b.length === 0 && !keepEmpty) return this;
    this.varint((field << 3) | 2).varint(b.length);
    this.flush();
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  string(field: number, s: string | undefined): this {
    return this.bytes(field, _utf8.encode(s ?? ''));
  }

  /** A varint field; proto3 leaves zero out. */
  uint(field: number, n: number): this {
    if (n === 0) return this;
    return this.varint(field << 3).varint(n);
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** What a register request carries (the requester is the gateway's to fill: never sent by a client). */
export interface PushRegisterWire {
  peerKey: Uint8Array;
  dests: readonly Uint8Array[];
  target: PushTargetFields;
  issuedAtMs: number;
  signature: Uint8Array;
}

/** The binary `tacit.push.v1.RegisterRequest`, as toBinary writes it. */
export function encodePushRegisterWire(r: PushRegisterWire): Uint8Array {
  const t = r.target;
  const target = new _Writer()
    .uint(1, PUSH_PROVIDER_BYTE[t.provider])
    .string(2, t.token)
    .string(3, t.endpoint)
    .string(4, t.p256dh)
    .string(5, t.auth)
    .finish();
  const w = new _Writer().bytes(1, r.peerKey);
  // A repeated bytes field keeps its empty elements.
  for (const d of r.dests) w.bytes(2, d, true);
  return w.bytes(3, target, true).uint(4, r.issuedAtMs).bytes(5, r.signature).finish();
}

/** The binary `tacit.push.v1.UnregisterRequest`, as toBinary writes it. */
export function encodePushUnregisterWire(r: { peerKey: Uint8Array; issuedAtMs: number; signature: Uint8Array }): Uint8Array {
  return new _Writer().bytes(1, r.peerKey).uint(2, r.issuedAtMs).bytes(3, r.signature).finish();
}

/** A decoded RegisterReply or UnregisterReply (the latter has no mailboxes or expiry: 0). */
export interface PushReplyWire {
  /** tacit.push.v1.PushStatus: 1 OK, 2 MALFORMED, 3 BAD_PROOF, 4 STALE, 5 RATE_LIMITED, 6 NOT_FOUND, 7 UNSUPPORTED. */
  status: number;
  field: string;
  message: string;
  mailboxes: number;
  expiresAtMs: number;
}

/** The status names of tacit.push.v1.PushStatus, by number. */
export const PUSH_STATUS_NAMES: readonly string[] = Object.freeze(['UNSPECIFIED', 'OK', 'MALFORMED', 'BAD_PROOF', 'STALE', 'RATE_LIMITED', 'NOT_FOUND', 'UNSUPPORTED']);

/** Decodes a RegisterReply or UnregisterReply; unknown fields are skipped; RangeError if it is not protobuf. */
export function decodePushReplyWire(b: Uint8Array): PushReplyWire {
  const out: PushReplyWire = { status: 0, field: '', message: '', mailboxes: 0, expiresAtMs: 0 };
  let at = 0;
  const varint = (): number => {
    let n = 0;
    for (let shift = 1, i = 0; i < 10; i++, shift *= 0x80) {
      if (at >= b.length) throw new RangeError('a varint runs past the end');
      const byte = b[at++]!;
      n += (byte & 0x7f) * shift;
      if (byte < 0x80) {
        if (n > Number.MAX_SAFE_INTEGER) throw new RangeError('a varint past 2^53');
        return n;
      }
    }
    throw new RangeError('a varint longer than 10 bytes');
  };
  const chunk = (): Uint8Array => {
    const n = varint();
    if (at + n > b.length) throw new RangeError('a field runs past the end');
    const c = b.subarray(at, at + n);
    at += n;
    return c;
  };
  while (at < b.length) {
    const key = varint();
    const [field, type] = [Math.floor(key / 8), key & 7];
    if (type === 0) {
      const v = varint();
      if (field === 1) out.status = v;
      else if (field === 4) out.mailboxes = v;
      else if (field === 5) out.expiresAtMs = v;
    } else if (type === 2) {
      const c = chunk();
      if (field === 2) out.field = _text.decode(c);
      else if (field === 3) out.message = _text.decode(c);
    } else if (type === 1) at += 8;
    else if (type === 5) at += 4;
    else throw new RangeError(`wire type ${type} is not one a reply uses`);
    if (at > b.length) throw new RangeError('a field runs past the end');
  }
  return out;
}
