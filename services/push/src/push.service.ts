/**
 * The push service's rules: registrations (signature verified under the peer key, mailbox ids
 * recomputed from it, the target's shape checked, the key's earlier binding replaced), and wakes —
 * a queued packet marks its registration's wake pending, coalesced to one per window; the
 * dispatcher sends due wakes through the provider's {@link WakeSender} with bounded concurrency and
 * a per-wake timeout, and turns each outcome into a record, a backoff, a removal or an alert. No I/O
 * but through its repository, its senders and its clock.
 * @module
 */
import { ed25519 as defaultEd25519, hmacSha256, randomBytes, type Ed25519 } from '@tacit/crypto';
import { PUSH_LIMITS } from '@tacit/proto';
import {
  MAILBOX_ID_LEN,
  mailboxId,
  pushRegistrationMessage,
  pushTargetBytes,
  pushUnregisterMessage,
  PushError,
  type PushErrorCode,
} from '@tacit/protocol';
import type { WakeOutcome, WakeProvider, WakeSender, WakeTarget } from '@tacit/push-providers';
import { WindowCounter } from './rate-limit.js';
import { emptyWakeCounts, safeReason } from './wake-log.js';
import type { ClaimedWake, PushRepository } from './repository.js';
import { checkTarget } from './target.js';
import { DEFAULT_PUSH_LIMITS, type PushLimits, type PushLog, type PushRegistration, type PushServiceOptions, type PushStats, type PushUnregistration, type Registered } from './push.types.js';

export * from './push.types.js';

// Domain bytes of the HMACs, so a mailbox id, a peer key and a target never hash alike.
const _MAC_MAILBOX = 1;
const _MAC_KEY = 2;
const _MAC_TARGET = 3;
/** Rate-limited keys remembered per counter. */
const _MAX_RATE_KEYS = 100_000;
/** Registrations deleted per expiry statement. */
const _EXPIRE_BATCH = 1000;
/** A taken wake stays leased this long past its timeout, so a live replica records it before another retakes it. */
const _LEASE_MARGIN_MS = 30_000;
const _PROVIDERS: readonly WakeProvider[] = ['apns', 'fcm', 'webpush'];

