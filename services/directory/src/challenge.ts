/**
 * Registration challenges without server state, as the prekey service makes them: `u64be(stamp) ||
 * nonce(16) || HMAC-SHA256(secret, "tacit directory challenge v1" || stamp || nonce)[0..16]`, the
 * stamp being the service time in ms × 1000 plus a count within the ms. Every replica holds the same
 * secret (the database's), so any replica checks what any other minted; writes of one entry must
 * bring ever newer stamps (the entry keeps the last), so a registration cannot be replayed.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { hmacSha256, randomBytes } from '@tacit/crypto';
import { CHALLENGE_LENGTH, DirectoryError } from '@tacit/directory-core';

const _LABEL = new TextEncoder().encode('tacit directory challenge v1');
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
    const out = new Uint8Array(CHALLENGE_LENGTH);
    this.#last = Math.max(this.#last + 1, this.now() * 1000);
    new DataView(out.buffer).setBigUint64(0, BigInt(this.#last));
    out.set(randomBytes(16), 8);
    out.set(this.#mac(out.subarray(0, 24)), 24);
    return out;
  }

  /** The stamp inside `challenge` if it is ours and fresh; else DirectoryError STALE_CHALLENGE. */
  check(challenge: Uint8Array): number {
    if (!(challenge instanceof Uint8Array) || challenge.length !== CHALLENGE_LENGTH || !timingSafeEqual(this.#mac(challenge.subarray(0, 24)), challenge.subarray(24)))
      throw new DirectoryError('STALE_CHALLENGE', 'challenge', '"challenge" was not issued by this directory; ask for a new one');
    const stamp = Number(new DataView(challenge.buffer, challenge.byteOffset, 8).getBigUint64(0));
    const age = this.now() - Math.floor(stamp / 1000);
    if (age > this.ttlMs || age < -_FUTURE_SLACK_MS)
      throw new DirectoryError('STALE_CHALLENGE', 'challenge', `"challenge" expired: good for ${this.ttlMs} ms; ask for a new one`);
    return stamp;
  }

  /** A MAC of `data` under the secret and `label`, 16 bytes: how requester names are stored. */
  tag(label: Uint8Array, data: Uint8Array): Uint8Array {
    const m = new Uint8Array(label.length + data.length);
    m.set(label, 0);
    m.set(data, label.length);
    return hmacSha256(this.secret, m).subarray(0, 16);
  }

  #mac(body: Uint8Array): Uint8Array {
    return this.tag(_LABEL, body);
  }
}
