/**
 * Challenges without server state: `u64be(stamp) || nonce(16) || HMAC-SHA256(secret, label ||
 * stamp || nonce)[0..16]`, where the stamp is the service time in ms × 1000 plus a count within the
 * ms (strictly increasing per replica). Every replica holds the same secret (the database's), so any
 * replica checks what any other minted; the stamp says how old it is, and the service keeps the last
 * stamp each writer brought, so a challenge is good for one write.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { hmacSha256, randomBytes } from '@tacit/crypto';

/** A challenge minted by a replica whose clock runs ahead of ours by up to this is still taken. */
const _FUTURE_SLACK_MS = 30_000;

/** What tells one service's challenges from another's. */
export interface ChallengeKind {
  /** The MAC's domain label, e.g. `tacit prekey challenge v1`. */
  label: string;
  /** Challenge length in bytes: 8 (stamp) + 16 (nonce) + 16 (MAC). */
  length: number;
  /** Who mints them, for the rejection message: `"challenge" was not issued by <issuer>`. */
  issuer: string;
  /** The service's typed error for a challenge not ours or not fresh (the client asks for a new one). */
  stale: (message: string) => Error;
}

/** Mints and checks challenges under one secret. */
export class StampedChallenges {
  #last = 0;
  readonly #label: Uint8Array;

  constructor(
    private readonly secret: Uint8Array,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly kind: ChallengeKind,
  ) {
    this.#label = new TextEncoder().encode(kind.label);
  }

  /** A fresh challenge. */
  mint(): Uint8Array {
    const out = new Uint8Array(this.kind.length);
    // Two challenges minted in one ms still order: the count goes in the low digits.
    this.#last = Math.max(this.#last + 1, this.now() * 1000);
    new DataView(out.buffer).setBigUint64(0, BigInt(this.#last));
    out.set(randomBytes(16), 8);
    out.set(this.tag(this.#label, out.subarray(0, 24)), 24);
    return out;
  }

  /** The stamp inside `challenge` if it is ours and fresh; else the kind's `stale` error (field `challenge`). */
  check(challenge: Uint8Array): number {
    const k = this.kind;
    if (!(challenge instanceof Uint8Array) || challenge.length !== k.length || !timingSafeEqual(this.tag(this.#label, challenge.subarray(0, 24)), challenge.subarray(24)))
      throw k.stale(`"challenge" was not issued by ${k.issuer}; ask for a new one`);
    const stamp = Number(new DataView(challenge.buffer, challenge.byteOffset, 8).getBigUint64(0));
    const age = this.now() - Math.floor(stamp / 1000);
    if (age > this.ttlMs || age < -_FUTURE_SLACK_MS) throw k.stale(`"challenge" expired: good for ${this.ttlMs} ms; ask for a new one`);
    return stamp;
  }

  /** A MAC of `data` under the secret and `label`, 16 bytes (the directory stores requester names so). */
  tag(label: Uint8Array, data: Uint8Array): Uint8Array {
    const m = new Uint8Array(label.length + data.length);
    m.set(label, 0);
    m.set(data, label.length);
    return hmacSha256(this.secret, m).subarray(0, 16);
  }
}
