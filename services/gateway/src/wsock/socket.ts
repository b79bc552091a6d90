// One server-side WebSocket on a raw socket: the frame parser, the close handshake and unmasked
// sends. Built to cost little while idle: a few fields, no stream, no timer and no Buffer between
// frames, and the socket's listeners are functions shared by every connection (each finds its
// WebSocket through one property on the socket).
import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { closePayload, headerLength, isValidCloseCode, MAX_CONTROL_PAYLOAD, Opcode, unmask, writeHeader, WsCloseCode } from './frame.js';
import { ReadyState, type WsOptions } from './options.js';
import { _append, _own, _Partial } from './partial.js';

export { ReadyState, type WsHandlers, type WsOptions } from './options.js';

const _kWs = Symbol('wsock');
// Flags.
const _CLOSE_SENT = 1;
const _CLOSE_RECEIVED = 2;
/** Input is no longer parsed (a close frame arrived or the peer broke the protocol). */
const _DEAF = 4;
/** Frames up to this payload go out as one buffer (header copied in front); larger as header + payload. */
const _COPY_MAX = 4096;
const _DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
/** Pings are not answered while more than this waits to be sent (a peer that pings and never reads). */
const _PONG_BACKLOG_MAX = 1 << 20;

function _ws(socket: Duplex): WsSocket<unknown> {
  return (socket as unknown as Record<symbol, WsSocket<unknown>>)[_kWs]!;
}

function _onData(this: Duplex, chunk: Buffer): void {
  _ws(this).receive(chunk);
}

function _onClose(this: Duplex): void {
  _ws(this).closed();
}

function _ignore(): void {}

function _destroy(socket: Duplex): void {
  socket.destroy();
}

/**
 * A server-side WebSocket (RFC 6455) on an upgraded socket; made by {@link WsServer}. No extensions,
 * no subprotocols. Sends binary frames unmasked. Bad input closes the connection with the code RFC
 * 6455 names: 1002 for a protocol violation (unmasked frame, RSV bits, unknown opcode, bad control
 * frame, bad fragmentation, invalid close code), 1007 for invalid UTF-8 in a text message or close
 * reason, 1009 for a message over `maxPayload`.
 */
