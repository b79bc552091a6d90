/**
 * The prekey service's rules: challenges, uploads (decoded strictly, challenge checked, proof of
 * possession of the identity key, every signature verified, then stored under the caps) and fetches
 * (one-time keys handed out once, the last-resort key past the hourly budget or an empty pool), and
 * expiry of bundles their owners stopped caring for. No I/O but through its repository and clock.
 * @module
 */
import { randomBytes, xeddsa as defaultXeddsa, type XEdDSA } from '@tacit/crypto';
import {
  decodePrekeyUpload,
  encodePrekeyBundle,
  PREKEY_ADDRESS_LEN,
  PrekeyError,
  prekeyAddress,
  prekeyUploadProofMessage,
  type PrekeyUploadReply,
  type WireSignedPreKey,
} from '@tacit/protocol';
import { Challenges } from './challenge.js';
import type { PrekeyRepository } from './repository.js';

/** Limits of the service (settings: PREKEY_*). */
export interface PrekeyLimits {
  /** One-time prekeys of each kind one identity may hold. */
  maxPreKeys: number;
  /** Fetches per identity per hour that hand out one-time keys; then the last-resort key. */
  oneTimePerHour: number;
  /** How long a challenge stays good. */
  challengeTtlMs: number;
  /** Bundles untouched by their owner for this long are deleted. */
  bundleTtlMs: number;
}

/** Defaults of {@link PrekeyLimits} (the settings' defaults). */
export const DEFAULT_PREKEY_LIMITS: PrekeyLimits = Object.freeze({
  maxPreKeys: 200,
  oneTimePerHour: 60,
  challengeTtlMs: 120_000,
  bundleTtlMs: 90 * 86_400_000,
});

/** Options of {@link PrekeyService}. */
export interface PrekeyServiceOptions {
  repository: PrekeyRepository;
  limits?: Partial<PrekeyLimits>;
  /** The service clock (ms); specs pass a fake one. */
  now?: () => number;
  /** XEdDSA to verify with (default @tacit/crypto's, on node:crypto). */
  xeddsa?: XEdDSA;
  /** Expiry runs this often (default hourly); 0 turns the timer off (call {@link PrekeyService.expire}). */
  expireEveryMs?: number;
  /** Told when a background expiry fails (it is tried again on the next tick). */
  onExpireError?: (err: unknown) => void;
}

/** Counts of what the service did since it started (metrics read them). */
export interface PrekeyStats {
  challenges: number;
  uploadsOk: number;
  /** Refused uploads by error code. */
  uploadsRefused: Record<string, number>;
  /** One-time Curve25519 and post-quantum keys stored by uploads. */
  keysStored: number;
  /** Fetches answered with a one-time post-quantum key. */
  fetchesOneTime: number;
  /** Fetches answered with the last-resort key. */
  fetchesLastResort: number;
  fetchesNotFound: number;
  expired: number;
}

/** Identities deleted per expiry statement, so one pass never holds locks on a huge set. */
const _EXPIRE_BATCH = 1000;

/** A fetched bundle and which kind of post-quantum key it holds. */
export interface FetchedBundle {
  /** protocol.md §13.5 bytes. */
  bundle: Uint8Array;
  lastResort: boolean;
  oneTimePreKey: boolean;
}

