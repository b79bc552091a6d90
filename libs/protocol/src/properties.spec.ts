// Property tests over the codecs. Runs are bounded so the suite stays in the low seconds on a
// shared machine; the golden vectors carry the exact-byte contract.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ACK_IDS_AT, ackFrameCount, ackV2FrameCount, ClientFrameType, decodeClientFrame, encodeClientFrame, sendFrameTtl, type ClientFrame } from './client-frames.js';
import { SIZE_BUCKETS } from './constants.js';
import { ErrorCode, ProtocolError } from './errors.js';
import { decodePacket, encodePacket, type Packet } from './packet.js';
import { pad, unpad } from './padding.js';
import { decodeServerFrame, encodeServerFrame, type ServerFrame } from './server-frames.js';

const RUNS = { numRuns: 300 };
// Plain objects, like the decoders return (fast-check defaults to null-prototype records).
const record: typeof fc.record = ((model: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(model, { noNullPrototype: true })) as typeof fc.record;
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

// Random content for small buckets; every bucket, up to 64 KiB, with cheap constant content.
const payload = fc.oneof(
  fc.constantFrom(256, 512).chain((n) => bytes(n)),
  fc.tuple(fc.constantFrom(...SIZE_BUCKETS), fc.integer({ min: 0, max: 255 })).map(([n, b]) => new Uint8Array(n).fill(b)),
);
const packet: fc.Arbitrary<Packet> = record({
  version: fc.constant(1 as const),
  hopLimit: fc.integer({ min: 1, max: 16 }),
  destHash: bytes(32),
  mailboxId: bytes(16),
  packetId: bytes(16),
  ttlSeconds: fc.integer({ min: 1, max: 2_592_000 }),
  payload,
});

const clientFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 254 }))
    .map(([min, d]) => ({ type: 'hello' as const, minVersion: min, maxVersion: Math.min(255, min + d) })),
  record({
    type: fc.constant('claim' as const),
    requestId: u32,
    peerKey: bytes(32),
    signature: bytes(64),
    dests: fc.array(bytes(32), { minLength: 1, maxLength: 40 }),
  }),
  record({ type: fc.constant('send' as const), packet }),
  record({ type: fc.constant('ack' as const), packetIds: fc.array(bytes(16), { minLength: 1, maxLength: 256 }) }),
  record({ type: fc.constant('ping' as const), nonce: bytes(8) }),
);

const message = fc
  .string({ unit: 'binary', maxLength: 200 })
  .filter((s) => new TextEncoder().encode(s).length <= 512);
const serverFrame: fc.Arbitrary<ServerFrame> = fc.oneof(
  record({
    type: fc.constant('welcome' as const),
    version: fc.constant(1),
    challenge: bytes(32),
    maxFrameBytes: fc.integer({ min: 1, max: 0xffff_ffff }),
    idleTimeoutMs: fc.integer({ min: 1, max: 0xffff_ffff }),
    maxClaim: fc.integer({ min: 1, max: 1024 }),
  }),
  record({ type: fc.constant('claimed' as const), requestId: u32, count: fc.integer({ min: 1, max: 1024 }) }),
  record({ type: fc.constant('accepted' as const), packetIds: fc.array(bytes(16), { minLength: 1, maxLength: 256 }) }),
  record({ type: fc.constant('deliver' as const), packet }),
  record({ type: fc.constant('pong' as const), nonce: bytes(8) }),
  record({
    type: fc.constant('error' as const),
    code: fc.constantFrom(...Object.values(ErrorCode)),
    ref: bytes(16),
    message,
  }),
  record({ type: fc.constant('goaway' as const), reason: fc.constantFrom(0 as const, 1 as const), retryAfterMs: u32 }),
);

const CODES = new Set<number>(Object.values(ErrorCode));

/**
 * Decoding must either throw ProtocolError or succeed canonically: one value has exactly one
 * encoding, so re-encoding gives back the same bytes (skipped when `encode` is omitted).
 */
