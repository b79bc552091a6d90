// Process plumbing for the harness: start a server in its own process (with the file limit
// raised to the hard limit, and a SIGUSR2 -> gc() hook so memory can be measured after a
// collection), wait for it, read its RSS and CPU time from /proc, and stop it by pid.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Resident set size of `pid` in bytes (VmRSS of /proc/<pid>/status). */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

let _clockTicks: number | undefined;
function clockTicks(): number {
  if (_clockTicks === undefined) {
    try {
      _clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      _clockTicks = 100;
    }
  }
  return _clockTicks;
}

function _statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses; fields resume after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds consumed so far by `pid` (its threads included). */
export function readCpuSeconds(pid: number): number {
  const fields = _statFields(pid);
  // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after "pid (comm)".
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** Live children of `pid` (over all its threads; /proc/<pid>/task/<tid>/children); none once it is gone. */
function _children(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (c) out.push(Number(c));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds of `pid` and every process under it: its own, its live descendants' and those of the
 * children it already reaped (cutime + cstime). PostgreSQL's work is in its backends, children of
 * the postmaster whose own time is near nothing; this is what the server spent. A descendant that
 * ends between two readings is counted by neither until its parent reaps it. Throws when `pid`
 * itself cannot be read.
 */
export function readTreeCpuSeconds(pid: number): number {
  // utime, stime, and the reaped children's cutime and cstime: fields 14–17 of stat(5).
  const all = (f: string[]): number => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  let ticks = all(_statFields(pid));
  const seen = new Set<number>([pid]);
  const todo = _children(pid);
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (seen.has(c)) continue;
    seen.add(c);
    try {
      ticks += all(_statFields(c));
    } catch {
      continue; // ended meanwhile
    }
    todo.push(..._children(c));
  }
  return ticks / clockTicks();
}

/**
 * The machine's idle time in /proc/stat's first line (idle + iowait, in clock ticks, summed over its
 * CPUs) and its CPU count (the `cpuN` lines). Throws on text that is not /proc/stat.
 */
export function parseProcStat(text: string): { idleTicks: number; cpus: number } {
  const lines = text.split('\n');
  const all = (lines[0] ?? '').trim().split(/\s+/);
  const idle = Number(all[4]) + Number(all[5]);
  const cpus = lines.filter((l) => /^cpu\d+\s/.test(l)).length;
  if (all[0] !== 'cpu' || !Number.isFinite(idle) || cpus === 0) throw new Error('"/proc/stat" expected a "cpu" line and "cpuN" lines');
  return { idleTicks: idle, cpus };
}

/**
 * Idle seconds of the whole machine so far (over all CPUs) and its CPU count; null where /proc/stat
 * cannot be read. With a tickless kernel the idle time is measured, not sampled, so it shows what a
 * per-process reading sampled at the tick cannot: how busy the machine was, whoever used it.
 */
export function readMachineIdle(): { idleSeconds: number; cpus: number } | null {
  try {
    const s = parseProcStat(readFileSync('/proc/stat', 'utf8'));
    return { idleSeconds: s.idleTicks / clockTicks(), cpus: s.cpus };
  } catch {
    return null;
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

// Every pid the harness started and has not yet seen exit: killed on the way out if a run dies.
const _live = new Set<number>();
let _exitHookInstalled = false;
function track(pid: number): void {
  _live.add(pid);
  if (_exitHookInstalled) return;
  _exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of _live) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Options of {@link startNodeProcess}. */
export interface StartOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Extra node flags placed before the script. */
  nodeFlags?: string[];
  /** Adds --expose-gc and the SIGUSR2 -> gc() hook (default true). */
  gcHook?: boolean;
  /** Open an IPC channel (for the load child). */
  ipc?: boolean;
  /** Where the child's stdout/stderr go: captured for `waitForOutput`, or inherited, or dropped. */
  output?: 'capture' | 'inherit' | 'ignore';
}

/** A process the harness started. */
export interface StartedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything it printed so far (when captured, last 64 KiB). */
  output(): string;
  /** Resolves with the first match of `re` in its output. */
  waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

const GC_HOOK = new URL('./targets/gc-hook.js', import.meta.url).href;

/**
 * Starts `node <script> <args>` with this Node binary through `sh -c 'ulimit -n <hard>; exec'`,
 * so the process keeps the pid we get and may open as many sockets as the hard limit allows.
 */
export function startNodeProcess(script: string, args: string[], opts: StartOptions = {}): StartedProcess {
  const flags = [...(opts.nodeFlags ?? [])];
  if (opts.gcHook ?? true) flags.push('--expose-gc', '--import', GC_HOOK);
  const output = opts.output ?? 'capture';
  const io = output === 'capture' ? 'pipe' : output;
  const stdio: ('pipe' | 'inherit' | 'ignore' | 'ipc')[] = ['ignore', io, io];
  if (opts.ipc) stdio.push('ipc');
  const child = spawn(
    '/bin/sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...flags, script, ...args],
    { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio },
  );
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  const pid = child.pid;
  track(pid);
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-65536);
    for (const w of waiters) w();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      _live.delete(pid);
      for (const w of waiters) w();
      resolve(code);
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  return {
    pid,
    child,
    exited,
    output: () => text,
    waitForOutput(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(text);
          if (m) return done(() => resolve(m));
          if (hasExited || child.exitCode !== null) {
            return done(() => reject(new Error(`${script} exited before printing ${re}: ${text.slice(-2000)}`)));
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${script}: no ${re} within ${timeoutMs} ms: ${text.slice(-2000)}`))),
          timeoutMs,
        );
        const done = (f: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 3000) {
      if (hasExited || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 2xx, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = new Error(`HTTP ${res.status}`);
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`, { cause: last });
}
