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
  libsignalSessionStart: 'libsignal-session-start',
  libsignalRatchet: 'libsignal-ratchet',
  libsignalRatchetAlternating: 'libsignal-ratchet-alternating',
} as const;

/**
 * Suffix of the rows that run a Tacit row against the `--compare` build: `tacit-drain@compare` is
 * tacit-drain on the other checkout's services, run in the same rounds as tacit-drain.
 */
export const COMPARE_SUFFIX = '@compare';

/** The `--compare` twin of a row's name. */
export function compareName(row: string): string {
  return `${row}${COMPARE_SUFFIX}`;
}

/** The row a `--compare` twin stands beside (the name itself for any other row). */
export function baseName(row: string): string {
  return row.endsWith(COMPARE_SUFFIX) ? row.slice(0, -COMPARE_SUFFIX.length) : row;
}

/** Fixed rows with no implementation yet (listed as pending in the output, never with numbers). */
export function pendingRows(implemented: readonly string[]): string[] {
  return FIXED_ROWS.filter((n) => !implemented.includes(n));
}

/**
 * Sorts rows: fixed rows in their fixed order, then the rest in registry order; a `--compare` twin
 * right after its row.
 */
export function printOrder<T extends { name: string }>(rows: readonly T[]): T[] {
  const rank = (n: string): number => {
    const i = (FIXED_ROWS as readonly string[]).indexOf(baseName(n));
    return i === -1 ? FIXED_ROWS.length : i;
  };
  const firstSeen = new Map<string, number>();
  rows.forEach((r, i) => {
    if (!firstSeen.has(baseName(r.name))) firstSeen.set(baseName(r.name), i);
  });
  const twin = (n: string): number => (n.endsWith(COMPARE_SUFFIX) ? 1 : 0);
  return rows
    .map((r, i) => ({ r, i }))
    .sort(
      (a, b) =>
        rank(a.r.name) - rank(b.r.name) ||
        firstSeen.get(baseName(a.r.name))! - firstSeen.get(baseName(b.r.name))! ||
        twin(a.r.name) - twin(b.r.name) ||
        a.i - b.i,
    )
    .map((x) => x.r);
}
