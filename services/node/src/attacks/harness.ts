// What the attack specs share: the one-container node in its own process (as a relay runs: its
// event loop, heap and RSS are not the attacker's), read from outside — its RSS in /proc, its data
// folder on disk, its ops endpoints — and small statistics over what a bystander measured.
import { mkdtempSync, readdirSync, readFileSync, rmSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, httpGet, waitFor } from '@tacit/testing';
import { start, type Proc } from '../procs.js';

/** How long a node may take to exit on SIGTERM before it is killed: its graceful drain is ~1 s idle. */
const _STOP_MS = 20_000;

/** The one-container node as a child process, on loopback, with its own data folder. */
export class AttackNode {
  private constructor(
    readonly proc: Proc,
    readonly port: number,
    readonly opsPort: number,
    readonly dataDir: string,
  ) {}

  /**
   * Starts `services/node` main with `env` on top of loopback listeners and a fresh DATA_DIR. Runs
   * with `--max-semi-space-size=16`, as README tells operators to (V8's young generation otherwise
   * grows to 64 MiB under a burst and stays: RSS that is not the attack's).
   */
  static async start(env: Record<string, string> = {}): Promise<AttackNode> {
    const dir = mkdtempSync(path.join(tmpdir(), 'tacit-attack-'));
    const [port, ops] = [await freePort(), await freePort()];
    const proc = start('node', {
      NODE_OPTIONS: '--max-semi-space-size=16',
      HOST: '127.0.0.1',
      PORT: String(port),
      OPS_HOST: '127.0.0.1',
      OPS_PORT: String(ops),
      MEDIA_PORT: '0',
      DATA_DIR: dir,
      ...env,
    });
    const node = new AttackNode(proc, port, ops, dir);
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`the node exited ${proc.child.exitCode}: ${proc.out}`);
        return (await node.get('/readyz').catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    return node;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1`;
  }

  get pid(): number {
    return this.proc.child.pid!;
  }

  /** An ops endpoint, on a fresh connection (see @tacit/testing httpGet). */
  get(pathname: string): Promise<{ status: number; text: string }> {
    return httpGet(`http://127.0.0.1:${this.opsPort}${pathname}`, 10_000);
  }

  /** A metric's value summed over its series (`name` without labels), from /metrics. */
  async metric(name: string, label?: string): Promise<number> {
    const { text } = await this.get('/metrics');
    let sum = 0;
    // With `label` (e.g. `code="5"`), only the series carrying it.
    const labels = label === undefined ? '(?:\\{[^}]*\\})?' : `\\{[^}]*${label}[^}]*\\}`;
    for (const m of text.matchAll(new RegExp(`^${name}${labels} (\\S+)$`, 'gm'))) sum += Number(m[1]);
    return sum;
  }

  /** The node's resident set, MiB (VmRSS in /proc/<pid>/status). */
  rssMiB(): number {
    return rssMiB(this.pid);
  }

  /** Bytes the data folder takes on disk, as `du` counts them (allocated blocks). */
  diskBytes(): number {
    return diskBytes(this.dataDir);
  }

  /**
   * SIGTERM to its pid, SIGKILL if it has not exited within {@link _STOP_MS} (a node left starved by
   * a flood may take long to drain), then the data folder goes.
   */
  async stop(): Promise<void> {
    const exited = this.proc.exit('SIGTERM');
    const timer = setTimeout(() => this.proc.child.kill('SIGKILL'), _STOP_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** VmRSS of process `pid`, MiB. */
export function rssMiB(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}

/** Bytes allocated on disk under `dir` (st_blocks × 512, as du): files written sparsely count what they hold. */
export function diskBytes(dir: string): number {
  let sum = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    try {
      sum += lstatSync(path.join(e.parentPath, e.name)).blocks * 512;
    } catch {
      // Gone between the listing and the stat (a WAL segment recycled): not there to count.
    }
  }
  return sum;
}

/**
 * Samples `f` every `everyMs` until `stop()`; `max` is the largest value seen. For RSS during an
 * attack: the peak is what an operator's limit would have to hold, not the value after.
 */
export function sampler(f: () => number, everyMs = 50): { readonly max: number; stop(): number } {
  let max = f();
  const timer = setInterval(() => {
    try {
      max = Math.max(max, f());
    } catch {
      // The process is gone: nothing more to sample.
    }
  }, everyMs);
  return {
    get max() {
      return max;
    },
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

/** The q-quantile (0..1) of `xs`, nearest rank. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const MiB = 2 ** 20;
