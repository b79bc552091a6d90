import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ClaimSet } from './claims.js';
import { keyOf } from './keys.js';
import { heapPerItem } from './spec-heap.js';

describe('ClaimSet: the mailboxes one connection claimed', () => {
  const key = () => keyOf(new Uint8Array(randomBytes(16)));

  it('holds each key once, finds it, and forgets it on delete, across the switch to a Set at 17 keys', () => {
    const set = new ClaimSet();
    const keys = Array.from({ length: 20 }, key);
    for (const [i, k] of keys.entries()) {
      set.set(k).set(k);
      assert.equal(set.size, i + 1, 'a key set twice is held once');
    }
    assert.deepEqual([...set.keys()], keys, 'in claim order');
    assert.ok(keys.every((k) => set.has(k)));
    assert.equal(set.has(key()), false);
    assert.equal(set.delete(keys[3]!), true);
    assert.equal(set.delete(keys[3]!), false, 'a second delete finds nothing');
    assert.equal(set.size, 19);
    assert.deepEqual([...set.values()].map((b) => Buffer.from(b).toString('latin1')), keys.filter((_, i) => i !== 3), 'values() makes the ids back from the keys');
  });

  it('costs an idle connection with three claims little heap: the keys in one exact-size array', async () => {
    // 20 000 sets of 3 shared keys. Exact arrays: ~112 B a set (the set, the array and its 3 slots);
    // a spread (`[...few, key]`) leaves 20 slots for 3 keys, ~250 B.
    const keys = [key(), key(), key()];
    const per = await heapPerItem(20_000, () => new ClaimSet().set(keys[0]!).set(keys[1]!).set(keys[2]!));
    assert.ok(per < 160, `${per.toFixed(0)} B per set of three claims`);
  });
});
