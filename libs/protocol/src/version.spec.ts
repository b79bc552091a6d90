import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, ProtocolError } from './errors.js';
import { negotiateVersion } from './version.js';

describe(negotiateVersion.name, () => {
  it('picks the highest version in both ranges', () => {
    assert.equal(negotiateVersion(1, 1, [1]), 1);
    assert.equal(negotiateVersion(1, 3, [1, 2]), 2);
    assert.equal(negotiateVersion(2, 5, [1, 2, 3, 7]), 3);
    assert.equal(negotiateVersion(1, 9, [3, 1, 2]), 3);
  });

  it('fails with UNSUPPORTED_VERSION when the ranges do not meet', () => {
    for (const [min, max, server] of [[2, 3, [1]], [1, 1, [2, 3]], [1, 3, []]] as const) {
      assert.throws(
        () => negotiateVersion(min, max, server),
        (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.UNSUPPORTED_VERSION && e.field === 'version',
      );
    }
  });

  it('rejects malformed arguments as caller bugs', () => {
    assert.throws(() => negotiateVersion(1, 256, [1]), RangeError);
    assert.throws(() => negotiateVersion(1, 1, [0]), RangeError);
    assert.throws(() => negotiateVersion(1, 1, 1 as unknown as number[]), TypeError);
  });
});
