/**
 * Upload challenges without server state (libs/platform's {@link StampedChallenges}, labelled
 * "tacit prekey challenge v1"): uploads of one identity must bring ever newer stamps (the repository
 * keeps the last), so a challenge is good for one upload of an identity, within PREKEY_CHALLENGE_TTL_MS.
 * @module
 */
import { StampedChallenges } from '@tacit/platform';
import { PREKEY_CHALLENGE_LEN, PrekeyError } from '@tacit/protocol';

/** Mints and checks challenges under one secret; a bad or old one is {@link PrekeyError} STALE_CHALLENGE (field `challenge`). */
export class Challenges extends StampedChallenges {
  constructor(secret: Uint8Array, ttlMs: number, now: () => number) {
    super(secret, ttlMs, now, {
      label: 'tacit prekey challenge v1',
      length: PREKEY_CHALLENGE_LEN,
      issuer: 'this prekey service',
      stale: (message) => new PrekeyError('STALE_CHALLENGE', 'challenge', message),
    });
  }
}
