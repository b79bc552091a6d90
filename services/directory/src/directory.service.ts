/**
 * The directory's rules: challenges, registrations (proof of possession of the control key), lookups,
 * transfers (the owner's grant and the new owner's proof) and releases (the owner's grant), each
 * counted against its requester's rate limit first. No I/O but through its repository and clock.
 * It never sees a handle or a namespace: entries are addressed by `entryId(policy, lookupKey)`.
 * @module
 */
import { randomBytes } from '@tacit/crypto';
import {
  assertRecordShape,
  controlKeyHash,
  decodeGrant,
  DirectoryError,
  entryId,
  KEY_LENGTH,
  recordHash,
  verifyGrant,
  verifyRegistration,
  type DirectoryErrorCode,
  type OwnershipPolicy,
} from '@tacit/directory-core';
import { DIRECTORY_LIMITS } from '@tacit/proto';
import { Challenges } from './challenge.js';
import type { DirectoryRepository, StoredEntry, WriteStatus } from './repository.js';

/** Limits of the service (settings: DIRECTORY_*). */
export interface DirectoryLimits {
  /** Lookups per requester per minute. */
  lookupsPerMinute: number;
  /** Registrations, transfers and releases per requester per hour. */
  writesPerHour: number;
  /** How long a challenge stays good. */
  challengeTtlMs: number;
}

/** Defaults of {@link DirectoryLimits} (the settings' defaults). */
export const DEFAULT_DIRECTORY_LIMITS: DirectoryLimits = Object.freeze({ lookupsPerMinute: 60, writesPerHour: 30, challengeTtlMs: 120_000 });

/** Options of {@link DirectoryService}. */
export interface DirectoryServiceOptions {
  repository: DirectoryRepository;
  limits?: Partial<DirectoryLimits>;
  /** The service clock (ms); specs pass a fake one. */
  now?: () => number;
  /** Old request counts are swept this often (default 10 minutes); 0 turns the timer off. */
  sweepEveryMs?: number;
  /** Told when a background sweep fails (it is tried again on the next tick). */
  onSweepError?: (err: unknown) => void;
}

/** What the caller of every request says about it. */
interface _Addressed {
  policy: OwnershipPolicy;
  /** 32 bytes. */
  lookupKey: Uint8Array;
  /** Who asks (the gateway: the client's address); rate limits count per requester. */
  requester: string;
}

/** A registration. */
export interface RegisterInput extends _Addressed {
  record: Uint8Array;
  controlKey: Uint8Array;
  challenge: Uint8Array;
  proof: Uint8Array;
}

/** A transfer: the owner's grant, the new owner's record and proof. */
export interface TransferInput extends _Addressed {
  grant: Uint8Array;
  record: Uint8Array;
  challenge: Uint8Array;
  proof: Uint8Array;
}

/** A release: the owner's grant. */
export interface ReleaseInput extends _Addressed {
  grant: Uint8Array;
}

/** What a lookup finds. */
export interface LookupResult {
  record: Uint8Array;
  sequence: number;
}

/** The operations whose outcomes are counted. */
export type DirectoryOp = 'register' | 'lookup' | 'transfer' | 'release';

/** Counts of what the service did since it started (metrics read them): outcome `ok` or the error code, per operation. */
export interface DirectoryStats {
  challenges: number;
  outcomes: Record<DirectoryOp, Record<string, number>>;
}

const _LOOKUP = 1;
const _WRITE = 2;
const _MINUTE = 60_000;
const _HOUR = 3_600_000;
const _REQUESTER = new TextEncoder().encode('tacit directory requester v1');

function _malformed(field: string, message: string): DirectoryError {
  return new DirectoryError('MALFORMED', field, message);
}

function _key(b: unknown, field: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== KEY_LENGTH) {
    throw _malformed(field, `"${field}" expected ${KEY_LENGTH} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`);
  }
  return b;
}

/** Refusals of a write status other than ok. */
const _WRITE_REFUSAL: Readonly<Record<Exclude<WriteStatus, 'ok'>, [DirectoryErrorCode, string, string]>> = {
  stale: ['STALE_CHALLENGE', 'challenge', '"challenge" is not newer than the entry\'s last write; ask for a new one'],
  taken: ['TAKEN', 'lookupKey', 'the handle is registered to another key'],
  not_found: ['NOT_FOUND', 'lookupKey', 'no such handle'],
  not_owner: ['NOT_OWNER', 'grant.ownerKey', 'the entry changed owner meanwhile'],
  replayed: ['REPLAYED', 'grant.sequence', 'the entry changed meanwhile'],
};