function decodesCanonicallyOrThrows<T>(decode: (b: Uint8Array) => T, encode: ((v: T) => Uint8Array) | undefined, b: Uint8Array): void {
  let value: T;
  try {
    value = decode(b);
  } catch (e) {
    assert.ok(e instanceof ProtocolError, `threw ${String(e)}`);
    assert.ok(CODES.has(e.code), `code ${e.code}`);
    assert.ok(e.field.length > 0);
    assert.ok(e.message.includes(`"${e.field}"`), e.message);
    return;
  }
  if (encode) assert.deepEqual(encode(value), b);
}

/** Byte strings near valid ones: truncated, extended, or with one byte changed. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('cut', 'add', 'set')).map(([b, i, v, op]) => {
    if (op === 'cut') return b.subarray(0, i % (b.length + 1));
    if (op === 'add') return Uint8Array.from([...b.subarray(0, 400), v]);
    const c = Uint8Array.from(b);
    if (c.length > 0) c[i % c.length] = v;
    return c;
  });
}

describe('codec properties', () => {
  it('client frames: decode(encode(f)) = f and encode(decode(b)) = b', () => {
    fc.assert(
      fc.property(clientFrame, (f) => {
        const b = encodeClientFrame(f);
        const sut = decodeClientFrame(b);
        assert.deepEqual(sut, f);
        assert.deepEqual(encodeClientFrame(sut), b);
      }),
      RUNS,
    );
  });

  it('server frames: decode(encode(f)) = f and encode(decode(b)) = b', () => {
    fc.assert(
      fc.property(serverFrame, (f) => {
        const b = encodeServerFrame(f);
        const sut = decodeServerFrame(b);
        assert.deepEqual(sut, f);
        assert.deepEqual(encodeServerFrame(sut), b);
      }),
      RUNS,
    );
  });

  it('packets: decode(encode(p)) = p', () => {
    fc.assert(fc.property(packet, (p) => assert.deepEqual(decodePacket(encodePacket(p)), p)), RUNS);
  });

  it('padding: unpad(pad(d, o)) = d and pad fills a bucket', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 100 }), (d, o) => {
        const padded = pad(d, o);
        assert.ok(SIZE_BUCKETS.includes(padded.length + o));
        assert.deepEqual(unpad(padded), d);
      }),
      RUNS,
    );
  });

  it('arbitrary bytes: decoders succeed canonically or throw ProtocolError, nothing else', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      fc.tuple(fc.constantFrom(0x01, 0x02, 0x03, 0x04, 0x05, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87), fc.uint8Array({ maxLength: 120 })).map(
        ([t, rest]) => Uint8Array.of(t, ...rest),
      ),
      mutated(clientFrame.map(encodeClientFrame)),
      mutated(serverFrame.map(encodeServerFrame)),
      mutated(packet.map(encodePacket)),
    );
    fc.assert(
      fc.property(anyBytes, (b) => {
        decodesCanonicallyOrThrows(decodeClientFrame, encodeClientFrame, b);
        decodesCanonicallyOrThrows(decodeServerFrame, encodeServerFrame, b);
        decodesCanonicallyOrThrows(decodePacket, encodePacket, b);
        // Padding is not canonical across sizes (any fill length is fine), so only errors are checked.
        decodesCanonicallyOrThrows(unpad, undefined, b);
      }),
      { numRuns: 1500 },
    );
  });

  it('decoders honour any maxFrameBytes: larger frames fail with FRAME_TOO_LARGE', () => {
    fc.assert(
      fc.property(clientFrame, fc.integer({ min: 1, max: 70_000 }), (f, max) => {
        const b = encodeClientFrame(f);
        if (b.length <= max) return assert.deepEqual(decodeClientFrame(b, { maxFrameBytes: max }), f);
        assert.throws(
          () => decodeClientFrame(b, { maxFrameBytes: max }),
          (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.FRAME_TOO_LARGE,
        );
      }),
      RUNS,
    );
  });
});

/**
 * `b` as it is, or mangled: a byte changed among the first `head` (where the fields are), cut short,
 * grown by up to `extra` bytes, or with the size cap lowered below it.
 */
