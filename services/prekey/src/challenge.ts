/**
 * Upload challenges without server state: `u64be(stamp) || nonce(16) || HMAC-SHA256(secret,
 * "tacit prekey challenge v1" || stamp || nonce)[0..16]`, where the stamp is the service time in ms
 * × 1000 plus a count within the ms (strictly increasing per replica). Every replica holds the same
 * secret (the database's), so any replica checks what any other minted; the stamp says how old it is,
 * and uploads of one identity must bring ever newer stamps (the repository keeps the last), so a
 * challenge is good for one upload of an identity, within PREKEY_CHALLENGE_TTL_MS.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { hmacSha256, randomBytes } from '@tacit/crypto';
import { PREKEY_CHALLENGE_LEN, PrekeyError } from '@tacit/protocol';

const _LABEL = new TextEncoder().encode('tacit prekey challenge v1');
/** A challenge minted by a replica whose clock runs ahead of ours by up to this is still taken. */
const _FUTURE_SLACK_MS = 30_000;

/** Mints and checks challenges under one secret. */
export class Challenges {
  #last = 0;

  constructor(
    private readonly secret: Uint8Array,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** A fresh challenge. */
  mint(): Uint8Array {
    const out = new Uint8Array(PREKEY_CHALLENGE_LEN);
    // Two challenges minted in one ms still order: the count goes in the low digits.
    this.#last = Math.max(this.#last + 1, this.now() * 1000);
    new DataView(out.buffer).setBigUint64(0, BigInt(this.#last));
    out.set(randomBytes(16), 8);
    out.set(this.#mac(out.subarray(0, 24)), 24);
    return out;
  }

  /**
   * The stamp inside `challenge` if it is ours and fresh; else {@link PrekeyError} STALE_CHALLENGE
   * (field `challenge`): the client asks for a new one.
   */
  check(challenge: Uint8Array): number {
    if (challenge.length !== PREKEY_CHALLENGE_LEN || !timingSafeEqual(this.#mac(challenge.subarray(0, 24)), challenge.subarray(24)))
      throw new PrekeyError('STALE_CHALLENGE', 'challenge', '"challenge" was not issued by this prekey service; ask for a new one');
    const stamp = Number(new DataView(challenge.buffer, challenge.byteOffset, 8).getBigUint64(0));
    const age = this.now() - Math.floor(stamp / 1000);
    if (age > this.ttlMs || age < -_FUTURE_SLACK_MS)
      throw new PrekeyError('STALE_CHALLENGE', 'challenge', `"challenge" expired: good for ${this.ttlMs} ms; ask for a new one`);
    return stamp;
  }

  #mac(body: Uint8Array): Uint8Array {
    const m = new Uint8Array(_LABEL.length + body.length);
    m.set(_LABEL, 0);
    m.set(body, _LABEL.length);
    return hmacSha256(this.secret, m).subarray(0, 16);
  }
}