/** Push registrations and wakes: their rules, over a {@link PushRepository} and the providers' {@link WakeSender}s. */
export class PushService {
  readonly limits: PushLimits;
  readonly #repo: PushRepository;
  readonly #senders = new Map<WakeProvider, WakeSender>();
  readonly #now: () => number;
  readonly #ed25519: Ed25519;
  readonly #log: PushLog;
  readonly #dispatchEveryMs: number;
  readonly #expireEveryMs: number;
  readonly #requesters: WindowCounter;
  readonly #targets: WindowCounter;
  readonly #inflight = new Map<WakeProvider, number>();
  readonly #running = new Set<Promise<void>>();
  readonly #aborts = new Set<AbortController>();
  #secret: Uint8Array | undefined;
  #configuredSecret: Uint8Array | undefined;
  #timers: NodeJS.Timeout[] = [];
  #pass: Promise<number> | undefined;
  #again = false;
  #stopping = false;
  readonly #stats: PushStats = {
    registered: 0,
    registerRefused: {},
    unregistered: 0,
    events: 0,
    eventsMatched: 0,
    wakes: { apns: emptyWakeCounts(), fcm: emptyWakeCounts(), webpush: emptyWakeCounts() },
    expired: 0,
  };

  constructor(opts: PushServiceOptions) {
    this.#repo = opts.repository;
    for (const s of opts.senders) this.#senders.set(s.provider, s);
    this.limits = { ...DEFAULT_PUSH_LIMITS, ...opts.limits };
    this.#now = opts.now ?? Date.now;
    this.#ed25519 = opts.ed25519 ?? defaultEd25519;
    this.#log = opts.log ?? { warn: () => undefined };
    this.#dispatchEveryMs = opts.dispatchEveryMs ?? 1000;
    this.#expireEveryMs = opts.expireEveryMs ?? 600_000;
    this.#configuredSecret = opts.secret;
    this.#requesters = new WindowCounter(this.limits.requesterPerHour, 3_600_000, _MAX_RATE_KEYS);
    this.#targets = new WindowCounter(this.limits.targetPerHour, 3_600_000, _MAX_RATE_KEYS);
  }

  /** Loads the HMAC key and starts the dispatcher and expiry timers. */
  async start(): Promise<void> {
    this.#secret = this.#configuredSecret ?? (await this.#repo.secret(randomBytes(32)));
    this.#stopping = false;
    if (this.#dispatchEveryMs > 0) {
      this.#timers.push(setInterval(() => this.#kick(), this.#dispatchEveryMs));
    }
    if (this.#expireEveryMs > 0) {
      this.#timers.push(setInterval(() => void this.expire().catch((err: unknown) => this.#log.warn('push_expiry_failed', { error: err instanceof Error ? err.name : 'unknown' })), this.#expireEveryMs));
    }
    for (const t of this.#timers) t.unref();
  }

  /**
   * Stops taking due wakes, aborts those in flight (each is recorded as a retry, so another replica
   * or the next start sends it) and waits for their records.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.#pass?.catch(() => undefined);
    for (const a of this.#aborts) a.abort();
    await this.idle();
  }

  /** Providers a registration may name. */
  get providers(): readonly WakeProvider[] {
    return _PROVIDERS.filter((p) => this.#senders.has(p));
  }

  /** What the service did since it started. */
  stats(): PushStats {
    const w = this.#stats.wakes;
    return { ...this.#stats, registerRefused: { ...this.#stats.registerRefused }, wakes: { apns: { ...w.apns }, fcm: { ...w.fcm }, webpush: { ...w.webpush } } };
  }

  /** Wakes in flight now, per provider. */
  inflight(provider: WakeProvider): number {
    return this.#inflight.get(provider) ?? 0;
  }

  /** Registrations stored (a table count: for a gauge refreshed now and then). */
  storedRegistrations(): Promise<number> {
    return this.#repo.countRegistrations();
  }

  #mac(domain: number, data: Uint8Array): Uint8Array {
    if (!this.#secret) throw new Error('PushService.start() was not called');
    const input = new Uint8Array(1 + data.length);
    input[0] = domain;
    input.set(data, 1);
    return hmacSha256(this.#secret, input);
  }

  #refuse(code: PushErrorCode, field: string, message: string): never {
    this.#stats.registerRefused[code] = (this.#stats.registerRefused[code] ?? 0) + 1;
    throw new PushError(code, field, message);
  }

  #checkCommon(peerKey: Uint8Array, signature: Uint8Array, issuedAtMs: number, requester: string, now: number): void {
    if (!(peerKey instanceof Uint8Array) || peerKey.length !== PUSH_LIMITS.keyBytes) this.#refuse('MALFORMED', 'peer_key', `"peer_key" expected ${PUSH_LIMITS.keyBytes} bytes`);
    if (!(signature instanceof Uint8Array) || signature.length !== 64) this.#refuse('MALFORMED', 'signature', '"signature" expected 64 bytes');
    if (typeof requester !== 'string' || requester.length > PUSH_LIMITS.maxRequesterLength) this.#refuse('MALFORMED', 'requester', `"requester" expected at most ${PUSH_LIMITS.maxRequesterLength} characters`);
    if (!Number.isSafeInteger(issuedAtMs) || Math.abs(issuedAtMs - now) > this.limits.clockWindowMs) {
      this.#refuse('STALE', 'issued_at_ms', `"issued_at_ms" must be within ${this.limits.clockWindowMs} ms of the service clock`);
    }
    // Counted before the signature is checked: a requester cannot make the service verify without end.
    if (requester && !this.#requesters.take(requester, now)) this.#refuse('RATE_LIMITED', 'requester', 'too many push requests from this client; retry later');
  }

  /**
   * Binds the mailboxes of `r.dests` under `r.peerKey` to `r.target`, replacing the key's earlier
   * binding; throws {@link PushError} (MALFORMED, UNSUPPORTED, STALE, RATE_LIMITED, BAD_PROOF).
   */
  async register(r: PushRegistration): Promise<Registered> {
    const now = this.#now();
    // A registration lapses horizonCapMs after it was signed: dests of epochs past that can never be
    // woken for, so no more are taken than the hours it lives, the one before and the skew after.
    // This bounds what the table can be made to hold: PUSH_MAX_REGISTRATIONS × this many mailboxes.
    const maxDests = Math.min(PUSH_LIMITS.maxDests, Math.ceil(this.limits.horizonCapMs / 3_600_000) + 3);
    if (!Array.isArray(r.dests) || r.dests.length < 1 || r.dests.length > maxDests) {
      this.#refuse('MALFORMED', 'dests', `"dests" expected 1..${maxDests} items (the hours a registration lives), got ${Array.isArray(r.dests) ? r.dests.length : 'none'}`);
    }
    r.dests.forEach((d, i) => {
      if (!(d instanceof Uint8Array) || d.length !== PUSH_LIMITS.keyBytes) this.#refuse('MALFORMED', `dests[${i}]`, `"dests[${i}]" expected ${PUSH_LIMITS.keyBytes} bytes`);
    });
    const provider = r.target?.provider;
    if (!_PROVIDERS.includes(provider)) this.#refuse('MALFORMED', 'target.provider', '"target.provider" expected apns, fcm or webpush');
    if (!this.#senders.has(provider)) this.#refuse('UNSUPPORTED', 'target.provider', `this relay does not send ${provider} wakes`);
    let target: WakeTarget;
    try {
      target = checkTarget(r.target, this.limits.allowPrivateHosts);
    } catch (err) {
      if (err instanceof PushError) this.#refuse(err.code, err.field, err.message);
      throw err;
    }
    this.#checkCommon(r.peerKey, r.signature, r.issuedAtMs, r.requester, now);
    const targetBytes = pushTargetBytes(r.target);
    if (!this.#ed25519.verify(r.peerKey, pushRegistrationMessage(r.issuedAtMs, r.target, r.dests), r.signature)) {
      this.#refuse('BAD_PROOF', 'signature', 'the signature does not verify under the peer key');
    }
    const targetHash = this.#mac(_MAC_TARGET, targetBytes);
    if (!this.#targets.take(Buffer.from(targetHash).toString('base64'), now)) this.#refuse('RATE_LIMITED', 'target', 'too many registrations for this target; retry later');
    // The ids are recomputed from the signer's own key: a registration can bind no one else's mailbox.
    const mailboxHashes = r.dests.map((d) => this.#mac(_MAC_MAILBOX, mailboxId(d, r.peerKey)));
    const expiresAtMs = r.issuedAtMs + this.limits.horizonCapMs;
    const res = await this.#repo.register({
      keyHash: this.#mac(_MAC_KEY, r.peerKey),
      targetHash,
      target,
      issuedAtMs: r.issuedAtMs,
      expiresAtMs,
      mailboxHashes,
      maxTotal: this.limits.maxRegistrations,
      maxPerTarget: this.limits.maxPerTarget,
      nowMs: now,
    });
    if (res.status === 'stale') this.#refuse('STALE', 'issued_at_ms', '"issued_at_ms" must be newer than the peer key\'s last request');
    if (res.status === 'rate_limited') {
      this.#refuse('RATE_LIMITED', res.field, res.field === 'target' ? 'this target is registered under too many peer keys' : 'this relay holds as many push registrations as it takes');
    }
    this.#stats.registered++;
    return { mailboxes: res.mailboxes, expiresAtMs };
  }

  /** Drops the peer key's registration; throws {@link PushError} (MALFORMED, STALE, RATE_LIMITED, BAD_PROOF, NOT_FOUND). */
  async unregister(u: PushUnregistration): Promise<void> {
    const now = this.#now();
    this.#checkCommon(u.peerKey, u.signature, u.issuedAtMs, u.requester, now);
    if (!this.#ed25519.verify(u.peerKey, pushUnregisterMessage(u.issuedAtMs), u.signature)) {
      this.#refuse('BAD_PROOF', 'signature', 'the signature does not verify under the peer key');
    }
    const res = await this.#repo.unregister(this.#mac(_MAC_KEY, u.peerKey), u.issuedAtMs, now);
    if (res === 'stale') this.#refuse('STALE', 'issued_at_ms', '"issued_at_ms" must be newer than the peer key\'s last request');
    if (res === 'not_found') this.#refuse('NOT_FOUND', 'peer_key', 'nothing is registered under this peer key');
    this.#stats.unregistered++;
  }

  /**
   * A packet was queued for `mailboxId` with nobody holding it: marks the wake of the registration
   * bound to it pending (coalesced to one per window). Resolves once that is recorded — the moment a
   * durable intake may acknowledge the event — to whether a registration matched.
   */
  async onQueued(mailboxIdBytes: Uint8Array): Promise<boolean> {
    if (!(mailboxIdBytes instanceof Uint8Array) || mailboxIdBytes.length !== MAILBOX_ID_LEN) {
      throw new PushError('MALFORMED', 'mailbox_id', `"mailbox_id" expected ${MAILBOX_ID_LEN} bytes`);
    }
    return (await this.onQueuedMany([mailboxIdBytes])).matched > 0;
  }

  /**
   * {@link onQueued} for many events in one database statement (the in-process intake's pages: the
   * node's enqueue path shares its event loop and database). Ids of the wrong length are skipped and
   * counted. Resolves to how many events matched a registration.
   */
  async onQueuedMany(mailboxIds: readonly Uint8Array[]): Promise<{ matched: number; malformed: number }> {
    const hashes = new Uint8Array(mailboxIds.length * 32);
    let n = 0;
    for (const id of mailboxIds) {
      if (!(id instanceof Uint8Array) || id.length !== MAILBOX_ID_LEN) continue;
      hashes.set(this.#mac(_MAC_MAILBOX, id), 32 * n++);
    }
    const malformed = mailboxIds.length - n;
    if (n === 0) return { matched: 0, malformed };
    const now = this.#now();
    const { matched, due } = await this.#repo.markQueuedMany(hashes.subarray(0, 32 * n), now, this.limits.coalesceWindowMs);
    // Counted together, after the write: a scrape between the two would see events "unmatched"
    // that the next one takes back (a counter cannot go down).
    this.#stats.events += n;
    this.#stats.eventsMatched += matched;
    if (due !== undefined && due <= now && this.#dispatchEveryMs > 0) this.#kick();
    return { matched, malformed };
  }

  #kick(): void {
    if (this.#stopping) return;
    void this.dispatch().catch((err: unknown) => this.#log.warn('push_dispatch_failed', { error: err instanceof Error ? err.name : 'unknown' }));
  }

  /**
   * One pass of the dispatcher: takes due wakes of every provider up to its free slots and starts
   * them (not awaited: {@link idle} waits for them). Resolves to how many it started. A pass asked
   * for while one runs makes that one go round once more.
   */
  dispatch(): Promise<number> {
    if (this.#pass) {
      this.#again = true;
      return this.#pass;
    }
    const run = async (): Promise<number> => {
      let started = 0;
      do {
        this.#again = false;
        for (const [provider, sender] of this.#senders) {
          if (this.#stopping) return started;
          const free = this.limits.concurrency - this.inflight(provider);
          if (free <= 0) continue;
          const now = this.#now();
          const taken = await this.#repo.claimDue(provider, now, free, now + this.limits.wakeTimeoutMs + _LEASE_MARGIN_MS);
          for (const c of taken) this.#launch(sender, c);
          started += taken.length;
        }
      } while (this.#again && !this.#stopping);
      return started;
    };
    const pass = run().finally(() => {
      this.#pass = undefined;
    });
    this.#pass = pass;
    return pass;
  }

  /** Resolves once no wake is in flight (each ends by its timeout at the latest). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #launch(sender: WakeSender, c: ClaimedWake): void {
    const provider = sender.provider;
    this.#inflight.set(provider, this.inflight(provider) + 1);
    const p = this.#wake(sender, c).finally(() => {
      this.#inflight.set(provider, this.inflight(provider) - 1);
      this.#running.delete(p);
      // A slot came free: wakes that waited for one go now.
      if (this.#dispatchEveryMs > 0) this.#kick();
    });
    this.#running.add(p);
  }

  async #wake(sender: WakeSender, c: ClaimedWake): Promise<void> {
    const outcome = await this.#send(sender, c.target);
    try {
      await this.#record(sender.provider, c, outcome);
    } catch (err) {
      // The lease lapses and the wake is taken again: nothing is lost but time.
      this.#log.warn('push_record_failed', { provider: sender.provider, error: err instanceof Error ? err.name : 'unknown' });
    }
  }

  /** The sender's outcome, or a retry when it throws or stays silent past the timeout (its slot is freed either way). */
  async #send(sender: WakeSender, target: WakeTarget): Promise<WakeOutcome & { timedOut?: boolean }> {
    const abort = new AbortController();
    this.#aborts.add(abort);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<WakeOutcome & { timedOut: boolean }>((resolve) => {
      timer = setTimeout(() => {
        resolve({ kind: 'retry', reason: 'timeout', timedOut: true });
        abort.abort();
      }, this.limits.wakeTimeoutMs);
    });
    const aborted = new Promise<WakeOutcome>((resolve) => abort.signal.addEventListener('abort', () => resolve({ kind: 'retry', reason: 'stopped' }), { once: true }));
    try {
      return await Promise.race([
        sender.wake(target, abort.signal).catch((err: unknown): WakeOutcome => ({ kind: 'retry', reason: err instanceof Error ? err.name : 'error' })),
        timeout,
        aborted,
      ]);
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(abort);
    }
  }

  async #record(provider: WakeProvider, c: ClaimedWake, o: WakeOutcome & { timedOut?: boolean }): Promise<void> {
    const counts = this.#stats.wakes[provider];
    const now = this.#now();
    const window = this.limits.coalesceWindowMs;
    switch (o.kind) {
      case 'sent':
        counts.sent++;
        await this.#repo.settle(c.registrationId, c.seq, now, window, now);
        return;
      case 'gone':
        counts.gone++;
        // Only if the device did not register another target while the wake was out; if it did, the
        // wake goes to the new one now.
        if (!(await this.#repo.remove(c.registrationId, c.targetHash))) await this.#repo.retryAt(c.registrationId, now);
        return;
      case 'refused':
        counts.refused++;
        // Our credentials, not the target: the operator must act. The reason is the provider's code, never a token.
        this.#log.warn('push_provider_refused', { provider, reason: safeReason(o.reason) });
        break;
      case 'retry':
        counts.retry++;
        if (o.timedOut) counts.timeout++;
        break;
    }
    const tries = c.tries + 1;
    if (tries >= this.limits.retryTries || now - c.pendingSinceMs >= this.limits.retryMaxAgeMs) {
      counts.givenUp++;
      await this.#repo.settle(c.registrationId, c.seq, now, window, undefined);
      return;
    }
    const backoff = Math.min(this.limits.retryMaxMs, this.limits.retryStartMs * 2 ** (tries - 1));
    const asked = o.kind === 'retry' && o.retryAfterMs !== undefined && Number.isFinite(o.retryAfterMs) ? Math.min(o.retryAfterMs, this.limits.retryMaxAgeMs) : 0;
    await this.#repo.retryAt(c.registrationId, now + Math.max(backoff, asked));
  }

  /** Deletes lapsed registrations, mailboxes and replay guards (a batch); resolves to registrations deleted. */
  async expire(): Promise<number> {
    const now = this.#now();
    const n = await this.#repo.expire(now, now - 2 * this.limits.clockWindowMs, _EXPIRE_BATCH);
    this.#stats.expired += n;
    return n;
  }
}
