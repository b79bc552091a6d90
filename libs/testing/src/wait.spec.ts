import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { freePort, waitFor } from './wait.js';

describe(waitFor.name, () => {
  it('resolves with the first truthy value', async () => {
    let calls = 0;
    const sut = await waitFor(() => (++calls >= 3 ? `after ${calls}` : false), { intervalMs: 1 });
    assert.equal(sut, 'after 3');
  });

  it('treats a throw as "not yet" and keeps the last one as the cause of the timeout', async () => {
    const boom = new Error('still down');
    await assert.rejects(
      waitFor(() => Promise.reject(boom), { timeoutMs: 30, intervalMs: 5, what: 'the server' }),
      (err: Error) => {
        assert.match(err.message, /timed out after 30 ms waiting for the server/);
        assert.equal(err.cause, boom);
        return true;
      },
    );
  });

  it('rejects a nonsensical interval with a RangeError naming it', async () => {
    await assert.rejects(waitFor(() => true, { intervalMs: 0 }), /"intervalMs" expected >= 1, got 0/);
  });
});

describe(freePort.name, () => {
  it('returns a loopback port that can be listened on', async () => {
    const sut = await freePort();
    assert.ok(sut > 0 && sut < 65_536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sut, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
