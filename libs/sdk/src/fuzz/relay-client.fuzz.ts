// Fuzz target: RelayClient, the SDK's connection to a gateway, fed arbitrary frames by the gateway
// it connected to (one that may be malicious). The input is the gateway's messages, each a u16
// length then its bytes; the client has a send in flight (packet id 0x11…) so ACCEPTED and ERROR
// frames can name it. Checks: handing a message to the client never throws (a frame that does not
// decode closes the socket with 4400, and nothing else escapes to the socket's event handler, where
// it would be an uncaught exception); each packet id surfaces to the app at most once, with its
// padding removed; no timer is armed for longer than Node can wait; after close() the in-flight
// send is settled.
import { encodePaddedSend, encodeServerFrame, pad } from '@tacit/protocol';
import { RelayClient, type ReceivedMessage, type WebSocketLike } from '../relay-client.js';
import { expect } from './_fuzz.js';

/** A socket that hands the client's frames to no one and closes when told to. */
class FakeSocket implements WebSocketLike {
  binaryType = 'nodebuffer';
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  closes: number[] = [];

  send(): void {}

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.closes.push(code);
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
}

const PACKET_ID = new Uint8Array(16).fill(0x11);
const identity = { secretKey: new Uint8Array(32).fill(1), publicKey: new Uint8Array(32) };
const namespaceId = new Uint8Array(32).fill(2);
const recipient = new Uint8Array(32).fill(3);
const NOW = 1_795_000_000_000;
const ids = new Uint8Array(16);

// Timers the client arms (GOAWAY's reconnect, ERROR's retry) would outlive each input by up to
// 2^31 ms: while an input runs they are tracked, and cleared once it is done, as if the client had
// gone away.
const armed = new Set<ReturnType<typeof setTimeout>>();
const _setTimeout = globalThis.setTimeout;
const tracking = ((fn: () => void, ms?: number) => {
  // Node holds delays up to 2^31 - 1 ms; a longer one fires after 1 ms (with a warning).
  expect(ms === undefined || ms <= 0x7fff_ffff, `a timer of ${ms} ms, which Node fires after 1 ms`);
  const t = _setTimeout(() => {
    armed.delete(t);
    fn();
  }, ms);
  armed.add(t);
  return t;
}) as typeof setTimeout;

function messages(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o + 2 <= data.length; ) {
    const n = (data[o]! << 8) | data[o + 1]!;
    out.push(data.slice(o + 2, o + 2 + n));
    o += 2 + n;
  }
  return out;
}

export async function fuzz(data: Uint8Array): Promise<void> {
  globalThis.setTimeout = tracking;
  try {
    await run(data);
  } finally {
    globalThis.setTimeout = _setTimeout;
    for (const t of armed) clearTimeout(t);
    armed.clear();
  }
}

async function run(data: Uint8Array): Promise<void> {
  const socket = new FakeSocket();
  const surfaced = new Set<string>();
  const client = new RelayClient({
    urls: ['wss://gateway.invalid/v1'],
    namespaceId,
    identity,
    webSocket: () => socket,
    now: () => NOW,
    random: (n) => ids.slice(0, n),
    onMessage: (m: ReceivedMessage) => {
      const key = Buffer.from(m.packetId).toString('hex');
      expect(!surfaced.has(key), 'a packet id surfaced twice');
      surfaced.add(key);
    },
  });
  client.connect().catch(() => undefined);
  let settled = false;
  const sent = client.send(recipient, new Uint8Array(10), { packetId: PACKET_ID }).then(
    () => void (settled = true),
    () => void (settled = true),
  );
  socket.open();
  for (const m of messages(data)) {
    if (socket.readyState !== 1) break;
    // What ws's event dispatch would do with an exception here: crash the process.
    socket.onmessage?.({ data: Buffer.from(m) });
    await null;
  }
  await new Promise((r) => setImmediate(r));
  client.close();
  await sent;
  expect(settled, 'the send in flight did not settle on close()');
}

function framed(...frames: Uint8Array[]): Uint8Array {
  const parts = frames.flatMap((f) => [Uint8Array.of(f.length >> 8, f.length & 0xff), f]);
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** A session as a gateway runs it: WELCOME, CLAIMED, DELIVERs (one repeated), ACCEPTED, ERROR, PONG, GOAWAY. */
export function seeds(): Uint8Array[] {
  const welcome = encodeServerFrame({ type: 'welcome', version: 1, challenge: new Uint8Array(32).fill(7), maxFrameBytes: 65_611, idleTimeoutMs: 60_000, maxClaim: 1024 });
  const claimed = encodeServerFrame({ type: 'claimed', requestId: 1, count: 3 });
  const send = encodePaddedSend({ hopLimit: 8, destHash: new Uint8Array(32).fill(4), mailboxId: new Uint8Array(16).fill(5), packetId: new Uint8Array(16).fill(6), ttlSeconds: 60 }, new Uint8Array(20).fill(9));
  const packet = send.subarray(1);
  const deliver = encodeServerFrame({ type: 'deliver', packet: { version: 1, hopLimit: 8, destHash: packet.subarray(1, 33), mailboxId: packet.subarray(33, 49), packetId: packet.subarray(49, 65), ttlSeconds: 60, payload: pad(new Uint8Array(3)) } });
  const accepted = encodeServerFrame({ type: 'accepted', packetIds: [PACKET_ID] });
  const error = encodeServerFrame({ type: 'error', code: 5, ref: PACKET_ID, message: 'rate limit exceeded; slow down' });
  const pong = encodeServerFrame({ type: 'pong', nonce: new Uint8Array(8) });
  const goaway = encodeServerFrame({ type: 'goaway', reason: 0, retryAfterMs: 10 });
  return [framed(welcome, claimed, deliver, deliver, accepted), framed(welcome, error, pong, goaway), framed(welcome, Uint8Array.of(0x84, 1, 2))];
}
