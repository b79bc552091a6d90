// What the fuzz targets of this package share. A target throws for a finding and for nothing else:
// jazzer.js (fuzz/run.mjs) treats any exception as a crash and keeps the input.

/** A property the code under test broke (as opposed to an exception it threw itself). */
export class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
}

/** Throws a {@link FuzzFinding} unless `ok`. */
export function expect(ok: boolean, what: string): asserts ok {
  if (!ok) throw new FuzzFinding(what);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
