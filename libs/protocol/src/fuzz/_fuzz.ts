// What the fuzz targets of this package share. A target throws for a finding and for nothing else:
// jazzer.js (fuzz/run.mjs) treats any exception as a crash and keeps the input.
import { readdirSync, readFileSync } from 'node:fs';
import { ProtocolError } from '../errors.js';

/** A property the code under test broke (as opposed to an exception it threw itself). */
export class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
}

/** Throws a {@link FuzzFinding} unless `ok`. */
export function expect(ok: boolean, what: string): asserts ok {
  if (!ok) throw new FuzzFinding(what);
}

/** `fn()`, or undefined when it threw the decoders' documented error (anything else propagates). */
export function typed<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytes of the golden vectors (libs/protocol/vectors) of the given kinds, valid and invalid. */
export function vectorBytes(...kinds: string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const dir of ['valid', 'invalid']) {
    const at = new URL(`../../vectors/${dir}/`, import.meta.url);
    for (const name of readdirSync(at)) {
      const v = JSON.parse(readFileSync(new URL(name, at), 'utf8')) as { kind: string; hex?: string; output?: { padded?: string } };
      if (!kinds.includes(v.kind)) continue;
      const hex = v.hex ?? v.output?.padded;
      if (typeof hex === 'string') out.push(Buffer.from(hex, 'hex'));
    }
  }
  return out;
}
