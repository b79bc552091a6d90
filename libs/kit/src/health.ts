/**
 * Health: readiness (may this replica take traffic? every named check passes) and liveness (is
 * the process alive? the event loop answers). Reports carry check names only, never error text.
 * @module
 */

/** A readiness check: fails by throwing, rejecting or returning `false`; should honour `signal`. */
export type HealthCheck = (signal: AbortSignal) => unknown;

/** Outcome of one check. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
}

/** Outcome of all checks; `failing` lists names only. */
export interface HealthReport {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
  readonly failing: readonly string[];
}

/** Options of {@link HealthRegistry}. */
export interface HealthRegistryOptions {
  /** Per-check time limit (default 2000 ms); a check that takes longer fails. */
  timeoutMs?: number;
  /** Told why a check failed, for the service's log (the HTTP answer only names it). */
  onFailure?: (name: string, err: unknown) => void;
}

/** Name of the pseudo-check that fails readiness once shutdown began. */
export const SHUTTING_DOWN = 'shutting_down';

const _NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Named readiness and liveness checks of one process. */
export class HealthRegistry {
  readonly #ready = new Map<string, { check: HealthCheck; timeoutMs: number }>();
  readonly #live = new Map<string, () => boolean>();
  readonly #timeoutMs: number;
  readonly #onFailure: (name: string, err: unknown) => void;
  #shuttingDown = false;

  constructor(opts: HealthRegistryOptions = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 2000;
    this.#onFailure = opts.onFailure ?? (() => {});
  }

  /** Adds a readiness check (e.g. `nats`, `postgres`); returns the function that removes it. */
  addReadiness(name: string, check: HealthCheck, opts: { timeoutMs?: number } = {}): () => void {
    this.#claim(name);
    this.#ready.set(name, { check, timeoutMs: opts.timeoutMs ?? this.#timeoutMs });
    return () => this.#ready.delete(name);
  }

  /** Adds a synchronous liveness check; keep these for states only a restart fixes. */
  addLiveness(name: string, check: () => boolean): () => void {
    this.#claim(name);
    this.#live.set(name, check);
    return () => this.#live.delete(name);
  }

  /** Fails readiness from now on, so load balancers stop sending traffic before the drain. */
  setShuttingDown(): void {
    this.#shuttingDown = true;
  }

  /** Runs every readiness check in parallel, each bounded by its timeout. */
  async readiness(): Promise<HealthReport> {
    const checks = await Promise.all([...this.#ready].map(([name, c]) => this.#run(name, c.check, c.timeoutMs)));
    if (this.#shuttingDown) checks.push({ name: SHUTTING_DOWN, ok: false, ms: 0 });
    return _report(checks);
  }

  /** Runs the liveness checks; answering at all proves the event loop runs. */
  liveness(): HealthReport {
    const checks = [...this.#live].map(([name, check]) => {
      let ok = false;
      try {
        ok = check() === true;
      } catch (err) {
        this.#onFailure(name, err);
      }
      return { name, ok, ms: 0 };
    });
    return _report(checks);
  }

  #claim(name: string): void {
    if (!_NAME.test(name)) throw new RangeError(`"name" expected [a-z0-9_.-]{1,64}, got ${JSON.stringify(name)}`);
    if (this.#ready.has(name) || this.#live.has(name)) throw new RangeError(`health check "${name}" already registered`);
  }

  async #run(name: string, check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
    const started = performance.now();
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        ac.abort();
        reject(new Error(`health check timed out after ${timeoutMs} ms`));
      }, timeoutMs);
    });
    let ok = false;
    try {
      ok = (await Promise.race([Promise.resolve().then(() => check(ac.signal)), timeout])) !== false;
      if (!ok) this.#onFailure(name, new Error('health check returned false'));
    } catch (err) {
      this.#onFailure(name, err);
    } finally {
      clearTimeout(timer);
    }
    return { name, ok, ms: Math.round(performance.now() - started) };
  }
}

function _report(checks: CheckResult[]): HealthReport {
  const failing = checks.filter((c) => !c.ok).map((c) => c.name);
  return { ok: failing.length === 0, checks, failing };
}
