import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerStartError } from './errors.js';
import { defaultSearchDirs, findBinary } from './binaries.js';

/** Options of `stop()`, `kill()` and `restart()`. */
export interface StopOptions {
  /**
   * Signal for the server process. Default: the server's graceful shutdown signal. `SIGKILL`
   * also kills the server's child processes at once, like a machine crash.
   */
  signal?: NodeJS.Signals;
  /** How long a graceful stop may take before it turns into SIGKILL (default 20 000 ms). */
  timeoutMs?: number;
}

/** A real server running on a loopback port, out of a temporary folder. */
export interface TestServer {
  /** TCP port on 127.0.0.1; kept across restarts. */
  readonly port: number;
  /** Process id of the running server (changes on restart; 0 while stopped). */
  readonly pid: number;
  /** Temporary folder holding the server's data and log; removed by `stop()`. */
  readonly dir: string;
  /** File the server's stdout and stderr go to. */
  readonly logFile: string;
  /** Stops the process and keeps its data; `start()` brings it back on the same port. */
  kill(options?: StopOptions): Promise<void>;
  /** Starts the server again after `kill()`, on the same port and data folder; waits until ready. */
  start(): Promise<void>;
  /** `kill(options)` then `start()`. */
  restart(options?: StopOptions): Promise<void>;
  /** Stops the process and removes its temporary folder. Safe to call twice. */
  stop(options?: StopOptions): Promise<void>;
  /** The last lines of the server's log. */
  logTail(lines?: number): string;
}

/** How to run and probe one kind of server. */
export interface _ServerSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  dir: string;
  logFile: string;
  /** Run the server as this user (numeric ids); used for PostgreSQL when we are root. */
  runAs?: { uid: number; gid: number } | undefined;
  gracefulSignal?: NodeJS.Signals;
  /** Resolves true once the server really answers. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

// Every server whose folder still exists; the exit hook and killAll() go through it.
const _all = new Set<_Server>();
let _hooked = false;

function _hookExit(): void {
  if (_hooked) return;
  _hooked = true;
  // Last resort when a test crashes or forgets stop(): nothing may outlive the test process.
  process.on('exit', () => {
    for (const server of _all) server._killSync();
  });
}

/** Pids of every process below `pid`, read from /proc (children first-level and deeper). */
export function _descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** Whether a process with this pid exists and is not a zombie. */
export function _isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function _signal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

let _setpriv: string | null | undefined;

function _findSetpriv(): string | null {
  if (_setpriv === undefined) {
    try {
      _setpriv = findBinary('setpriv', defaultSearchDirs());
    } catch {
      _setpriv = null;
    }
  }
  return _setpriv;
}

/** One server process, restartable on the same port and folder. */
export class _Server implements TestServer {
  readonly port: number;
  readonly dir: string;
  readonly logFile: string;
  private _child: ChildProcess | undefined;
  private _exited: Promise<void> = Promise.resolve();
  private _removed = false;

  constructor(
    private readonly _spec: _ServerSpec,
    port: number,
  ) {
    this.port = port;
    this.dir = _spec.dir;
    this.logFile = _spec.logFile;
  }

