/**
 * A Node script run as a child process, as the cluster runs a service's main: its environment (only
 * PATH from ours, so a test sees exactly the settings it gives), the last 8 KB of what it printed for
 * assertion messages, and its exit code.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export class ChildScript {
  readonly child: ChildProcess;
  /** The last 8,000 characters of its stdout and stderr. */
  out = '';

  constructor(script: string, env: Record<string, string>, opts: { logLevel?: string } = {}) {
    this.child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: opts.logLevel ?? 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer): void => void (this.out = (this.out + b.toString()).slice(-8000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
  }

  /** Sends `signal` (if given and it still runs) and resolves with its exit code once it is gone. */
  async exit(signal?: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const done = once(this.child, 'exit');
      if (signal) this.child.kill(signal);
      await done;
    }
    return this.child.exitCode;
  }
}
