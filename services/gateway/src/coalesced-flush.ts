/**
 * When a batched send runs, as Nagle's algorithm decides for TCP: asked while quiet (the last run
 * was `coalesceMs` or more ago), at the end of this turn of the event loop; asked while busy, at
 * `coalesceMs` after the last run, so a loaded process sends fewer, larger messages and a quiet one
 * waits for nothing. However often it is asked before then, `run` runs once.
 */
export class CoalescedFlush {
  #scheduled = false;
  #lastRun = -Infinity;
  readonly #fire = (): void => {
    this.#scheduled = false;
    this.#lastRun = performance.now();
    this.run();
  };

  constructor(
    private readonly run: () => void,
    /** 0: every turn that asked. */
    private readonly coalesceMs: number,
  ) {}

  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const wait = this.#lastRun + this.coalesceMs - performance.now();
    if (wait <= 0) setImmediate(this.#fire);
    else setTimeout(this.#fire, wait);
  }
}
