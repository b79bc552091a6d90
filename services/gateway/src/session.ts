import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CryptoError, ed25519, x25519 } from '@tacit/crypto';
import type { Bus } from '@tacit/kit';
import { BUS, SETTINGS } from '@tacit/platform';
import {
  BOUND_CLAIMS_VERSION,
  channelKey,
  channelTagValid,
  CHANNEL_TAG_LEN,
  claimProofMessage,
  claimProofMessageV2,
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
import { RelayKey } from './tokens.js';

/** Mailbox ids derived in one turn of the event loop (one slice of a CLAIM's dests). */
const _DERIVE_SLICE = 128;

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
    @Inject(RelayKey) private readonly relay: RelayKey,
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
    const relayKey = version >= BOUND_CLAIMS_VERSION ? { relayKey: this.relay.publicKey } : {};
    conn.send({ type: 'welcome', version, challenge: conn.challenge, ...this.welcome, maxClaim: MAX_CLAIM, ...relayKey });
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
    // The address's and the replica's shares, checked before the proof and the mailbox ids (the
    // work): at least this many of the dests are new here (distinct dests beyond what the connection
    // holds), so a claim that cannot fit even then is refused for nothing. Charged after the ids.
    if (!this.connections.claimsFit(conn, frame.dests.length)) {
      const distinct = new Set<string>();
      for (const dest of frame.dests) distinct.add(keyOf(dest));
      if (!this.connections.claimsFit(conn, Math.max(0, distinct.size - conn.claimed.size))) return this.addressFull(conn, frame.requestId);
    }
    const bound = conn.version >= BOUND_CLAIMS_VERSION;
    if (bound !== (frame.ephemeral !== undefined)) {
      const want = bound ? 'CLAIM_V2 (with an ephemeral key)' : 'CLAIM';
      return this.replies.error(conn, ErrorCode.MALFORMED_FRAME, `"type" expected ${want} on a version ${conn.version} connection`, frame.requestId);
    }
    const ephemeral = conn.channelEphemeral;
    if (bound && ephemeral !== undefined && ephemeral !== keyOf(frame.ephemeral!)) {
      return this.badProof(conn, frame.requestId, '"ephemeral" must be the key of the connection\'s first claim');
    }
    const message = bound ? claimProofMessageV2(conn.challenge!, this.relay.publicKey, frame.ephemeral!, frame.dests) : claimProofMessage(conn.challenge!, frame.dests);
    if (!ed25519.verify(frame.peerKey, message, frame.signature)) {
      // A v2 proof made for another relay's key (a gateway in the middle showing its own) fails here too.
      return this.badProof(conn, frame.requestId, '"signature" does not prove ownership of "peerKey" for these dests at this relay');
    }
    if (bound && conn.channel === undefined) {
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(this.relay.secretKey, frame.ephemeral!);
      } catch (err) {
        if (err instanceof CryptoError) return this.badProof(conn, frame.requestId, '"ephemeral" is a low-order point');
        throw err;
      }
      conn.channel = { ephemeral: keyOf(frame.ephemeral!), key: channelKey(shared, conn.challenge!, this.relay.publicKey, frame.ephemeral!) };
    }
    // New mailboxes by key (a Map: a dest repeated in the frame is one mailbox, found in O(1)),
    // derived _DERIVE_SLICE at a time with a turn of the event loop between slices: 1,024 BLAKE3
    // ids in JS took 12–96 ms on a loaded machine, one piece every other client would wait behind.
    const fresh = new Map<string, Uint8Array>();
    for (let at = 0; at < frame.dests.length; at += _DERIVE_SLICE) {
      if (at > 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (conn.state !== 'open') return;
      }
      const end = Math.min(frame.dests.length, at + _DERIVE_SLICE);
      for (let i = at; i < end; i++) {
        const id = deriveMailboxId(frame.dests[i]!, frame.peerKey);
        const key = keyOf(id);
        if (!conn.claimed.has(key)) fresh.set(key, id);
      }
    }
    // Another claim of this connection may have taken some of them meanwhile: from here on, no await
    // until they are charged and held.
    for (const key of fresh.keys()) if (conn.claimed.has(key)) fresh.delete(key);
    // So may it have taken the connection's room (checked above before either derived).
    if (conn.claimed.size + fresh.size > this.maxClaims) {
      return this.replies.error(conn, ErrorCode.TOO_MANY_CLAIMS, `"dests" would claim ${conn.claimed.size + fresh.size} mailboxes on this connection; at most ${this.maxClaims}`, frame.requestId);
    }
    // What a client address may hold on this replica, and what the replica holds in all.
    if (!this.connections.chargeClaims(conn, fresh.size)) return this.addressFull(conn, frame.requestId);
    let subscribed = false;
    for (const [key, id] of fresh) {
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
    if (fresh.size > 0) this.drainer.redrain(conn);
  }

  /**
   * Whether a v2 ACK (`bytes`, its tag last) carries the tag of this connection's channel key: an
   * ACK deletes packets, so on a v2 connection only the client that agreed the channel may send one (a
   * gateway relaying the bytes cannot). A bad tag answers BAD_PROOF and counts as a bad proof.
   */
  ackTagValid(conn: ClientConnection, bytes: Uint8Array): boolean {
    const at = bytes.length - CHANNEL_TAG_LEN;
    const channel = conn.channel;
    if (channel !== undefined && channelTagValid(channel.key, bytes.subarray(0, at), bytes.subarray(at))) return true;
    this.badProof(conn, undefined, channel === undefined ? 'ACK before any claim on this connection' : '"tag" is not this connection\'s channel tag');
    return false;
  }

  private addressFull(conn: ClientConnection, requestId: number): void {
    this.replies.error(conn, ErrorCode.TOO_MANY_CLAIMS, 'this relay holds as many mailboxes for this address as it takes now; retry later or elsewhere', requestId);
  }

  private badProof(conn: ClientConnection, requestId: number | undefined, message: string): void {
    this.replies.error(conn, ErrorCode.BAD_PROOF, message, requestId);
    if (++conn.badProofs >= this.maxBadProofs) this.replies.close(conn, CloseCode.RATE_LIMITED, 'too many bad proofs');
  }
}
