// An attacker's WebSocket: RFC 6455 by hand on a raw TCP socket. Written here rather than taken from
// `ws` because an attack does what a library will not: never read, stop halfway through a frame,
// speak before HELLO, and send frames built once (a zero mask costs no CPU per frame, so the attacker's
// process spends the machine's two cores on the relay, not on itself).
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { ed25519 } from '@tacit/crypto';
import { claimProofMessage, ClientFrameType, destHash, encodeClientFrame, mailboxId, ServerFrameType } from '@tacit/protocol';

/** The HTTP upgrade request a browser would send for /v1. */
const _UPGRADE =
  'GET /v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

/** The header of a final client frame of `opcode` announcing `length` bytes, with an all-zero mask. */
export function wsFrameHeader(length: number, opcode = 0x2): Buffer {
  const hl = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const out = Buffer.alloc(hl + 4);
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = 0x80 | length;
  else if (length < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length % 2 ** 32, 6);
  }
  return out;
}

/** One final client frame of `opcode` carrying `payload` (masked with zeros: the bytes go as they are). */
export function wsFrame(payload: Uint8Array, opcode = 0x2): Buffer {
  return Buffer.concat([wsFrameHeader(payload.length, opcode), payload]);
}

export const HELLO = encodeClientFrame({ type: 'hello', minVersion: 1, maxVersion: 1 });

/** A protocol PING (type byte, 8-byte nonce). */
export function pingFrame(nonce: number): Uint8Array {
  const f = new Uint8Array(9);
  f[0] = ClientFrameType.PING;
  new DataView(f.buffer).setUint32(5, nonce);
  return f;
}

/** A CLAIM of `dests` by `identity`, signed over `challenge` (a wrong key signs a bad proof). */
export function claimFrame(requestId: number, identity: { secretKey: Uint8Array; publicKey: Uint8Array }, challenge: Uint8Array, dests: Uint8Array[]): Uint8Array {
  const signature = ed25519.sign(identity.secretKey, claimProofMessage(challenge, dests));
  return encodeClientFrame({ type: 'claim', requestId, peerKey: identity.publicKey, signature, dests });
}

/**
 * A SEND of `payload` (a size bucket: 256, 512, … 65 536 bytes) to `recipient`'s mailbox in namespace
 * `ns` at `epoch`, as any contact who knows the recipient's key can address it.
 */
export function sendFrame(ns: Uint8Array, recipient: Uint8Array, epoch: number, payload: Uint8Array, packetId: Uint8Array = randomBytes(16)): Uint8Array {
  const dest = destHash(ns, recipient, epoch);
  return encodeClientFrame({
    type: 'send',
    packet: { version: 1, hopLimit: 8, destHash: dest, mailboxId: mailboxId(dest, recipient), packetId, ttlSeconds: 3600, payload },
  });
}

