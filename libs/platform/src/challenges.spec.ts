import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StampedChallenges, type ChallengeKind } from './challenges.js';

class StaleError extends Error {}
const kind: ChallengeKind = { label: 'tacit demo challenge v1', length: 40, issuer: 'this demo', stale: (m) => new StaleError(m) };
const secret = new Uint8Array(32).fill(5);

describe(StampedChallenges.name, () => {
  it('checks what it minted, and any replica with the same secret does too; stamps increase within a ms', () => {
    const sut = new StampedChallenges(secret, 60_000, () => 1_000, kind);
    const other = new StampedChallenges(secret, 60_000, () => 1_000, kind);
    const [a, b] = [sut.mint(), sut.mint()];
    assert.equal(a.length, 40);
    assert.equal(other.check(a), 1_000_000);
    assert.equal(sut.check(b), 1_000_001);
  });

  it("rejects another secret's, another label's, a tampered or short challenge with the kind's error", () => {
    const sut = new StampedChallenges(secret, 60_000, () => 1_000, kind);
    const foreign = [
      new StampedChallenges(new Uint8Array(32), 60_000, () => 1_000, kind).mint(),
      new StampedChallenges(secret, 60_000, () => 1_000, { ...kind, label: 'tacit other challenge v1' }).mint(),
      sut.mint().map((x, i) => (i === 3 ? x ^ 1 : x)),
      sut.mint().subarray(0, 39),
    ];
    for (const c of foreign) assert.throws(() => sut.check(c), new StaleError('"challenge" was not issued by this demo; ask for a new one'));
  });

  it('rejects one older than the TTL, or more than 30 s from the future', () => {
    let now = 1_000_000;
    const sut = new StampedChallenges(secret, 10_000, () => now, kind);
    const c = sut.mint();
    now += 10_000;
    assert.equal(sut.check(c), 1_000_000_000);
    now += 1;
    assert.throws(() => sut.check(c), new StaleError('"challenge" expired: good for 10000 ms; ask for a new one'));
    now = 1_000_000 - 30_001;
    assert.throws(() => sut.check(c), StaleError);
  });

  it('tags data under the secret and a label, 16 bytes', () => {
    const sut = new StampedChallenges(secret, 1, () => 0, kind);
    const label = new TextEncoder().encode('x');
    assert.equal(sut.tag(label, new Uint8Array([1])).length, 16);
    assert.deepEqual(sut.tag(label, new Uint8Array([1])), sut.tag(label, new Uint8Array([1])));
    assert.notDeepEqual(sut.tag(label, new Uint8Array([1])), sut.tag(new TextEncoder().encode('y'), new Uint8Array([1])));
  });
});