export class WsSocket<T = unknown> {
  /** CONNECTING (0), OPEN (1), CLOSING (2), CLOSED (3): see {@link ReadyState}. */
  readyState: number = ReadyState.OPEN;
  /** The application's state for this connection (what `WsServer.handleUpgrade`'s callback returned). */
  ctx!: T;
  private flags = 0;
  /** Close code the peer sent (1005: none in its close frame; 1006: no close frame). */
  private code: number = WsCloseCode.ABNORMAL;
  /** Input cut between reads; undefined between whole frames (an idle connection holds none). */
  private partial: _Partial | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** While reading is paused ({@link pauseReading}): the timer that resumes it. */
  private pausedUntil: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: WsOptions<T>,
    /** The upgraded socket (after the 101 response). */
    readonly socket: Duplex,
  ) {
    (socket as unknown as Record<symbol, unknown>)[_kWs] = this;
    // The peer's FIN ends our side too (the stream does it; no listener needed). An HTTP server's
    // sockets are half-open by default.
    socket.allowHalfOpen = false;
    socket.on('data', _onData);
    socket.on('close', _onClose);
    socket.on('error', _ignore);
  }

  /** Bytes written and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** True while input is held between reads: a cut frame or an unfinished fragmented message. */
  get receiving(): boolean {
    return this.partial !== undefined;
  }

  /** Bytes of memory held for input between reads (0 while no frame is cut across reads). */
  get receivingBytes(): number {
    return this.partial?.bytes ?? 0;
  }

  /** Sends one binary message (text when `binary` is false); false when the connection is not open. */
  send(data: Uint8Array, binary = true): boolean {
    if (this.readyState !== ReadyState.OPEN) return false;
    this.frame(binary ? Opcode.BINARY : Opcode.TEXT, data);
    return true;
  }

  /**
   * Writes whole frames encoded by the caller (unmasked and final, headers by {@link writeHeader}):
   * many messages in one buffer, one write; false when the connection is not open.
   */
  sendFrames(frames: Uint8Array): boolean {
    if (this.readyState !== ReadyState.OPEN) return false;
    this.socket.write(frames);
    return true;
  }

  /**
   * Stops reading the socket for `ms` (at most once at a time): its bytes wait in the kernel, and
   * TCP makes the peer wait, instead of the process reading (and refusing) what it sends.
   */
  pauseReading(ms: number): void {
    if (this.readyState !== ReadyState.OPEN || this.pausedUntil !== undefined) return;
    this.socket.pause();
    this.pausedUntil = setTimeout(() => {
      this.pausedUntil = undefined;
      if (!this.socket.destroyed) this.socket.resume();
    }, ms);
    this.pausedUntil.unref();
  }

  /** Holds writes in the socket until {@link uncork}: frames written meanwhile go out in one syscall. */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  /**
   * Starts the close handshake: sends a close frame with `code` (1000, 1001–1003, 1007–1014 or
   * 3000–4999) and `reason` (cut to 123 bytes of UTF-8), then ends the socket once the peer's close
   * frame arrives, or destroys it after the close timeout. Data arriving meanwhile is dropped, and so
   * is data input held so far: a peer that never answers must not keep its unfinished frame.
   */
  close(code: number = WsCloseCode.NORMAL, reason = ''): void {
    if (!isValidCloseCode(code)) throw new RangeError(`"code" expected a close code a peer may send, got ${code}`);
    if (this.flags & _CLOSE_SENT || this.readyState === ReadyState.CLOSED) return;
    this.sendClose(code, reason);
    this.dropInput();
    this.armTimer();
  }

  /** Destroys the socket now, without a close frame. */
  terminate(): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSING;
    this.socket.destroy();
  }

  /** Parses bytes read from the socket. (Called by the socket's shared `data` listener.) */
  receive(chunk: Buffer): void {
    if (this.flags & _DEAF || chunk.length === 0) return;
    let buf = chunk;
    let off = 0;
    const p = this.partial;
    if (p?.skip) {
      // The rest of a payload nobody will read: counted, not kept.
      off = Math.min(p.need - p.got, buf.length);
      p.got += off;
      if (p.got < p.need) return;
      p.skip = false;
    } else if (p?.payload) {
      // The rest of a payload.
      const take = Math.min(p.need - p.got, buf.length);
      p.payload = _append(p.payload, p.got, take === buf.length ? buf : buf.subarray(0, take), p.need);
      p.got += take;
      off = take;
      if (p.got < p.need) return;
      const payload = p.payload.subarray(0, p.need);
      p.payload = undefined;
      unmask(payload, 0, payload.length, p.mask);
      if (!this.onFrame(p.op, p.fin, payload)) return;
    } else if (p?.head) {
      // A header cut by the last read: join it with this one (rare; the join is at most one chunk).
      buf = Buffer.concat([p.head, buf]);
      p.head = undefined;
    }
    this.parse(buf, off);
    if (this.partial?.empty) this.partial = undefined;
  }

  private parse(buf: Buffer, off: number): void {
    while (off < buf.length) {
      const avail = buf.length - off;
      if (avail < 2) return this.keepHead(buf, off);
      const b0 = buf[off]!;
      const b1 = buf[off + 1]!;
      const op = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (b0 & 0x70) return this.fail(WsCloseCode.PROTOCOL_ERROR, 'RSV bits set without an extension');
      if (!(b1 & 0x80)) return this.fail(WsCloseCode.PROTOCOL_ERROR, 'client frames must be masked');
      let len = b1 & 0x7f;
      const fragmented = this.partial?.frags !== undefined;
      if (op >= Opcode.CLOSE) {
        if (op > Opcode.PONG) return this.fail(WsCloseCode.PROTOCOL_ERROR, `unknown opcode ${op}`);
        if (!fin) return this.fail(WsCloseCode.PROTOCOL_ERROR, 'fragmented control frame');
        if (len > MAX_CONTROL_PAYLOAD) return this.fail(WsCloseCode.PROTOCOL_ERROR, 'control frame payload over 125 bytes');
      } else if (op === Opcode.CONTINUATION) {
        // While closing, the message it continues may have been dropped (dropInput): it is dropped too.
        if (!fragmented && !(this.flags & _CLOSE_SENT)) return this.fail(WsCloseCode.PROTOCOL_ERROR, 'continuation frame without a message to continue');
      } else if (op <= Opcode.BINARY) {
        if (fragmented) return this.fail(WsCloseCode.PROTOCOL_ERROR, 'new message before the fragmented one ended');
      } else {
        return this.fail(WsCloseCode.PROTOCOL_ERROR, `unknown opcode ${op}`);
      }
      let hl = 2;
      if (len === 126) {
        hl = 4;
        if (avail < hl) return this.keepHead(buf, off);
        len = buf.readUInt16BE(off + 2);
      } else if (len === 127) {
        hl = 10;
        if (avail < hl) return this.keepHead(buf, off);
        const hi = buf.readUInt32BE(off + 2);
        // Anything past 2^53 - 1 bytes (including the forbidden top bit) is too big for anyone.
        if (hi > 0x1f_ffff) return this.fail(WsCloseCode.MESSAGE_TOO_BIG, 'payload length over 2^53 - 1');
        len = hi * 0x1_0000_0000 + buf.readUInt32BE(off + 6);
      }
      if (op < Opcode.CLOSE && (this.partial?.fragBytes ?? 0) + len > this.opts.maxPayload) {
        return this.fail(WsCloseCode.MESSAGE_TOO_BIG, `message over ${this.opts.maxPayload} bytes`);
      }
      if (avail < hl + 4) return this.keepHead(buf, off);
      const mask = buf.readUInt32BE(off + hl);
      off += hl + 4;
      if (buf.length - off < len) {
        // The payload continues in later reads.
        const p = (this.partial ??= new _Partial());
        p.op = op;
        p.fin = fin;
        p.mask = mask;
        p.need = len;
        p.got = buf.length - off;
        // Once our close is sent no data message will be read: its bytes are skipped, not held
        // (only a control frame, the peer's close among them, is still worth reading).
        if (this.flags & _CLOSE_SENT && op < Opcode.CLOSE) p.skip = true;
        else p.payload = _append(undefined, 0, buf.subarray(off), len);
        return;
      }
      const payload = buf.subarray(off, off + len);
      off += len;
      unmask(payload, 0, len, mask);
      if (!this.onFrame(op, fin, payload)) return;
    }
  }

  /** Keeps a cut header in its own few bytes (not a view that would hold the whole read). */
  private keepHead(buf: Buffer, off: number): void {
    (this.partial ??= new _Partial()).head = _own(buf, off);
  }

  /** Handles one whole frame; false when input stops (close frame, failure, destroyed). */
  private onFrame(op: number, fin: boolean, payload: Buffer): boolean {
    // Closing: data frames are dropped as they come (a fragmented message is not gathered).
    if (this.flags & _CLOSE_SENT && op < Opcode.CLOSE) return true;
    switch (op) {
      case Opcode.CONTINUATION: {
        const p = this.partial!;
        p.frags = _append(p.frags, p.fragBytes, payload, this.opts.maxPayload);
        p.fragBytes += payload.length;
        if (!fin) return true;
        const message = p.frags.subarray(0, p.fragBytes);
        p.frags = undefined;
        p.fragBytes = 0;
        return this.onMessage(p.fragOp, message);
      }
      case Opcode.TEXT:
      case Opcode.BINARY: {
        if (fin) return this.onMessage(op, payload);
        const p = (this.partial ??= new _Partial());
        p.frags = _append(undefined, 0, payload, this.opts.maxPayload);
        p.fragBytes = payload.length;
        p.fragOp = op;
        return true;
      }
      case Opcode.CLOSE:
        return this.onClose(payload);
      case Opcode.PING:
        if (!(this.flags & _CLOSE_SENT) && this.socket.writableLength <= _PONG_BACKLOG_MAX) this.frame(Opcode.PONG, payload);
        return true;
      default:
        // PONG: nothing to do (we send no pings; unsolicited pongs are allowed).
        return true;
    }
  }

  private onMessage(op: number, data: Buffer): boolean {
    if (op === Opcode.TEXT && !isUtf8(data)) {
      this.fail(WsCloseCode.INVALID_PAYLOAD, 'text message is not valid UTF-8');
      return false;
    }
    if (this.readyState === ReadyState.OPEN) this.opts.message(this, data, op === Opcode.BINARY);
    return this.readyState !== ReadyState.CLOSED && !(this.flags & _DEAF);
  }

  private onClose(payload: Buffer): boolean {
    let code: number = WsCloseCode.NO_STATUS;
    if (payload.length === 1) {
      this.fail(WsCloseCode.PROTOCOL_ERROR, 'close frame with a 1-byte payload');
      return false;
    }
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) {
        this.fail(WsCloseCode.PROTOCOL_ERROR, `invalid close code ${code}`);
        return false;
      }
      if (!isUtf8(payload.subarray(2))) {
        this.fail(WsCloseCode.INVALID_PAYLOAD, 'close reason is not valid UTF-8');
        return false;
      }
    }
    this.code = code;
    this.flags |= _CLOSE_RECEIVED | _DEAF;
    this.release();
    // Echo the peer's code (RFC 6455 §5.5.1), then end our side.
    if (!(this.flags & _CLOSE_SENT)) this.sendClose(code, '');
    this.socket.end();
    this.armTimer();
    return false;
  }

  /** Fails the connection: close frame with `code` (unless one was sent), stop reading, end the socket. */
  private fail(code: number, reason: string): void {
    this.flags |= _DEAF;
    this.release();
    if (!(this.flags & _CLOSE_SENT)) this.sendClose(code, reason);
    this.socket.end();
    this.armTimer();
  }

  private sendClose(code: number, reason: string): void {
    this.flags |= _CLOSE_SENT;
    if (this.readyState === ReadyState.OPEN) this.readyState = ReadyState.CLOSING;
    if (this.socket.writable) this.frame(Opcode.CLOSE, closePayload(code, reason));
  }

  /** Writes one unmasked, final frame. */
  private frame(op: number, data: Uint8Array): void {
    const n = data.length;
    const hl = headerLength(n);
    if (n <= _COPY_MAX) {
      const out = Buffer.allocUnsafe(hl + n);
      writeHeader(out, op, n);
      out.set(data, hl);
      this.socket.write(out);
      return;
    }
    const header = Buffer.allocUnsafe(hl);
    writeHeader(header, op, n);
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(data);
    this.socket.uncork();
  }

  /** Drops data input held between reads (a payload's rest is then skipped); the peer's close is still read. */
  private dropInput(): void {
    const p = this.partial;
    if (!p) return;
    if (p.payload && p.op < Opcode.CLOSE) {
      p.payload = undefined;
      p.skip = true;
    }
    p.frags = undefined;
    p.fragBytes = 0;
    if (p.empty) this.partial = undefined;
  }

  /** Drops partial input: a closing connection keeps no buffers. */
  private release(): void {
    this.partial = undefined;
  }

  private armTimer(): void {
    if (this.timer || this.readyState === ReadyState.CLOSED) return;
    this.timer = setTimeout(_destroy, this.opts.closeTimeoutMs ?? _DEFAULT_CLOSE_TIMEOUT_MS, this.socket);
    this.timer.unref();
  }

  /** The socket is closed. (Called by the socket's shared `close` listener.) */
  closed(): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSED;
    this.flags |= _DEAF;
    this.release();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.close(this, this.code);
  }
}
