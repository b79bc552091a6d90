// The read side's buffers: what a WebSocket holds between two reads (a cut header, a payload still
// arriving, a fragmented message), and the copies that keep it from pinning whole read chunks.

/** A copy of `buf[from..]` in its own memory (not a view that keeps a whole read chunk alive, nor the shared pool). */
export function _own(buf: Buffer, from: number): Buffer {
  const out = Buffer.allocUnsafeSlow(buf.length - from);
  buf.copy(out, 0, from);
  return out;
}

/**
 * Copies `src` to `dst[used..]`, first growing `dst` (doubling, at most `cap` bytes) when it lacks
 * room. Input that arrives in many small pieces costs about twice its bytes and no object per piece
 * (a peer trickling a frame byte by byte cannot make the server hold one Buffer per byte).
 */
export function _append(dst: Buffer | undefined, used: number, src: Buffer, cap: number): Buffer {
  const need = used + src.length;
  if (!dst || dst.length < need) {
    const grown = Buffer.allocUnsafeSlow(Math.min(cap, Math.max(need, 2 * (dst?.length ?? 0), 256)));
    if (dst) dst.copy(grown, 0, 0, used);
    dst = grown;
  }
  src.copy(dst, used);
  return dst;
}

/** Parser state that only exists between reads: a cut header, a payload still arriving, a fragmented message. */
export class _Partial {
  /** Bytes of a frame header cut off by the end of a read (at most 13), until the rest arrives. */
  head: Buffer | undefined = undefined;
  /** The frame whose payload is still arriving: opcode, FIN, mask, length, and the (masked) bytes so far. */
  op = 0;
  fin = false;
  mask = 0;
  need = 0;
  got = 0;
  payload: Buffer | undefined = undefined;
  /**
   * The payload still arriving is skipped, not kept: a data frame that reaches a closing connection
   * (nothing will read it). `need` and `got` still count it, so the next frame is parsed in step.
   */
  skip = false;
  /** A fragmented message in progress: its opcode and the (unmasked) bytes of its fragments so far. */
  fragOp = 0;
  fragBytes = 0;
  frags: Buffer | undefined = undefined;

  get empty(): boolean {
    return this.head === undefined && this.payload === undefined && this.frags === undefined && !this.skip;
  }

  /** Bytes of memory this state holds (the buffers as allocated, which may exceed what arrived). */
  get bytes(): number {
    return (this.head?.length ?? 0) + (this.payload?.length ?? 0) + (this.frags?.length ?? 0);
  }
}
