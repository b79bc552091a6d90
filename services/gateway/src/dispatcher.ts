import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS } from '@tacit/platform';
import {
  ackFrameCount,
  ackV2FrameCount,
  BOUND_CLAIMS_VERSION,
  ClientFrameType,
  CloseCode,
  decodeClientFrame,
  ErrorCode,
  FRAME_PACKET_AT,
  PACKET_ID_AT,
  ProtocolError,
  sendFrameTtl,
  type ClientFrame,
} from '@tacit/protocol';
import { AckBatcher } from './ack-batcher.js';
import type { GatewayConfig } from './config.js';
import type { ClientConnection } from './connection.js';
import { GatewayMeters } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';
import { Replies } from './replies.js';
import { Router } from './router.js';
import { Session } from './session.js';
import { GATEWAY_CLOCK, RATE_LIMITER, type Clock } from './tokens.js';
import { ReadyState } from './wsock/index.js';

/** RATE_LIMITED errors in one second after which the connection is closed (4429). */
const _STRIKES_BEFORE_CLOSE = 50;
/** In a SEND frame, where the packet id starts and ends (a rate-limited SEND's ERROR echoes it). */
const _FRAME_PACKET_ID_AT = FRAME_PACKET_AT + PACKET_ID_AT;
const _FRAME_PACKET_ID_END = _FRAME_PACKET_ID_AT + 16;

/**
 * Every frame a client sends comes through here: counted against the size cap, the connection's
 * token bucket and its address's budget (across replicas), then handed to the unit it is for —
 * SEND to the router, ACK to the ack batcher, HELLO and CLAIM to the session. A well-formed SEND or
 * ACK (nearly every frame) is checked in place; anything else is decoded whole, for its typed
 * error. Owns the connection's rate-limit strikes.
 */
@Injectable()
export class FrameDispatcher {
  private readonly maxFrameBytes: number;
  private readonly decodeOpts: { maxFrameBytes: number };
  private readonly ipRate: number;
  private readonly ipByteRate: number;
  private readonly ipClaimRate: number;