function _written(r: { status: WriteStatus; sequence: number }): { sequence: number } {
  if (r.status === 'ok') return { sequence: r.sequence };
  const [code, field, message] = _WRITE_REFUSAL[r.status];
  throw new DirectoryError(code, field, message);
}

/** The username directory: its rules, over a {@link DirectoryRepository}. */
export class DirectoryService {
  readonly limits: DirectoryLimits;
  readonly #repo: DirectoryRepository;
  readonly #now: () => number;
  readonly #sweepEveryMs: number;
  readonly #onSweepError: (err: unknown) => void;
  #challenges: Challenges | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;
  readonly #stats: DirectoryStats = { challenges: 0, outcomes: { register: {}, lookup: {}, transfer: {}, release: {} } };

  constructor(opts: DirectoryServiceOptions) {
    this.#repo = opts.repository;
    this.limits = { ...DEFAULT_DIRECTORY_LIMITS, ...opts.limits };
    this.#now = opts.now ?? Date.now;
    this.#sweepEveryMs = opts.sweepEveryMs ?? 600_000;
    this.#onSweepError = opts.onSweepError ?? (() => undefined);
  }

  /** Loads the secret (made by the first replica ever to start) and starts the sweep timer. */
  async start(): Promise<void> {
    const secret = await this.#repo.secret(randomBytes(32));
    this.#challenges = new Challenges(secret, this.limits.challengeTtlMs, this.#now);
    if (this.#sweepEveryMs > 0) {
      this.#timer = setInterval(() => void this.sweep().catch(this.#onSweepError), this.#sweepEveryMs);
      this.#timer.unref();
    }
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping?.catch(() => undefined);
  }

  /** What the service did since it started. */
  stats(): DirectoryStats {
    const o = this.#stats.outcomes;
    return { challenges: this.#stats.challenges, outcomes: { register: { ...o.register }, lookup: { ...o.lookup }, transfer: { ...o.transfer }, release: { ...o.release } } };
  }

  #started(): Challenges {
    if (!this.#challenges) throw new Error('DirectoryService.start() was not called');
    return this.#challenges;
  }

  /** A fresh registration challenge (40 bytes). */
  challenge(): Uint8Array {
    const c = this.#started().mint();
    this.#stats.challenges++;
    return c;
  }

  /**
   * Stores a record for an entry: a new one, the owner's update, a released one, or anyone's under
   * last-writer-wins; resolves to the entry's sequence. Throws {@link DirectoryError}: MALFORMED,
   * RATE_LIMITED, STALE_CHALLENGE, BAD_PROOF, TAKEN.
   */
  register(req: RegisterInput): Promise<{ sequence: number }> {
    return this.#counted('register', async () => {
      const { id, lww } = this.#address(req);
      _key(req.controlKey, 'controlKey');
      assertRecordShape(req.record);
      await this.#limit(req.requester, _WRITE);
      const stamp = this.#started().check(req.challenge);
      verifyRegistration(req.controlKey, req.challenge, id, recordHash(req.record), req.proof);
      return _written(await this.#repo.register({ entryId: id, record: req.record, ownerHash: controlKeyHash(req.controlKey), challenge: stamp, nowMs: this.#now(), lww }));
    });
  }

