/**
 * Registration challenges without server state, as the prekey service makes them (libs/platform's
 * {@link StampedChallenges}, labelled "tacit directory challenge v1"): writes of one entry must
 * bring ever newer stamps (the entry keeps the last), so a registration cannot be replayed.
 * @module
 */
import { StampedChallenges } from '@tacit/platform';
import { CHALLENGE_LENGTH, DirectoryError } from '@tacit/directory-core';

/** Mints and checks challenges under one secret; a bad or old one is DirectoryError STALE_CHALLENGE. */
export class Challenges extends StampedChallenges {
  constructor(secret: Uint8Array, ttlMs: number, now: () => number) {
    super(secret, ttlMs, now, {
      label: 'tacit directory challenge v1',
      length: CHALLENGE_LENGTH,
      issuer: 'this directory',
      stale: (message) => new DirectoryError('STALE_CHALLENGE', 'challenge', message),
    });
  }
}