  constructor(
    @Inject(Session) private readonly session: Session,
    @Inject(Router) private readonly router: Router,
    @Inject(AckBatcher) private readonly acks: AckBatcher,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(GatewayMeters) private readonly meters: GatewayMeters,
    @Inject(GATEWAY_CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.maxFrameBytes = config.GATEWAY_MAX_FRAME_BYTES;
    this.decodeOpts = { maxFrameBytes: this.maxFrameBytes };
    this.ipRate = config.GATEWAY_IP_RATE;
    this.ipByteRate = config.GATEWAY_IP_BYTE_RATE;
    this.ipClaimRate = config.GATEWAY_IP_CLAIM_RATE;
  }

  /** One whole WebSocket message; `bytes` is its own (the SEND path keeps views of it). */
  onMessage(conn: ClientConnection, bytes: Buffer, isBinary: boolean): void {
    if (conn.state === 'closing' && conn.ws.readyState !== ReadyState.OPEN) return;
    conn.touch(this.clock.now());
    if (!isBinary) return this.replies.fail(conn, ErrorCode.MALFORMED_FRAME, 'text messages are not frames; send binary');
    if (bytes.length > this.maxFrameBytes) {
      return this.replies.fail(conn, ErrorCode.FRAME_TOO_LARGE, `frame expected at most ${this.maxFrameBytes} bytes, got ${bytes.length}`);
    }
    // Charged by work, not only by frames: every frame's bytes, against the connection's buckets
    // and the address's budgets across replicas.
    if (!conn.take(1, bytes.length) || !this.limiter.allow(conn.frameKey, this.ipRate) || !this.limiter.allow(conn.address.byteKey, this.ipByteRate, bytes.length)) {
      return this.rateLimited(conn, bytes);
    }
    if (conn.state === 'open') {
      const ttl = sendFrameTtl(bytes, this.decodeOpts);
      if (ttl !== undefined) {
        this.meters.frames.send.inc();
        // A cap on sends not yet answered: what one connection can make the gateway hold.
        if (conn.inflight >= conn.limits.maxInflight) return this.rateLimited(conn, bytes);
        return this.router.send(conn, bytes, ttl, bytes[0] === ClientFrameType.RESEND);
      }
      // So is a well-formed ACK (one per batch of deliveries): its ids are read where they lie; on a
      // v2 connection it is an ACK_V2 whose tag is checked first (HMAC-SHA256 over ≤ 4 KiB: 3.5–6 µs).
      const bound = conn.version >= BOUND_CLAIMS_VERSION;
      const acks = bound ? ackV2FrameCount(bytes, this.decodeOpts) : ackFrameCount(bytes, this.decodeOpts);
      if (acks !== undefined) {
        this.meters.frames.ack.inc();
        if (bound && !this.session.ackTagValid(conn, bytes)) return;
        return this.acks.onAck(conn, bytes, acks);
      }
    }
    let frame: ClientFrame;
    try {
      frame = decodeClientFrame(bytes, this.decodeOpts);
    } catch (err) {
      if (err instanceof ProtocolError) return this.replies.fail(conn, err.code, err.message);
      throw err;
    }
    this.meters.frames[frame.type].inc();
    if (conn.state === 'hello') {
      if (frame.type !== 'hello') return this.replies.fail(conn, ErrorCode.HELLO_REQUIRED, `expected HELLO first, got ${frame.type.toUpperCase()}`);
      return this.session.hello(conn, frame.minVersion, frame.maxVersion);
    }
    switch (frame.type) {
      case 'hello':
        return this.replies.fail(conn, ErrorCode.MALFORMED_FRAME, 'HELLO may only be sent once');
      case 'claim':
        // A claim's work grows with its destinations (a mailbox id and a subscription each): they
        // are charged as frames, on the connection and on the address, and against the address's
        // own budget of claimed destinations (GATEWAY_IP_CLAIM_RATE), all before any of that work.
        if (
          !conn.take(frame.dests.length) ||
          !this.limiter.allow(conn.frameKey, this.ipRate, frame.dests.length) ||
          !this.limiter.allow(conn.address.claimKey, this.ipClaimRate, frame.dests.length)
        ) {
          return this.rateLimited(conn, bytes, frame.requestId);
        }
        return void this.session.claim(conn, frame);
      case 'send':
        // The packet's bytes are the frame minus its type byte: kept to forward without re-encoding.
        if (conn.inflight >= conn.limits.maxInflight) return this.rateLimited(conn, bytes);
        return this.router.send(conn, bytes, frame.packet.ttlSeconds, frame.resend === true);
      case 'ack': {
        // Decoded whole (a v2 ACK, or the connection is not open): its ids are read in place all the same.
        const bound = conn.version >= BOUND_CLAIMS_VERSION;
        if (bound !== (frame.tag !== undefined)) {
          return this.replies.error(conn, ErrorCode.MALFORMED_FRAME, `"type" expected ${bound ? 'ACK_V2 (with a channel tag)' : 'ACK'} on a version ${conn.version} connection`);
        }
        if (bound && !this.session.ackTagValid(conn, bytes)) return;
        return this.acks.onAck(conn, bytes, frame.packetIds.length);
      }
      case 'ping':
        conn.send({ type: 'pong', nonce: frame.nonce });
        return;
    }
  }

  private rateLimited(conn: ClientConnection, bytes: Uint8Array, requestId?: number): void {
    const second = Math.floor(this.clock.now() / 1000);
    if (conn.strikeWindow !== second) {
      conn.strikeWindow = second;
      conn.strikes = 0;
    }
    // A SEND's packet id sits at a fixed offset: echo it so the client knows which send to retry.
    const sent = bytes[0] === ClientFrameType.SEND || bytes[0] === ClientFrameType.RESEND;
    const ref = sent && bytes.length >= _FRAME_PACKET_ID_END ? bytes.subarray(_FRAME_PACKET_ID_AT, _FRAME_PACKET_ID_END) : requestId;
    this.replies.error(conn, ErrorCode.RATE_LIMITED, 'rate limit exceeded; slow down', ref);
    if (++conn.strikes > _STRIKES_BEFORE_CLOSE) this.replies.close(conn, CloseCode.RATE_LIMITED, 'rate limit exceeded');
  }
}
