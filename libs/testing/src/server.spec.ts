import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ServerStartError } from './errors.js';
import { startRedis } from './redis.js';
import { _isAlive, _retryOnPortClash } from './server.js';
import { waitFor } from './wait.js';

const indexJs = fileURLToPath(new URL('./index.js', import.meta.url));

/** Runs a script in a child node process that prints one JSON line, then leaves it to `finish`. */
async function child(script: string, finish: 'exit' | 'SIGKILL'): Promise<{ pid: number; dir: string }> {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  const line = await waitFor(() => out.split('\n')[0] && out.includes('\n') && out.split('\n')[0], { timeoutMs: 30_000 });
  const started = JSON.parse(line) as { pid: number; dir: string };
  if (finish === 'SIGKILL') proc.kill('SIGKILL');
  await exited;
  return started;
}

describe('server lifecycle', () => {
  it('leaves no server behind when the test process exits without stop()', async () => {
    const started = await child(
      `import { startRedis } from ${JSON.stringify(indexJs)};
       const s = await startRedis();
       console.log(JSON.stringify({ pid: s.pid, dir: s.dir }));
       process.exit(0);`,
      'exit',
    );
    await waitFor(() => !_isAlive(started.pid), { timeoutMs: 5_000, what: 'the orphan to die' });
    assert.equal(existsSync(started.dir), false);
  });

  it('leaves no server running when the test process is SIGKILLed', async () => {
    const started = await child(
      `import { startRedis } from ${JSON.stringify(indexJs)};
       const s = await startRedis();
       console.log(JSON.stringify({ pid: s.pid, dir: s.dir }));
       setInterval(() => {}, 1000);`,
      'SIGKILL',
    );
    await waitFor(() => !_isAlive(started.pid), { timeoutMs: 5_000, what: 'the orphan to die' });
    // Nothing ran in the killed process to remove its folder; a later tmp clean-up would.
    rmSync(started.dir, { recursive: true, force: true });
  });

  it('throws ServerStartError with the tail of the log when the server exits while starting', async () => {
    await assert.rejects(startRedis({ args: ['--no-such-directive', 'x'] }), (err: unknown) => {
      assert.ok(err instanceof ServerStartError);
      assert.equal(err.server, 'redis-server');
      assert.match(err.message, /exited while starting/);
      assert.match(err.logTail, /no-such-directive/);
      return true;
    });
  });

  it('tries again when the server lost the race for its port, and only then', async () => {
    let calls = 0;
    const sut = await _retryOnPortClash(async () => {
      if (++calls === 1) throw new ServerStartError('x', 'exited', 'bind: Address already in use');
      return 'started';
    });
    assert.deepEqual([sut, calls], ['started', 2]);

    calls = 0;
    const other = new ServerStartError('x', 'exited', 'FATAL: bad setting');
    await assert.rejects(_retryOnPortClash(async () => {
      calls++;
      throw other;
    }), other);
    assert.equal(calls, 1);
  });
});
