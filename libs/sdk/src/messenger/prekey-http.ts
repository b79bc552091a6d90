/**
 * The prekey endpoints of a relay (docs/protocol.md §13), over `fetch`: the same code in Node and
 * in browsers (the gateway allows any origin). Errors come back as `PrekeyError`s with the code and
 * field the gateway or the prekey service refused with; a relay that cannot be reached is a
 * `PrekeyError` UNAVAILABLE.
 * @module
 */
import {
  decodePrekeyErrorBody,
  decodePrekeyUploadReply,
  encodePrekeyFetch,
  PREKEY_CHALLENGE_LEN,
  PREKEY_PATH,
  PrekeyError,
  type PrekeyUploadReply,
} from '@tacit/protocol';

/** The `fetch` function shape used (the global one by default). */
export type FetchLike = (url: string, init: { method: string; body?: Uint8Array; headers?: Record<string, string>; signal?: AbortSignal }) => Promise<{
  status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}>;

/** `http(s)://host/v1/prekeys` of a relay's `ws(s)://host/v1`. */
export function prekeyBaseUrl(relay: string): string {
  const u = new URL(relay);
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new TypeError(`"relay" expected a ws:// or wss:// URL, got ${u.protocol}`);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}${PREKEY_PATH}`;
}

/** The prekey endpoints of one relay. */
export class PrekeyHttpClient {
  readonly #base: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(relay: string, opts: { fetch?: FetchLike; timeoutMs?: number } = {}) {
    this.#base = prekeyBaseUrl(relay);
    // Called through a closure: a browser's fetch called as a method of another object throws "Illegal invocation".
    this.#fetch = opts.fetch ?? ((url, init) => (globalThis.fetch as unknown as FetchLike)(url, init));
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
  }

  async #post(endpoint: string, body: Uint8Array | undefined): Promise<Uint8Array> {
    let res: Awaited<ReturnType<FetchLike>> | undefined;
    // Tried twice: a kept-alive connection the server closed just as it was reused fails without an
    // answer, and a second request on a new connection then goes through. Safe for every endpoint:
    // a second upload with the same challenge is refused (STALE_CHALLENGE) if the first arrived.
    for (let attempt = 0; res === undefined; attempt++) {
      try {
        res = await this.#fetch(`${this.#base}/${endpoint}`, {
          method: 'POST',
          ...(body ? { body, headers: { 'content-type': 'application/octet-stream' } } : {}),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (cause) {
        if (attempt === 0 && !(cause instanceof Error && cause.name === 'TimeoutError')) continue;
        throw new PrekeyError('UNAVAILABLE', 'relay', `the relay's prekey endpoint could not be reached (${cause instanceof Error ? cause.name : 'error'})`, { cause });
      }
    }
    if (res.status !== 200) throw decodePrekeyErrorBody(res.status, await res.text().catch(() => ''));
    return new Uint8Array(await res.arrayBuffer());
  }

  /** A fresh upload challenge. */
  async challenge(): Promise<Uint8Array> {
    const c = await this.#post('challenge', undefined);
    if (c.length !== PREKEY_CHALLENGE_LEN) throw new PrekeyError('MALFORMED', 'challenge', `"challenge" expected ${PREKEY_CHALLENGE_LEN} bytes, got ${c.length}`);
    return c;
  }

  /** Sends a signed upload body; what the service holds for the identity now. */
  async upload(body: Uint8Array): Promise<PrekeyUploadReply> {
    return decodePrekeyUploadReply(await this.#post('upload', body));
  }

  /** The bundle bytes at `address` (protocol.md §13.5). */
  async fetch(address: Uint8Array): Promise<Uint8Array> {
    return this.#post('fetch', encodePrekeyFetch(address));
  }
}
