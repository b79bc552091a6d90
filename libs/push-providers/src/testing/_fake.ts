// What the three local providers share: programmed answers, bounded records, and hung requests
// that close() releases.
import type { AddressInfo, Server } from 'node:net';

/** One programmed answer: a status (with a provider reason or error code) or a request left hanging. */
export type FakeAnswer =
  | { readonly status: number; readonly reason?: string; readonly retryAfter?: string }
  | { readonly hang: true };

/** One wake the fake accepted. */
export interface FakeWake {
  /** The device token, or the Web Push subscription's endpoint path. */
  readonly token: string;
  /** Request headers as received (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** Request body as received (UTF-8). */
  readonly body: string;
}

/** Common surface of the local providers. */
export interface FakeProvider {
  /** Origin to point a sender at (https://127.0.0.1:port). */
  readonly url: string;
  /** The server's self-signed certificate, to trust as a CA. */
  readonly ca: string;
  /** Accepted wakes, oldest first (the first {@link MAX_RECORDED} are kept). */
  readonly wakes: readonly FakeWake[];
  /**
   * Requests that carried anything beyond the constant wake — a body other than the constant, or a
   * header that can hold an identifier (APNs apns-collapse-id/apns-id, Web Push Topic) — counted
   * whether accepted or not.
   */
  readonly carriedContent: number;
  /** Every answer given, oldest first, as `status reason` (bounded like wakes). */
  readonly answers: readonly string[];
  /** Queues `a` for the next `times` requests that pass verification (Infinity: until cleared). */
  answer(a: FakeAnswer, times?: number): void;
  /** Drops queued answers. */
  clearAnswers(): void;
  /** Refuses the configured key from now on (true) or accepts it again (false), as a revoked key is refused. */
  revokeKey(revoked?: boolean): void;
  /** Stops listening and ends every connection, hung ones included. */
  close(): Promise<void>;
}

/** Most wakes and answers a fake keeps; a benchmark's millions are counted, not kept. */
export const MAX_RECORDED = 10_000;
const _MAX_QUEUED = 1000;

export class AnswerQueue {
  private readonly queue: { answer: FakeAnswer; left: number }[] = [];

  push(answer: FakeAnswer, times = 1): void {
    if (!(times > 0)) throw new RangeError(`"times" expected > 0, got ${times}`);
    if (this.queue.length >= _MAX_QUEUED) throw new RangeError(`at most ${_MAX_QUEUED} programmed answers`);
    this.queue.push({ answer, left: times });
  }

  clear(): void {
    this.queue.length = 0;
  }

  /** The next programmed answer, or undefined for the provider's normal one. */
  next(): FakeAnswer | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    if (--head.left <= 0) this.queue.shift();
    return head.answer;
  }
}

export function record<T>(list: T[], item: T): void {
  if (list.length < MAX_RECORDED) list.push(item);
}

export function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

// Bodies the fakes read: larger than any real request, small enough that a runaway client cannot fill memory.
export const MAX_BODY = 64 * 1024;

/** What every fake keeps: its programmed answers, its records, and whether the key is refused. */
export class FakeState {
  readonly queue = new AnswerQueue();
  readonly wakes: FakeWake[] = [];
  readonly answers: string[] = [];
  /** Requests that carried more than the constant wake. */
  carried = 0;
  /** The configured key refused, as a revoked one is. */
  revoked = false;
}

/**
 * Listens on 127.0.0.1 (any free port) and resolves to the {@link FakeProvider} surface over
 * `state`, with a fake's own `extras` (getters stay live); `close` stops the server and ends its
 * connections.
 */
export async function listenFake<E extends object>(
  server: Server,
  state: FakeState,
  ca: string,
  close: () => Promise<void>,
  extras: (url: string) => E,
): Promise<FakeProvider & E> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const surface: FakeProvider = {
    url,
    ca,
    wakes: state.wakes,
    answers: state.answers,
    get carriedContent() {
      return state.carried;
    },
    answer: (a, times) => state.queue.push(a, times),
    clearAnswers: () => state.queue.clear(),
    revokeKey: (r = true) => {
      state.revoked = r;
    },
    close,
  };
  return Object.defineProperties(surface, Object.getOwnPropertyDescriptors(extras(url))) as FakeProvider & E;
}