  get pid(): number {
    return this._child?.pid ?? 0;
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async start(): Promise<void> {
    if (this._removed) throw new Error(`${this._spec.name}: already stopped and removed`);
    if (this._child) return;
    const spec = this._spec;
    const log = openSync(spec.logFile, 'a');
    writeSync(log, `--- tacit/testing: starting ${spec.name} on port ${this.port} at ${new Date().toISOString()}\n`);
    let command = spec.command;
    let args = spec.args;
    const setpriv = _findSetpriv();
    let ids: { uid?: number; gid?: number } = {};
    if (setpriv) {
      // setpriv execs the server (same pid) with a parent-death signal, so the server dies with
      // the test process even when that process is SIGKILLed and no exit hook runs.
      const user = spec.runAs
        ? ['--reuid', String(spec.runAs.uid), '--regid', String(spec.runAs.gid), '--clear-groups']
        : [];
      args = ['--pdeathsig', 'KILL', ...user, '--', command, ...args];
      command = setpriv;
    } else if (spec.runAs) {
      ids = spec.runAs;
    }
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        cwd: spec.dir,
        env: { ...process.env, ...spec.env },
        stdio: ['ignore', log, log],
        ...ids,
      });
    } finally {
      closeSync(log);
    }
    let exitInfo: string | undefined;
    this._exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `code ${code}`;
        if (this._child === child) this._child = undefined;
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = `spawn error: ${err.message}`;
        if (this._child === child) this._child = undefined;
        resolve();
      });
    });
    this._child = child;
    _all.add(this);
    _hookExit();

    const timeoutMs = spec.readyTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      if (exitInfo !== undefined || this._child !== child) {
        throw new ServerStartError(spec.name, `exited while starting (${exitInfo})`, this.logTail());
      }
      try {
        if (await spec.ready()) return;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) {
        await this.kill({ signal: 'SIGKILL' });
        throw new ServerStartError(spec.name, `not ready after ${timeoutMs} ms`, this.logTail(), { cause: lastError });
      }
      await sleep(50);
    }
  }

  async kill({ signal, timeoutMs = 20_000 }: StopOptions = {}): Promise<void> {
    const child = this._child;
    const pid = child?.pid;
    if (!child || !pid) return;
    const sig = signal ?? this._spec.gracefulSignal ?? 'SIGTERM';
    if (sig === 'SIGKILL') {
      await this._killTree(pid);
      await this._exited;
      return;
    }
    _signal(pid, sig);
    const abort = new AbortController();
    const timedOut = await Promise.race([
      this._exited.then(() => false),
      sleep(timeoutMs, true, { signal: abort.signal }).catch(() => false),
    ]);
    abort.abort();
    if (timedOut) await this._killTree(pid);
    await this._exited;
  }

  private async _killTree(pid: number): Promise<void> {
    // Children first seen, then the parent: a SIGKILLed postmaster leaves backends holding shared
    // memory, and a new postmaster refuses to start until they are gone.
    const children = _descendants(pid);
    _signal(pid, 'SIGKILL');
    for (const c of children) _signal(c, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (children.some(_isAlive) && Date.now() < deadline) await sleep(20);
  }

  async restart(options?: StopOptions): Promise<void> {
    await this.kill(options);
    await this.start();
  }

  async stop(options?: StopOptions): Promise<void> {
    await this.kill(options);
    if (!this._removed) {
      this._removed = true;
      _all.delete(this);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Synchronous kill and clean-up for the process exit hook. */
  _killSync(): void {
    const pid = this._child?.pid;
    if (pid) {
      for (const c of _descendants(pid)) _signal(c, 'SIGKILL');
      _signal(pid, 'SIGKILL');
    }
    if (!this._removed && existsSync(this.dir)) {
      try {
        rmSync(this.dir, { recursive: true, force: true });
      } catch {
        // Best effort at exit.
      }
    }
  }
}

/** Stops every server this process started and removes their folders. */
export async function killAll(options?: StopOptions): Promise<void> {
  await Promise.all([..._all].map((s) => s.stop(options)));
}

/**
 * Calls `start` again (up to 3 tries) when the server lost the race for its port: freePort()
 * only finds a port that was free a moment ago, and parallel test files pick ports too.
 */
export async function _retryOnPortClash<T>(start: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const clash = err instanceof ServerStartError && /address already in use/i.test(err.logTail);
      if (!clash || attempt >= tries) throw err;
    }
  }
}

/**
 * Starts a server on `port` and returns it with `extra` (its URL and such); a server that fails to
 * become ready is killed before the error goes on, so no half-started process outlives the call.
 */
export async function _launch<E extends object>(spec: _ServerSpec, port: number, extra: E): Promise<_Server & E> {
  const server = new _Server(spec, port);
  try {
    await server.start();
  } catch (err) {
    await server.stop({ signal: 'SIGKILL' });
    throw err;
  }
  return Object.assign(server, extra);
}
