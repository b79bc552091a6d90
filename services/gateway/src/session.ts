import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ed25519 } from '@tacit/crypto';
import type { Bus } from '@tacit/kit';
import { BUS, SETTINGS } from '@tacit/platform';
import {
  claimProofMessage,
  CloseCode,
  ErrorCode,
  mailboxId as deriveMailboxId,
  MAX_CLAIM,
  negotiateVersion,
  ProtocolError,
  SUPPORTED_VERSIONS,
  type ClaimFrame,
} from '@tacit/protocol';
import type { GatewayConfig } from './config.js';
import type { ClientConnection } from './connection.js';
import { Drainer } from './drainer.js';
import { Connections } from './connections.js';
import { keyOf } from './keys.js';
import { GatewayMeters } from './metrics.js';
import { Presence } from './presence.js';
import { Replies } from './replies.js';

/**
 * A connection's session: HELLO (version negotiation, the challenge a claim must sign) and CLAIM
 * (proof that the client owns the mailboxes: an Ed25519 signature over the challenge and the
 * destination hashes, by the key the mailbox ids derive from). Owns `state`, `version`, `challenge`
 * and `claimed` of the connection; a claim starts its drain.
 */
@Injectable()
export class Session {
  private readonly maxClaims: number;
  private readonly maxBadProofs: number;
  private readonly welcome: { maxFrameBytes: number; idleTimeoutMs: number };

  constructor(
    @Inject(Presence) private readonly presence: Presence,
    @Inject(Connections) private readonly connections: Connections,
    @Inject(Drainer) private readonly drainer: Drainer,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(GatewayMeters) private readonly meters: GatewayMeters,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.maxClaims = config.GATEWAY_MAX_CLAIMS;
    this.maxBadProofs = config.GATEWAY_MAX_BAD_PROOFS;
    this.welcome = { maxFrameBytes: config.GATEWAY_MAX_FRAME_BYTES, idleTimeoutMs: config.GATEWAY_IDLE_TIMEOUT_MS };
  }

  /** HELLO: agree on a version, or fail with UNSUPPORTED_VERSION; WELCOME carries a fresh challenge. */
  hello(conn: ClientConnection, min: number, max: number): void {
    let version: number;
    try {
      version = negotiateVersion(min, max, SUPPORTED_VERSIONS);
    } catch (err) {
      if (err instanceof ProtocolError) return this.replies.fail(conn, err.code, err.message);
      throw err;
    }
    conn.version = version;
    conn.challenge = randomBytes(32);
    conn.state = 'open';
    conn.send({ type: 'welcome', version, challenge: conn.challenge, ...this.welcome, maxClaim: MAX_CLAIM });
  }

  /**
   * CLAIM: within the connection's claim limit, with a valid proof, the mailboxes are claimed here
   * (served on the bus), CLAIMED answers, and the connection's queued packets start to drain. A bad
   * proof or too many claims answer a typed ERROR and change nothing; a connection that keeps
   * sending bad proofs (each costs a signature check) is closed. A claim of mailboxes already held
   * here does not start the drain again.
   */
  async claim(conn: ClientConnection, frame: ClaimFrame): Promise<void> {
    const total = conn.claimed.size + frame.dests.length;
    if (total > this.maxClaims) {
      return this.replies.error(conn, ErrorCode.TOO_MANY_CLAIMS, `"dests" would claim ${total} mailboxes on this connection; at most ${this.maxClaims}`, frame.requestId);
    }
    if (!ed25519.verify(frame.peerKey, claimProofMessage(conn.challenge!, frame.dests), frame.signature)) {
      this.replies.error(conn, ErrorCode.BAD_PROOF, '"signature" does not prove ownership of "peerKey" for these dests', frame.requestId);
      if (++conn.badProofs >= this.maxBadProofs) this.replies.close(conn, CloseCode.RATE_LIMITED, 'too many bad proofs');
      return;
    }
    const fresh: Array<{ key: string; id: Uint8Array }> = [];
    for (const dest of frame.dests) {
      const id = deriveMailboxId(dest, frame.peerKey);
      const key = keyOf(id);
      if (!conn.claimed.has(key) && !fresh.some((f) => f.key === key)) fresh.push({ key, id });
    }
    // What a client address may hold on this replica, and what the replica holds in all.
    if (!this.connections.chargeClaims(conn, fresh.length)) {
      return this.replies.error(conn, ErrorCode.TOO_MANY_CLAIMS, 'this relay holds as many mailboxes for this address as it takes now; retry later or elsewhere', frame.requestId);
    }
    let subscribed = false;
    for (const { key, id } of fresh) {
      conn.claimed.set(key);
      subscribed = this.presence.claim(key, id, conn) || subscribed;
    }
    const count = frame.dests.length;
    this.meters.m.claims.inc(count);
    // Answered (and drained) only once the bus serves the new mailboxes here: a packet sent the
    // moment the client hears CLAIMED would otherwise find no one serving its mailbox, be queued
    // after this drain had run, and wait there until the client's next drain.
    if (subscribed) await this.bus.settled();
    conn.send({ type: 'claimed', requestId: frame.requestId, count });
    if (fresh.length > 0) this.drainer.redrain(conn);
  }
}
