// What the fuzz targets of this package share. A target throws for a finding and for nothing else:
// jazzer.js (fuzz/run.mjs) treats any exception as a crash and keeps the input.
import type { Duplex } from 'node:stream';

/** A property the code under test broke (as opposed to an exception it threw itself). */
export class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
}

/** Throws a {@link FuzzFinding} unless `ok`. */
export function expect(ok: boolean, what: string): asserts ok {
  if (!ok) throw new FuzzFinding(what);
}

/**
 * The raw socket under a WebSocket, synchronous: it keeps what is written and notes end and
 * destroy. (A real stream defers its events to the event loop, which a synchronous fuzz target
 * never gives back to, so they would pile up.)
 */
export class StandInSocket {
  allowHalfOpen = true;
  writable = true;
  readonly writableLength = 0;
  ended = false;
  destroyed = false;
  readonly out: Buffer[] = [];

  on(): this {
    return this;
  }

  once(): this {
    return this;
  }

  write(chunk: Uint8Array | string): boolean {
    expect(this.writable, 'wrote to a socket after ending it');
    this.out.push(Buffer.from(chunk));
    return true;
  }

  end(chunk?: Uint8Array | string): void {
    if (chunk !== undefined) this.write(chunk);
    this.writable = false;
    this.ended = true;
  }

  destroy(): void {
    this.writable = false;
    this.destroyed = true;
  }

  cork(): void {}
  uncork(): void {}

  get duplex(): Duplex {
    return this as unknown as Duplex;
  }
}

/** A client frame (masked with `key`), as a browser would send it. */
export function clientFrame(op: number, payload: Uint8Array, o: { fin?: boolean; key?: number } = {}): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0, 0x80 | n]) : n < 65_536 ? Buffer.from([0, 0x80 | 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65_536) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  head[0] = ((o.fin ?? true) ? 0x80 : 0) | op;
  const key = Buffer.alloc(4);
  key.writeUInt32BE((o.key ?? 0x12345678) >>> 0);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([head, key, body]);
}
