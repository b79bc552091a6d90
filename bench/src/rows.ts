// Row names: the fixed rows of the benchmark and the reference rows ratios point at.

/** The rows the benchmark promises, by fixed name, in print order. */
export const FIXED_ROWS = [
  'baseline-ws',
  'tacit-same-gateway',
  'tacit-cross-replica',
  'tacit-enqueue',
  'tacit-drain',
  'meshwhisper-same-relay',
  'meshwhisper-offline-drain',
  'tacit-idle-connections',
] as const;

/** Reference row names the Tacit rows compare against. */
export const REF = {
  baseline: 'baseline-ws',
  baselineIdle: 'baseline-idle-connections',
  meshWhisper: 'meshwhisper-same-relay',
  meshWhisperOffline: 'meshwhisper-offline-drain',
  meshWhisperIdle: 'meshwhisper-idle-connections',
} as const;

/** Fixed rows with no implementation yet (listed as pending in the output, never with numbers). */
export function pendingRows(implemented: readonly string[]): string[] {
  return FIXED_ROWS.filter((n) => !implemented.includes(n));
}

/** Sorts rows: fixed rows in their fixed order, then the rest in registry order. */
export function printOrder<T extends { name: string }>(rows: readonly T[]): T[] {
  const rank = (n: string): number => {
    const i = (FIXED_ROWS as readonly string[]).indexOf(n);
    return i === -1 ? FIXED_ROWS.length : i;
  };
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r.name) - rank(b.r.name) || a.i - b.i)
    .map((x) => x.r);
}
