/**
 * The username directory from the client's side (docs/directory.md): the gateway's
 * `/v1/directory/…` endpoints over `fetch`, and what a client computes before and after them with
 * `@tacit/directory-core` — the handle's keys (Argon2id, once per handle and kept in memory), the
 * sealed record of its identity and invite, the control key and its proofs, grants. Browser-safe:
 * the same code in Node and in pages. Every refusal is a `DirectoryError`; a relay that cannot be
 * reached is one with code UNAVAILABLE.
 * @module
 */
import {
  decodeDirectoryErrorBody,
  decodeGrant,
  deriveControlKey,
  deriveHandleKeysAsync,
  DIRECTORY_PATH,
  DirectoryError,
  encodeDirectoryRequest,
  encodeGrant,
  entryId,
  fromBase64Url,
  normalizeHandle,
  openRecord,
  recordHash,
  sealRecord,
  signRegistration,
  signRelease,
  signTransfer,
  toBase64Url,
  type DirectoryHttpRequest,
  type DirectoryOperation,
  type HandleKeys,
  type OwnershipPolicy,
} from '@tacit/directory-core';
import type { KeyPair } from '@tacit/crypto';
import type { FetchLike } from './prekey-http.js';

/** `http(s)://host/v1/directory` of a relay's `ws(s)://host/v1`. */
export function directoryBaseUrl(relay: string): string {
  const u = new URL(relay);
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new TypeError(`"relay" expected a ws:// or wss:// URL, got ${u.protocol}`);
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}${DIRECTORY_PATH}`;
}

/** The directory endpoints of one relay: bytes in, bytes out. */
export class DirectoryHttpClient {
  readonly #base: string;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(relay: string, opts: { fetch?: FetchLike; timeoutMs?: number } = {}) {
    this.#base = directoryBaseUrl(relay);
    // Called through a closure: a browser's fetch called as a method of another object throws "Illegal invocation".
    this.#fetch = opts.fetch ?? ((url, init) => (globalThis.fetch as unknown as FetchLike)(url, init));
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
  }

  async #post(op: DirectoryOperation, req: DirectoryHttpRequest | undefined): Promise<Record<string, unknown>> {
    let res: Awaited<ReturnType<FetchLike>> | undefined;
    // Tried twice, as the prekey client is: a kept-alive connection closed as it was reused fails
    // without an answer. A write sent twice is refused the second time (STALE_CHALLENGE, REPLAYED).
    for (let attempt = 0; res === undefined; attempt++) {
      try {
        res = await this.#fetch(`${this.#base}/${op}`, {
          method: 'POST',
          ...(req ? { body: new TextEncoder().encode(encodeDirectoryRequest(req)), headers: { 'content-type': 'application/json' } } : {}),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (cause) {
        if (attempt === 0 && !(cause instanceof Error && cause.name === 'TimeoutError')) continue;
        throw new DirectoryError('UNAVAILABLE', 'relay', `the relay's directory endpoint could not be reached (${cause instanceof Error ? cause.name : 'error'})`, { cause });
      }
    }
    const text = await res.text().catch(() => '');
    if (res.status !== 200) throw decodeDirectoryErrorBody(res.status, text);
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v === 'object' && v !== null) return v as Record<string, unknown>;
    } catch {
      // below
    }
    throw new DirectoryError('MALFORMED', 'response', 'the relay answered 200 without a JSON object');
  }

  async challenge(): Promise<Uint8Array> {
    return _bytes((await this.#post('challenge', undefined)).challenge, 'challenge');
  }
  async register(req: DirectoryHttpRequest): Promise<number> {
    return _seq(await this.#post('register', req));
  }
  async lookup(req: DirectoryHttpRequest): Promise<{ record: Uint8Array; sequence: number }> {
    const r = await this.#post('lookup', req);
    return { record: _bytes(r.record, 'record'), sequence: _seq(r) };
  }
  async transfer(req: DirectoryHttpRequest): Promise<number> {
    return _seq(await this.#post('transfer', req));
  }
  async release(req: DirectoryHttpRequest): Promise<number> {
    return _seq(await this.#post('release', req));
  }
}

function _bytes(v: unknown, field: string): Uint8Array {
  if (typeof v !== 'string') throw new DirectoryError('MALFORMED', field, `"${field}" missing from the relay's answer`);
  return fromBase64Url(v, field);
}

function _seq(r: Record<string, unknown>): number {
  const s = r.sequence;
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw new DirectoryError('MALFORMED', 'sequence', '"sequence" missing from the relay\'s answer');
  return s;
}

/** What {@link HandleDirectory.lookup} finds. */
export interface HandleEntry {
  /** The handle as its owner registered it (normal form; a look-alike of what was asked for finds the same entry). */
  readonly handle: string;
  /** The owner's invite: pass it to `Messenger.send` to start a session. */
  readonly invite: string;
  /** The owner's Curve25519 identity key (the record is signed by it). */
  readonly identityKey: Uint8Array;
  /** The entry's sequence number (every change raises it by one). */
  readonly sequence: number;
}

/** A new owner's half of a transfer, made by {@link HandleDirectory.transferRequest}: hand it to the current owner. */
export type TransferRequest = string;
/** An owner's signed grant, made by {@link HandleDirectory.transfer}: hand it to the new owner. */
export type TransferGrant = string;

/**
 * One identity's view of the directory in one namespace, under one ownership policy (the app's
 * choice, part of every entry's address: docs/directory.md "Policies").
 */
export class HandleDirectory {
  readonly #http: DirectoryHttpClient;
  readonly #keys = new Map<string, Promise<HandleKeys>>();

  constructor(
    private readonly o: {
      namespaceId: Uint8Array;
      policy: OwnershipPolicy;
      /** The owner's Curve25519 identity key pair: signs the record's binding and derives control keys; never sent. */
      identity: () => KeyPair;
      /** The owner's invite, as a string. */
      invite: () => string;
      /** Checks that an invite names the identity key the record was signed by; returns the invite's identity key. */
      inviteIdentity: (invite: string) => Uint8Array;
      http: DirectoryHttpClient;
      now: () => number;
    },
  ) {
    this.#http = o.http;
  }

  /** The keys of `handle` (refused with its DirectoryError when the handle breaks a rule, before anything is sent). */
  keysOf(handle: string): Promise<HandleKeys> {
    const n = normalizeHandle(handle).handle;
    let k = this.#keys.get(n);
    if (!k) {
      k = deriveHandleKeysAsync(this.o.namespaceId, n);
      this.#keys.set(n, k);
      k.catch(() => this.#keys.delete(n));
    }
    return k;
  }

  #address(keys: HandleKeys): DirectoryHttpRequest {
    return { policy: this.o.policy, lookupKey: keys.lookupKey };
  }

  #record(keys: HandleKeys): { record: Uint8Array; control: KeyPair } {
    const identity = this.o.identity();
    const control = deriveControlKey(identity.secretKey, keys.lookupKey);
    const { ciphertext } = sealRecord({ keys, policy: this.o.policy, identity, controlKey: control.publicKey, invite: new TextEncoder().encode(this.o.invite()) });
    return { record: ciphertext, control };
  }

  /** Registers `handle` to this identity and its invite (or updates it; under last-writer-wins, takes it). Resolves to the entry's sequence. */
  async register(handle: string): Promise<{ handle: string; sequence: number }> {
    const keys = await this.keysOf(handle);
    const { record, control } = this.#record(keys);
    const challenge = await this.#http.challenge();
    const proof = signRegistration(control.secretKey, challenge, entryId(this.o.policy, keys.lookupKey), recordHash(record));
    const sequence = await this.#http.register({ ...this.#address(keys), record, controlKey: control.publicKey, challenge, proof });
    return { handle: keys.handle, sequence };
  }

  /** Who holds `handle`: its owner's invite and identity key, checked against the owner's signature. NOT_FOUND when nobody does. */
  async lookup(handle: string): Promise<HandleEntry> {
    const keys = await this.keysOf(handle);
    const { record, sequence } = await this.#http.lookup(this.#address(keys));
    const r = openRecord(keys, this.o.policy, record);
    const invite = new TextDecoder().decode(r.invite);
    let named: Uint8Array;
    try {
      named = this.o.inviteIdentity(invite);
    } catch (cause) {
      throw new DirectoryError('BAD_RECORD', 'record.invite', 'the record holds no invite of this app', { cause });
    }
    if (!_equal(named, r.identityKey)) throw new DirectoryError('BAD_RECORD', 'record.invite', 'the record\'s invite names another identity than the one that signed it');
    return { handle: r.handle, invite, identityKey: r.identityKey, sequence };
  }

  /** A new owner's first step: the public control key this identity would hold `handle` with, to give its owner. */
  async transferRequest(handle: string): Promise<TransferRequest> {
    const keys = await this.keysOf(handle);
    return toBase64Url(deriveControlKey(this.o.identity().secretKey, keys.lookupKey).publicKey);
  }

  /**
   * The owner's step: a grant of `handle` to the identity that made `request`, good once, for the
   * entry as it is now, until `expiresInMs` (default 10 minutes) from now.
   */
  async transfer(handle: string, request: TransferRequest, opts: { expiresInMs?: number } = {}): Promise<TransferGrant> {
    const keys = await this.keysOf(handle);
    const to = fromBase64Url(request, 'request');
    if (to.length !== 32) throw new DirectoryError('MALFORMED', 'request', '"request" expected a 32-byte control key');
    const { sequence } = await this.#http.lookup(this.#address(keys));
    const control = deriveControlKey(this.o.identity().secretKey, keys.lookupKey);
    const expiresAt = this.o.now() + (opts.expiresInMs ?? 600_000);
    return toBase64Url(encodeGrant(signTransfer(control.secretKey, entryId(this.o.policy, keys.lookupKey), sequence, expiresAt, to)));
  }

  /** The new owner's last step: takes `handle` with the owner's `grant`; resolves to the entry's sequence. */
  async acceptTransfer(handle: string, grant: TransferGrant): Promise<{ handle: string; sequence: number }> {
    const keys = await this.keysOf(handle);
    const bytes = fromBase64Url(grant, 'grant');
    decodeGrant(bytes);
    const { record, control } = this.#record(keys);
    const challenge = await this.#http.challenge();
    const proof = signRegistration(control.secretKey, challenge, entryId(this.o.policy, keys.lookupKey), recordHash(record));
    const sequence = await this.#http.transfer({ ...this.#address(keys), grant: bytes, record, challenge, proof });
    return { handle: keys.handle, sequence };
  }

  /** Gives `handle` up (its owner only); resolves to the tombstone's sequence. */
  async release(handle: string, opts: { expiresInMs?: number } = {}): Promise<number> {
    const keys = await this.keysOf(handle);
    const { sequence } = await this.#http.lookup(this.#address(keys));
    const control = deriveControlKey(this.o.identity().secretKey, keys.lookupKey);
    const grant = encodeGrant(signRelease(control.secretKey, entryId(this.o.policy, keys.lookupKey), sequence, this.o.now() + (opts.expiresInMs ?? 60_000)));
    return this.#http.release({ ...this.#address(keys), grant });
  }
}

function _equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