/** Prekey bundles: their rules, over a {@link PrekeyRepository}. */
export class PrekeyService {
  readonly limits: PrekeyLimits;
  readonly #repo: PrekeyRepository;
  readonly #now: () => number;
  readonly #xeddsa: XEdDSA;
  readonly #expireEveryMs: number;
  readonly #onExpireError: (err: unknown) => void;
  #challenges: Challenges | undefined;
  #timer: NodeJS.Timeout | undefined;
  #expiring: Promise<number> | undefined;
  readonly #stats: PrekeyStats = {
    challenges: 0,
    uploadsOk: 0,
    uploadsRefused: {},
    keysStored: 0,
    fetchesOneTime: 0,
    fetchesLastResort: 0,
    fetchesNotFound: 0,
    expired: 0,
  };

  constructor(opts: PrekeyServiceOptions) {
    this.#repo = opts.repository;
    this.limits = { ...DEFAULT_PREKEY_LIMITS, ...opts.limits };
    this.#now = opts.now ?? Date.now;
    this.#xeddsa = opts.xeddsa ?? defaultXeddsa;
    this.#expireEveryMs = opts.expireEveryMs ?? 3_600_000;
    this.#onExpireError = opts.onExpireError ?? (() => undefined);
  }

  /** Loads the challenge secret (made by the first replica ever to start) and starts the expiry timer. */
  async start(): Promise<void> {
    const secret = await this.#repo.secret(randomBytes(32));
    this.#challenges = new Challenges(secret, this.limits.challengeTtlMs, this.#now);
    if (this.#expireEveryMs > 0) {
      this.#timer = setInterval(() => void this.expire().catch(this.#onExpireError), this.#expireEveryMs);
      this.#timer.unref();
    }
  }

  /** Stops the timer and waits for an expiry in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#expiring?.catch(() => undefined);
  }

  /** What the service did since it started. */
  stats(): PrekeyStats {
    return { ...this.#stats, uploadsRefused: { ...this.#stats.uploadsRefused } };
  }

  #started(): Challenges {
    if (!this.#challenges) throw new Error('PrekeyService.start() was not called');
    return this.#challenges;
  }

  /** A fresh upload challenge. */
  challenge(): Uint8Array {
    const c = this.#started().mint();
    this.#stats.challenges++;
    return c;
  }

  /**
   * Checks and stores an upload (protocol.md §13.3 bytes); resolves to what the identity holds now.
   * Throws {@link PrekeyError}: MALFORMED, BAD_KEY, TOO_LARGE (the body), STALE_CHALLENGE, BAD_PROOF,
   * BAD_SIGNATURE (naming the prekey), INCOMPLETE, TOO_MANY_PREKEYS; nothing is stored then. The
   * cheap checks come first, so a forged upload costs one HMAC or one signature check, not a hundred.
   */
  async upload(bytes: Uint8Array): Promise<PrekeyUploadReply> {
    try {
      const reply = await this.#upload(bytes);
      this.#stats.uploadsOk++;
      return reply;
    } catch (err) {
      if (err instanceof PrekeyError) this.#stats.uploadsRefused[err.code] = (this.#stats.uploadsRefused[err.code] ?? 0) + 1;
      throw err;
    }
  }

  async #upload(input: Uint8Array): Promise<PrekeyUploadReply> {
    const challenges = this.#started();
    // The decoded fields are views of the body, kept across the database call below: they must not
    // be views of a buffer the transport may fill again meanwhile.
    const bytes = Uint8Array.from(input);
    const u = decodePrekeyUpload(bytes);
    const stamp = challenges.check(u.challenge);
    const identity = u.identityKey.subarray(1);
    if (!this.#xeddsa.verify(identity, prekeyUploadProofMessage(bytes), u.signature))
      throw new PrekeyError('BAD_PROOF', 'signature', '"signature" is not the identity key\'s signature over this upload');
    const check = (k: WireSignedPreKey | undefined, field: string): void => {
      if (k && !this.#xeddsa.verify(identity, k.publicKey, k.signature))
        throw new PrekeyError('BAD_SIGNATURE', `${field}.signature`, `"${field}.signature" does not verify under "identityKey"`);
    };
    check(u.signedPreKey, 'signedPreKey');
    check(u.lastResortKyberPreKey, 'lastResortKyberPreKey');
    u.kyberPreKeys.forEach((k, i) => check(k, `kyberPreKeys[${i}]`));
    const max = this.limits.maxPreKeys;
    const r = await this.#repo.upload({
      address: prekeyAddress(u.tag, u.identityKey),
      identityKey: u.identityKey,
      registrationId: u.registrationId,
      challenge: stamp,
      nowMs: this.#now(),
      signedPreKey: u.signedPreKey,
      lastResortKyberPreKey: u.lastResortKyberPreKey,
      preKeys: u.preKeys,
      kyberPreKeys: u.kyberPreKeys,
      maxPreKeys: max,
    });
    switch (r.status) {
      case 'ok':
        this.#stats.keysStored += u.preKeys.length + u.kyberPreKeys.length;
        return { preKeys: r.preKeys, kyberPreKeys: r.kyberPreKeys, signedPreKey: r.signedPreKey, lastResortKyberPreKey: r.lastResortKyberPreKey };
      case 'stale':
        throw new PrekeyError('STALE_CHALLENGE', 'challenge', '"challenge" is not newer than the one of this identity\'s last upload; ask for a new one');
      case 'incomplete': {
        const field = r.signedPreKey || u.signedPreKey ? 'lastResortKyberPreKey' : 'signedPreKey';
        throw new PrekeyError('INCOMPLETE', field, `"${field}" is needed before one-time prekeys: the identity has none on file`);
      }
      case 'too_many_pre_keys':
        throw new PrekeyError('TOO_MANY_PREKEYS', 'preKeys', `"preKeys" would make ${r.preKeys} held + new past ${max} per identity`);
      case 'too_many_kyber_pre_keys':
        throw new PrekeyError('TOO_MANY_PREKEYS', 'kyberPreKeys', `"kyberPreKeys" would make ${r.kyberPreKeys} held + new past ${max} per identity`);
      case 'identity_mismatch':
        throw new PrekeyError('BAD_PROOF', 'identityKey', '"identityKey" is not the key of the bundle at this address');
    }
  }

  /**
   * The bundle at `address` (32 bytes), its one-time keys handed out now and never again. Throws
   * {@link PrekeyError} MALFORMED (not 32 bytes) or NOT_FOUND (no complete bundle there).
   */
  async fetch(address: Uint8Array): Promise<FetchedBundle> {
    this.#started();
    if (!(address instanceof Uint8Array) || address.length !== PREKEY_ADDRESS_LEN)
      throw new PrekeyError('MALFORMED', 'address', `"address" expected ${PREKEY_ADDRESS_LEN} bytes, got ${address instanceof Uint8Array ? address.length : typeof address}`);
    const b = await this.#repo.fetch(address, this.#now(), this.limits.oneTimePerHour);
    if (b === undefined) {
      this.#stats.fetchesNotFound++;
      throw new PrekeyError('NOT_FOUND', 'address', 'no prekey bundle at this address');
    }
    if (b.kyberLastResort) this.#stats.fetchesLastResort++;
    else this.#stats.fetchesOneTime++;
    return { bundle: encodePrekeyBundle(b), lastResort: b.kyberLastResort, oneTimePreKey: b.preKey !== undefined };
  }

  /** Deletes the bundles untouched for `bundleTtlMs`; resolves to how many. One pass at a time. */
  expire(): Promise<number> {
    this.#expiring ??= (async () => {
      const cutoff = this.#now() - this.limits.bundleTtlMs;
      let total = 0;
      for (;;) {
        const n = await this.#repo.expire(cutoff, _EXPIRE_BATCH);
        total += n;
        if (n < _EXPIRE_BATCH) break;
      }
      this.#stats.expired += total;
      return total;
    })().finally(() => {
      this.#expiring = undefined;
    });
    return this.#expiring;
  }

  /** Identities stored. */
  storedIdentities(): Promise<number> {
    return this.#repo.countIdentities();
  }
}
