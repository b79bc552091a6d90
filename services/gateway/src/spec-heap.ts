// Heap measurements for specs: what an object kept per connection costs, read from V8's heap after
// full collections (the idle-connection figures in docs/benchmarks.md come from the same objects).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let _gc: (() => void) | undefined;
/** A full collection in a spec (V8's `gc`, exposed at run time; taken once: a new context per call would count in the heap). */
function _fullGc(): void {
  if (!_gc) {
    setFlagsFromString('--expose-gc');
    _gc = runInNewContext('gc') as () => void;
  }
  _gc();
}

/** A full collection, a turn of the event loop and another: inside a node:test `it`, some garbage (randomBytes' buffers) outlives the first collection. */
async function _settledHeap(): Promise<number> {
  _fullGc();
  await new Promise((r) => setImmediate(r));
  _fullGc();
  return process.memoryUsage().heapUsed;
}

/** One reading of {@link heapPerItem}. */
async function _once<T>(n: number, make: () => T, change?: (item: T) => unknown): Promise<number> {
  const keep: T[] = new Array<T>(n);
  if (change) for (let i = 0; i < n; i++) keep[i] = make();
  const before = await _settledHeap();
  for (let i = 0; i < n; i++) {
    if (change) change(keep[i]!);
    else keep[i] = make();
  }
  const per = ((await _settledHeap()) - before) / n;
  if (keep.length !== n) throw new Error('unreachable');
  return per;
}

/**
 * Heap bytes retained per item: by `n` items `make` makes, or, given `change`, by `change` applied to
 * each of them made first (after full collections on both sides; the items are kept alive through the
 * reading). The median of three readings: the test runner's own work between two readings of one
 * (its reporting) moved a single reading by up to ~100 B an item at n = 5 000.
 */
export async function heapPerItem<T>(n: number, make: () => T, change?: (item: T) => unknown): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) readings.push(await _once(n, make, change));
  readings.sort((a, b) => a - b);
  return readings[1]!;
}
