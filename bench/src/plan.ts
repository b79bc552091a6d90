// The order rows run in, round by round. The machine's speed drifts within minutes, so a ratio is
// only as good as the closeness in time of its two figures: each row that has a ratio runs right
// beside the reference it is divided by (its first reference that is in the run), and a
// `--compare` twin right beside its row. Every other round runs the same order backwards, so of
// any two rows neither always gets the earlier (warmer or cooler) slot, and a steady drift over
// two rounds weighs on both alike.
import { COMPARE_SUFFIX, compareName } from './rows.js';
import type { Scenario } from './scenario.js';

/** What the plan needs to know of a row. */
export type PlanRow = Pick<Scenario, 'name' | 'ratios'>;

/**
 * The order of the first round, from the rows in registry order. A reference row (one that some
 * row of the run divides by) runs amid the rows whose first reference it is, half of them before
 * it and half after; a row with a `--compare` twin has the twin on its far side from the
 * reference. Rows with no reference in the run and referenced by none keep their registry place.
 */
export function firstRoundOrder(rows: readonly PlanRow[]): string[] {
  const names = new Set(rows.map((r) => r.name));
  const isTwin = (n: string): boolean => n.endsWith(COMPARE_SUFFIX);
  const refsOf = (r: PlanRow): string[] =>
    [r.ratios?.toBaseline?.row, r.ratios?.toMeshWhisper?.row, r.ratios?.toLibsignal?.row].filter((n): n is string => n !== undefined && names.has(n));
  const anchors = new Set(rows.filter((r) => !isTwin(r.name)).flatMap(refsOf));
  const dependents = new Map<string, string[]>();
  for (const r of rows) {
    if (isTwin(r.name) || anchors.has(r.name)) continue;
    const first = refsOf(r)[0];
    if (first !== undefined) dependents.set(first, [...(dependents.get(first) ?? []), r.name]);
  }
  // A row and its twin: the row on the side nearer its reference.
  const unit = (name: string, side: 'before' | 'after'): string[] => {
    const twin = compareName(name);
    if (!names.has(twin)) return [name];
    return side === 'before' ? [twin, name] : [name, twin];
  };
  const placed = new Set<string>();
  const order: string[] = [];
  const emit = (ns: string[]): void => {
    for (const n of ns) {
      if (placed.has(n)) continue;
      placed.add(n);
      order.push(n);
    }
  };
  for (const r of rows) {
    if (placed.has(r.name)) continue;
    if (anchors.has(r.name)) {
      const deps = dependents.get(r.name) ?? [];
      const before = deps.slice(0, Math.ceil(deps.length / 2));
      const after = deps.slice(before.length);
      emit([...before.flatMap((n) => unit(n, 'before')), ...unit(r.name, 'after'), ...after.flatMap((n) => unit(n, 'after'))]);
    } else if (isTwin(r.name)) {
      // Placed with its row; one whose row is not in the run stands alone.
      if (!names.has(r.name.slice(0, -COMPARE_SUFFIX.length))) emit([r.name]);
    } else if (refsOf(r).length === 0) {
      emit(unit(r.name, 'after'));
    }
    // Any other row runs with its reference, which registry order may put after it.
  }
  return order;
}

/** Round `round` (0-based): the first round's order, backwards in every odd round. */
export function roundOrder(first: readonly string[], round: number): string[] {
  if (!(Number.isInteger(round) && round >= 0)) throw new RangeError(`"round" expected an integer >= 0, got ${round}`);
  return round % 2 === 0 ? [...first] : [...first].reverse();
}