/** What a raw connection heard: the upgrade's status, server frames by type, the close code. */
export class RawWs {
  /** The HTTP status of the upgrade (101, or the refusal: 429, 503…); 0 when the socket closed first. */
  status = 0;
  /** The refusal's body (e.g. "too many connections from this address"), when the upgrade was refused. */
  refusal = '';
  /** Server frames counted by type byte (ServerFrameType). */
  readonly counts = new Map<number, number>();
  /** Error codes counted (ERROR frames). */
  readonly errors = new Map<number, number>();
  /** The close code of the server's close frame, when one was read. */
  closeCode: number | undefined;
  /** The WELCOME challenge (after {@link hello}). */
  challenge: Uint8Array | undefined;
  /** Called with each whole server message (type byte first). */
  onMessage: ((msg: Buffer) => void) | undefined;
  readonly closed: Promise<void>;
  private pending: Buffer = Buffer.alloc(0);
  /** Conditions waited for, checked after each read. */
  private readonly waiters = new Set<() => void>();
  private upgraded = false;
  private upgradeDone!: () => void;
  private readonly upgradeSeen: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.upgradeSeen = new Promise((r) => (this.upgradeDone = r));
    // Not events.once: that rejects on the 'error' (a reset) that comes before 'close'.
    this.closed = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => this.upgradeDone());
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /**
   * Opens a TCP connection from `localAddress` (any 127/8 address: each is its own client address to
   * the relay's limits) and asks for the upgrade. Resolves once the answer's status line is read (or
   * the socket closed); check {@link status}.
   */
  static async open(port: number, localAddress = '127.0.0.1'): Promise<RawWs> {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    const raw = new RawWs(socket);
    socket.setNoDelay(true);
    await Promise.race([once(socket, 'connect').catch(() => undefined), raw.closed]);
    if (!socket.destroyed) socket.write(_UPGRADE);
    await raw.upgradeSeen;
    return raw;
  }

  /** Open (101) and not closed. */
  get open(): boolean {
    return this.status === 101 && !this.socket.destroyed && this.closeCode === undefined;
  }

  /** Sends HELLO and waits for WELCOME (its challenge kept). */
  async hello(timeoutMs = 10_000): Promise<void> {
    this.send(HELLO);
    await this.waitFor(() => this.challenge !== undefined || !this.open, timeoutMs);
    if (!this.challenge) throw new Error(`no WELCOME (status ${this.status}, close ${this.closeCode})`);
  }

  /** Writes one binary message (false when the socket is gone or its buffer is full). */
  send(payload: Uint8Array): boolean {
    return this.write(wsFrame(payload));
  }

  /** Writes bytes as they are. */
  write(bytes: Uint8Array): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(bytes);
  }

  /** Resolves once the socket takes writes again, closes, or `ms` pass (never rejects). */
  drained(ms = 200): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.socket.off('drain', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.socket.once('drain', done);
      void this.closed.then(done);
    });
  }

  /** Stops reading: the kernel's buffers fill, then the relay's. */
  stopReading(): void {
    this.socket.pause();
  }

  count(type: number): number {
    return this.counts.get(type) ?? 0;
  }

  /** Resolves once `cond` holds (checked as frames arrive), the socket closes, or `timeoutMs` pass. */
  async waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
    if (cond()) return;
    await new Promise<void>((resolve) => {
      const check = () => void (cond() && done());
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(check);
      void this.closed.then(done);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Sends `frames` (SENDs) keeping at most `window` unanswered, until every one is answered (ACCEPTED
   * or ERROR) or `timeoutMs` passes; resolves to the ACCEPTED count.
   */
  async sendAll(frames: readonly Uint8Array[], window: number, timeoutMs: number): Promise<number> {
    let accepted = 0;
    let answered = 0;
    let next = 0;
    const end = Date.now() + timeoutMs;
    const before = this.onMessage;
    this.onMessage = (msg) => {
      if (msg[0] === ServerFrameType.ACCEPTED) {
        const n = msg.readUInt16BE(1);
        accepted += n;
        answered += n;
      } else if (msg[0] === ServerFrameType.ERROR) answered++;
      before?.(msg);
    };
    try {
      while (answered < frames.length && Date.now() < end && this.open) {
        while (next < frames.length && next - answered < window) this.send(frames[next++]!);
        const seen = answered;
        await this.waitFor(() => answered !== seen, 100);
      }
    } finally {
      this.onMessage = before;
    }
    return accepted;
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (!this.upgraded) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.status = Number(/^HTTP\/1\.1 (\d+)/.exec(this.pending.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      this.upgraded = true;
      this.pending = this.pending.subarray(end + 4);
      this.upgradeDone();
      if (this.status !== 101) {
        this.refusal = this.pending.toString('utf8');
        return void this.socket.destroy();
      }
    }
    let off = 0;
    const buf = this.pending;
    for (;;) {
      if (buf.length - off < 2) break;
      const op = buf[off]! & 0x0f;
      let len = buf[off + 1]! & 0x7f;
      let hl = 2;
      if (len === 126) {
        if (buf.length - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        hl = 4;
      } else if (len === 127) {
        if (buf.length - off < 10) break;
        len = buf.readUInt32BE(off + 6);
        hl = 10;
      }
      if (buf.length - off < hl + len) break;
      const payload = buf.subarray(off + hl, off + hl + len);
      off += hl + len;
      if (op === 0x8) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      else if (op === 0x2 && payload.length > 0) this.onFrame(payload);
    }
    this.pending = off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
    for (const check of [...this.waiters]) check();
  }

  private onFrame(msg: Buffer): void {
    const type = msg[0]!;
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    if (type === ServerFrameType.ERROR) {
      const code = msg.readUInt16BE(1);
      this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    } else if (type === ServerFrameType.WELCOME) {
      // WELCOME: type, version u8, challenge 32 bytes, … (protocol.md §5.2).
      this.challenge = new Uint8Array(msg.subarray(2, 34));
    }
    this.onMessage?.(msg);
  }
}