  /** The record of an entry and its sequence. Throws {@link DirectoryError}: MALFORMED, RATE_LIMITED, NOT_FOUND. */
  lookup(req: _Addressed): Promise<LookupResult> {
    return this.#counted('lookup', async () => {
      const { id } = this.#address(req);
      await this.#limit(req.requester, _LOOKUP);
      const e = await this.#repo.get(id);
      if (e?.record === undefined) throw new DirectoryError('NOT_FOUND', 'lookupKey', 'no such handle');
      return { record: e.record, sequence: e.sequence };
    });
  }

  /**
   * Hands an entry to the key the owner's grant names, with the new owner's record; resolves to the
   * new sequence. Throws {@link DirectoryError}: MALFORMED, RATE_LIMITED, STALE_CHALLENGE, NOT_FOUND,
   * NOT_OWNER, BAD_SIGNATURE, EXPIRED, REPLAYED, BAD_PROOF; the owner is unaffected then.
   */
  transfer(req: TransferInput): Promise<{ sequence: number }> {
    return this.#counted('transfer', async () => {
      const { id } = this.#address(req);
      const grant = decodeGrant(req.grant);
      assertRecordShape(req.record);
      await this.#limit(req.requester, _WRITE);
      const stamp = this.#started().check(req.challenge);
      const e = await this.#owned(id);
      verifyGrant('transfer', grant, { entryId: id, ownerKeyHash: e.ownerHash, sequence: e.sequence, now: this.#now() });
      verifyRegistration(grant.newOwnerKey, req.challenge, id, recordHash(req.record), req.proof);
      return _written(
        await this.#repo.replace({
          entryId: id,
          expectOwner: e.ownerHash,
          expectSequence: e.sequence,
          record: req.record,
          ownerHash: controlKeyHash(grant.newOwnerKey),
          challenge: stamp,
          nowMs: this.#now(),
        }),
      );
    });
  }

  /**
   * Releases an entry by its owner's grant; resolves to the tombstone's sequence. Throws
   * {@link DirectoryError}: MALFORMED, RATE_LIMITED, NOT_FOUND, NOT_OWNER, BAD_SIGNATURE, EXPIRED, REPLAYED.
   */
  release(req: ReleaseInput): Promise<{ sequence: number }> {
    return this.#counted('release', async () => {
      const { id } = this.#address(req);
      const grant = decodeGrant(req.grant);
      await this.#limit(req.requester, _WRITE);
      const e = await this.#owned(id);
      verifyGrant('release', grant, { entryId: id, ownerKeyHash: e.ownerHash, sequence: e.sequence, now: this.#now() });
      return _written(
        await this.#repo.replace({ entryId: id, expectOwner: e.ownerHash, expectSequence: e.sequence, record: undefined, ownerHash: undefined, challenge: undefined, nowMs: this.#now() }),
      );
    });
  }

  /** Deletes request counts of windows over an hour old; resolves to how many. One pass at a time. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#repo.sweep(this.#now() - 2 * _HOUR).finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #owned(id: Uint8Array): Promise<StoredEntry & { ownerHash: Uint8Array }> {
    const e = await this.#repo.get(id);
    if (e?.ownerHash === undefined) throw new DirectoryError('NOT_FOUND', 'lookupKey', 'no such handle');
    return e as StoredEntry & { ownerHash: Uint8Array };
  }

  #address(req: _Addressed): { id: Uint8Array; lww: boolean } {
    if (req.policy !== 'signed' && req.policy !== 'last_writer_wins') throw _malformed('policy', '"policy" expected signed or last_writer_wins');
    if (typeof req.requester !== 'string' || req.requester.length > DIRECTORY_LIMITS.maxRequesterLength) {
      throw _malformed('requester', `"requester" expected a string of at most ${DIRECTORY_LIMITS.maxRequesterLength} characters`);
    }
    return { id: entryId(req.policy, _key(req.lookupKey, 'lookupKey')), lww: req.policy === 'last_writer_wins' };
  }

  // Counted before any signature check or database read of the entry: a flood costs the flooder
  // its budget, and one small write per request.
  async #limit(requester: string, kind: number): Promise<void> {
    const [windowMs, max] = kind === _LOOKUP ? [_MINUTE, this.limits.lookupsPerMinute] : [_HOUR, this.limits.writesPerHour];
    const now = this.#now();
    const windowStart = now - (now % windowMs);
    const key = this.#started().tag(_REQUESTER, new TextEncoder().encode(requester));
    const hits = await this.#repo.hit(key, kind, windowStart);
    if (hits > max) {
      throw new DirectoryError('RATE_LIMITED', 'requester', `more than ${max} ${kind === _LOOKUP ? 'lookups a minute' : 'writes an hour'}; retry in ${Math.ceil((windowStart + windowMs - now) / 1000)} s`);
    }
  }

  async #counted<T>(op: DirectoryOp, f: () => Promise<T>): Promise<T> {
    const o = this.#stats.outcomes[op];
    try {
      const r = await f();
      o.ok = (o.ok ?? 0) + 1;
      return r;
    } catch (err) {
      if (err instanceof DirectoryError) o[err.code] = (o[err.code] ?? 0) + 1;
      throw err;
    }
  }
}
