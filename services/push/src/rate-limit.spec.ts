import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WindowCounter } from './rate-limit.js';

describe(WindowCounter.name, () => {
  it('allows `limit` per key per window, then again in the next window', () => {
    const sut = new WindowCounter(2, 1000, 10);
    assert.equal(sut.take('a', 0), true);
    assert.equal(sut.take('a', 10), true);
    assert.equal(sut.take('a', 20), false);
    assert.equal(sut.take('b', 20), true, 'keys are counted apart');
    assert.equal(sut.take('a', 1000), true);
  });

  it('holds at most maxKeys keys, forgetting the oldest first', () => {
    const sut = new WindowCounter(1, 1000, 3);
    for (const k of ['a', 'b', 'c', 'd', 'e']) assert.equal(sut.take(k, 0), true);
    assert.equal(sut.size, 3);
    assert.equal(sut.take('e', 1), false, 'a recent key is still counted');
    assert.equal(sut.take('a', 1), true, 'the oldest was forgotten');
  });
});
