/**
 * A real client round trip through a gateway, as `helm test` and the image's smoke test run it:
 * two fresh mailboxes A and B (new identities, a random namespace) connect to the same URL — through
 * a Service, possibly to two replicas — and each sends `packets` packets to the other; it succeeds
 * once each side has received exactly what the other sent.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { newMailboxIdentity, RelayClient, type ReceivedMessage, type WebSocketLike } from '@tacit/sdk';

/** Options of {@link roundTrip}. */
export interface RoundTripOptions {
  /** Gateway URL, `ws://host:port/v1`. */
  url: string;
  /** Packets each way (default 5). */
  packets?: number;
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /**
   * Allow `ws://` to a host other than loopback (the SDK refuses it by default: a relay on a plain
   * connection can be impersonated). `helm test` sets it: it reaches the gateway's Service inside
   * the cluster, where TLS, if any, ends at the Ingress.
   */
  allowInsecure?: boolean;
}

/** What a round trip measured (no key, hash or payload). */
export interface RoundTripResult {
  packets: number;
  /** From the first connect to the last packet received. */
  ms: number;
}

/** The round trip did not complete: what was missing when time ran out. */
export class RoundTripError extends Error {
  override readonly name = 'RoundTripError';
}

/** Runs one round trip (see the module comment); rejects with {@link RoundTripError}. */
export async function roundTrip(opts: RoundTripOptions): Promise<RoundTripResult> {
  const packets = opts.packets ?? 5;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (!/^wss?:\/\//.test(opts.url)) throw new TypeError(`"url" expected ws:// or wss://, got ${JSON.stringify(opts.url)}`);
  if (!Number.isInteger(packets) || packets < 1 || packets > 10_000) throw new RangeError(`"packets" expected 1..10000, got ${packets}`);
  const namespaceId = new Uint8Array(randomBytes(32));
  const inA: ReceivedMessage[] = [];
  const inB: ReceivedMessage[] = [];
  const open = (inbox: ReceivedMessage[]) =>
    new RelayClient({
      urls: [opts.url],
      namespaceId,
      identity: newMailboxIdentity(),
      // Node 24's global WebSocket: nothing else to install in the image.
      webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
      onMessage: (m) => void inbox.push(m),
      allowInsecure: opts.allowInsecure ?? false,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
    });
  const a = open(inA);
  const b = open(inB);
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RoundTripError(`round trip through ${opts.url} incomplete after ${timeoutMs} ms: A received ${inA.length}/${packets}, B ${inB.length}/${packets}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([
      (async () => {
        await Promise.all([a.connect(), b.connect()]);
        const text = (s: string) => new TextEncoder().encode(s);
        await Promise.all([
          ...Array.from({ length: packets }, (_, i) => a.send(b.peerKey, text(`a${i}`))),
          ...Array.from({ length: packets }, (_, i) => b.send(a.peerKey, text(`b${i}`))),
        ]);
        while (inA.length < packets || inB.length < packets) await new Promise((r) => setTimeout(r, 20));
      })(),
      timeout,
    ]);
    const got = (inbox: ReceivedMessage[]) => new Set(inbox.map((m) => new TextDecoder().decode(m.payload)));
    const want = (tag: string) => new Set(Array.from({ length: packets }, (_, i) => `${tag}${i}`));
    const okA = inA.length === packets && _same(got(inA), want('b'));
    const okB = inB.length === packets && _same(got(inB), want('a'));
    if (!okA || !okB) throw new RoundTripError(`round trip through ${opts.url}: packets arrived altered or twice`);
    return { packets, ms: Math.round(performance.now() - t0) };
  } finally {
    clearTimeout(timer);
    a.close();
    b.close();
  }
}

function _same(x: Set<string>, y: Set<string>): boolean {
  return x.size === y.size && [...x].every((v) => y.has(v));
}
