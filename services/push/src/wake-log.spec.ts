import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyWakeCounts, safeReason } from './wake-log.js';

describe('wake log helpers', () => {
  it('keeps a provider reason of plain short words, at most three', () => {
    assert.equal(safeReason('BadDeviceToken'), 'BadDeviceToken');
    assert.equal(safeReason('429 Too Many Requests now'), '429 Too Many');
  });

  it('drops what could carry a token or an endpoint: long words, URLs, other characters', () => {
    assert.equal(safeReason('a'.repeat(64)), 'unknown');
    assert.equal(safeReason('gone https://fcm.googleapis.com/fcm/send/abc?x=1'), 'gone');
    assert.equal(safeReason(''), 'unknown');
  });

  it('starts every outcome at zero', () => {
    assert.deepEqual(emptyWakeCounts(), { sent: 0, retry: 0, gone: 0, refused: 0, timeout: 0, givenUp: 0 });
  });
});
