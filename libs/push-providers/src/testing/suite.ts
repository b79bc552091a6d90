// For the senders' specs: one local provider per describe block (imported by path, not through
// ./index.js, so code that only wants the fakes does not load node:test).
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import type { FakeProvider } from './_fake.js';

/**
 * Starts a fake for the enclosing describe block and hands it to `use` before its tests; resets its
 * programmed answers and revoked key before each test; closes it after them, asserting first that
 * no request carried content, an identifier or a mailbox id.
 */
export function fakeForSuite<F extends FakeProvider>(start: () => Promise<F>, use: (fake: F) => void): void {
  let fake: F | undefined;
  before(async () => {
    fake = await start();
    use(fake);
  });
  after(async () => {
    if (!fake) return;
    assert.equal(fake.carriedContent, 0, 'no wake carried content, an identifier or a mailbox id');
    await fake.close();
  });
  beforeEach(() => {
    fake?.clearAnswers();
    fake?.revokeKey(false);
  });
}
