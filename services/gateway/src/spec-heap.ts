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

/**
 * Heap bytes retained per item: by `n` items `make` makes, or, given `change`, by `change` applied to
 * each of them made first (after full collections on both sides; the items are kept alive through the
 * reading). The last reading is after a collection, a turn of the event loop and another: inside a
 * node:test `it`, some garbage (randomBytes' buffers) outlives the first collection and would count.
 */
export async function heapPerItem<T>(n: number, make: () => T, change?: (item: T) => unknown): Promise<number> {
  const keep: T[] = new Array<T>(n);
  if (change) for (let i = 0; i < n; i++) keep[i] = make();
  _fullGc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    if (change) change(keep[i]!);
    else keep[i] = make();
  }
  _fullGc();
  await new Promise((r) => setImmediate(r));
  _fullGc();
  const per = (process.memoryUsage().heapUsed - before) / n;
  if (keep.length !== n) throw new Error('unreachable');
  return per;
}