function mangle(b: Uint8Array, head: number, extra: number): fc.Arbitrary<{ b: Uint8Array; cap: number | undefined }> {
  return fc.oneof(
    fc.constant({ b, cap: undefined as number | undefined }),
    fc.tuple(fc.integer({ min: 0, max: Math.min(b.length - 1, head) }), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
      const c = b.slice();
      c[i] = v;
      return { b: c, cap: undefined };
    }),
    fc.integer({ min: 0, max: b.length - 1 }).map((n) => ({ b: b.subarray(0, n), cap: undefined })),
    fc.uint8Array({ minLength: 1, maxLength: extra }).map((more) => ({ b: Uint8Array.of(...b, ...more), cap: undefined })),
    fc.integer({ min: 1, max: b.length }).map((cap) => ({ b, cap })),
  );
}

describe('sendFrameTtl: the SEND hot path agrees with decodeClientFrame', () => {
  /** What decodeClientFrame says of `b`: the TTL of a SEND/RESEND it accepts, else undefined. */
  const oracle = (b: Uint8Array, maxFrameBytes?: number): number | undefined => {
    try {
      const f = decodeClientFrame(b, maxFrameBytes === undefined ? undefined : { maxFrameBytes });
      return f.type === 'send' ? f.packet.ttlSeconds : undefined;
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
      return undefined;
    }
  };
  // Valid frames of every type (SEND also as RESEND), then mangled: a byte changed anywhere (the
  // header's fields above all), cut short, grown, or the size cap lowered below the frame.
  const mangled = fc
    .tuple(clientFrame, fc.boolean())
    .map(([f, resend]) => {
      const b = encodeClientFrame(f);
      if (resend && f.type === 'send') b[0] = ClientFrameType.RESEND;
      return b;
    })
    .chain((b) => mangle(b, 80, 8));

  it('returns the TTL exactly for the frames decodeClientFrame accepts as SEND or RESEND', () => {
    fc.assert(
      fc.property(mangled, ({ b, cap }) => {
        assert.equal(sendFrameTtl(b, cap === undefined ? undefined : { maxFrameBytes: cap }), oracle(b, cap));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses the named bad SENDs: wrong version, hop limit 0 and 17, TTL 0 and past 30 days, a payload length off the buckets', () => {
    const f = encodeClientFrame({
      type: 'send',
      packet: { version: 1, hopLimit: 4, destHash: new Uint8Array(32), mailboxId: new Uint8Array(16), packetId: new Uint8Array(16), ttlSeconds: 3600, payload: new Uint8Array(256) },
    });
    assert.equal(sendFrameTtl(f), 3600);
    const set = (i: number, ...v: number[]) => {
      const c = f.slice();
      c.set(v, i);
      return c;
    };
    for (const bad of [set(1, 2), set(2, 0), set(2, 17), set(67, 0, 0, 0, 0), set(67, 0, 0x27, 0x8d, 0x01), set(71, 0, 0, 1, 1)]) {
      assert.equal(sendFrameTtl(bad), undefined);
      assert.equal(oracle(bad), undefined);
    }
    assert.equal(sendFrameTtl(f, { maxFrameBytes: f.length - 1 }), undefined);
  });
});

describe('ackFrameCount: the ACK hot path agrees with decodeClientFrame', () => {
  /** What decodeClientFrame says of `b`: the ids of an ACK it accepts, else undefined. */
  const oracle = (b: Uint8Array, maxFrameBytes?: number): Uint8Array[] | undefined => {
    try {
      const f = decodeClientFrame(b, maxFrameBytes === undefined ? undefined : { maxFrameBytes });
      return f.type === 'ack' && f.tag === undefined ? f.packetIds : undefined;
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
      return undefined;
    }
  };
  const inPlace = (b: Uint8Array, maxFrameBytes?: number): Uint8Array[] | undefined => {
    const n = ackFrameCount(b, maxFrameBytes === undefined ? undefined : { maxFrameBytes });
    return n === undefined ? undefined : Array.from({ length: n }, (_, i) => b.subarray(ACK_IDS_AT + 16 * i, ACK_IDS_AT + 16 * (i + 1)));
  };
  // ACKs above all (1..MAX_ACK ids), frames of every other type too, then mangled as for SENDs:
  // a byte changed (the count's two bytes among them), cut short, grown, or the cap lowered.
  const ack = fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 300 }).map((ids) => {
    const b = new Uint8Array(ACK_IDS_AT + 16 * ids.length);
    b[0] = ClientFrameType.ACK;
    b[1] = ids.length >> 8;
    b[2] = ids.length & 0xff;
    ids.forEach((id, i) => b.set(id, ACK_IDS_AT + 16 * i));
    return b;
  });
  const mangled = fc.oneof(ack, ack, clientFrame.map((f) => encodeClientFrame(f))).chain((b) => mangle(b, 40, 20));

  it('counts exactly the ids of the frames decodeClientFrame accepts as ACK, at the offsets it reads them', () => {
    fc.assert(
      fc.property(mangled, ({ b, cap }) => {
        assert.deepEqual(inPlace(b, cap), oracle(b, cap));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses the named bad ACKs: count 0, count past 256, fewer or more ids than counted, over the cap', () => {
    const ids = (count: number, idBytes = 16 * count) => {
      const b = new Uint8Array(ACK_IDS_AT + idBytes);
      b[0] = ClientFrameType.ACK;
      b[1] = count >> 8;
      b[2] = count & 0xff;
      return b;
    };
    assert.equal(ackFrameCount(ids(256)), 256);
    for (const bad of [ids(0, 16), ids(257), ids(2, 16), ids(1, 17), ids(1, 15)]) {
      assert.equal(ackFrameCount(bad), undefined);
      assert.equal(oracle(bad), undefined);
    }
    assert.equal(ackFrameCount(ids(3), { maxFrameBytes: ACK_IDS_AT + 47 }), undefined);
  });
});

describe('ackV2FrameCount: the ACK_V2 hot path agrees with decodeClientFrame', () => {
  const oracle = (b: Uint8Array, maxFrameBytes?: number): Uint8Array[] | undefined => {
    try {
      const f = decodeClientFrame(b, maxFrameBytes === undefined ? undefined : { maxFrameBytes });
      return f.type === 'ack' && f.tag !== undefined ? f.packetIds : undefined;
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
      return undefined;
    }
  };
  const inPlace = (b: Uint8Array, maxFrameBytes?: number): Uint8Array[] | undefined => {
    const n = ackV2FrameCount(b, maxFrameBytes === undefined ? undefined : { maxFrameBytes });
    return n === undefined ? undefined : Array.from({ length: n }, (_, i) => b.subarray(ACK_IDS_AT + 16 * i, ACK_IDS_AT + 16 * (i + 1)));
  };
  // ACK_V2s (1..MAX_ACK ids and a tag), and v1 ACKs, then mangled: a byte changed, cut, grown, the cap lowered.
  const ack = fc
    .tuple(fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 300 }), fc.boolean())
    .map(([ids, v2]) => encodeOrRaw(ids, v2));
  function encodeOrRaw(ids: Uint8Array[], v2: boolean): Uint8Array {
    const b = new Uint8Array(ACK_IDS_AT + 16 * ids.length + (v2 ? 16 : 0));
    b[0] = v2 ? ClientFrameType.ACK_V2 : ClientFrameType.ACK;
    b[1] = ids.length >> 8;
    b[2] = ids.length & 0xff;
    ids.forEach((id, i) => b.set(id, ACK_IDS_AT + 16 * i));
    return b;
  }
  it('counts exactly the ids of the frames decodeClientFrame accepts as ACK_V2, at the offsets it reads them', () => {
    fc.assert(
      fc.property(ack.chain((b) => mangle(b, 40, 20)), ({ b, cap }) => {
        assert.deepEqual(inPlace(b, cap), oracle(b, cap));
      }),
      { numRuns: 2000 },
    );
  });
});
