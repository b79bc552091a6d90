/**
 * The session layer of one app install in one namespace: identity, prekeys, PQXDH session starts,
 * the Double Ratchet, and a durable inbox, all kept in a `SessionStore`.
 *
 * Every operation that changes state ends in one atomic `commit`: encrypting commits the advanced
 * sending chain before the ciphertext is returned (a crash can lose a message, never reuse a key);
 * decrypting commits the advanced ratchet, the consumed prekeys and the plaintext (into the inbox)
 * together, so a message received but not stored is simply received again, and one stored is
 * refused as `DUPLICATE_MESSAGE` if the relay delivers it again. The app reads the inbox entry,
 * then `acknowledge`s it; `pending()` lists the ones it had not acknowledged before a crash.
 * Operations run one at a time (a queue), so concurrent calls never see a half-updated state;
 * one process should own a store at a time.
 * @module
 */
import { blake3, defaultBackend, type CryptoBackend, type KeyPair } from '@tacit/crypto';
import { prekeyUploadProofMessage } from '@tacit/protocol';
import { _verifyBundle, type PreKeyBundle, type SignedPublicPreKey } from './bundle.js';
import { SessionError } from './errors.js';
import { _kem, serializeCurveKey, serializeKem, type KemType } from './keys.js';
import {
  _decodeJson,
  _encodeJson,
  _MAX_KEY_ID,
  _nextId,
  type _IdentityRecord,
  type _KyberPreKeyRecord,
  type _Meta,
  type _PreKeyRecord,
  type _SignedPreKeyRecord,
} from './local-keys.js';
import {
  _decodePreKeySignalMessage,
  _decodeSignalMessage,
  MESSAGE_TYPE_PREKEY,
  MESSAGE_TYPE_WHISPER,
  type CiphertextMessage,
} from './messages.js';
import { _initAlice, _initBob } from './pqxdh.js';
import { _decrypt, _encrypt, type _SessionState } from './ratchet.js';
import { _b64, _decodeRecord, _encodeRecord, _promote, type _SessionRecord } from './record.js';
import type { SessionStore, StoreWrite } from './store.js';

/** When to rotate and how many prekeys to keep published. */
export interface PreKeyPolicy {
  /** One-time prekeys of each kind to top the service's pool up to (default 100). */
  readonly target: number;
  /** Top up when the service reports fewer than this many of a kind (default 20). */
  readonly lowWater: number;
  /** Replace the signed prekey and the last-resort post-quantum prekey after this long (default 2 days, as Signal). */
  readonly rotateAfterMs: number;
  /** Keep a replaced key this much longer for session starts in flight (default 30 days). */
  readonly retainMs: number;
}

/** Options of {@link SessionManager.open}. */
export interface SessionManagerOptions {
  /** Where identity, prekeys, sessions and the inbox live. */
  readonly store: SessionStore;
  /** The app's 32-byte namespace id: one identity per install and namespace. */
  readonly namespaceId: Uint8Array;
  /** Crypto backend (default: node:crypto on Node, noble in browsers). */
  readonly backend?: CryptoBackend;
  /** KEM of the post-quantum prekeys we publish (default `mlkem1024`; `kyber1024` for libsignal peers). */
  readonly kem?: KemType;
  /** Prekey rotation and pool sizes. */
  readonly preKeys?: Partial<PreKeyPolicy>;
  /** Clock (ms), for prekey ages and unanswered sessions. */
  readonly now?: () => number;
}

/** Public prekeys to upload to the prekey service. */
export interface PreKeyUpload {
  /** Our identity key, `0x05 || 32`. */
  readonly identityKey: Uint8Array;
  readonly registrationId: number;
  /** A new signed prekey, when one was made (first use, rotation). */
  readonly signedPreKey: SignedPublicPreKey | undefined;
  /** A new last-resort post-quantum prekey, when one was made. */
  readonly lastResortKyberPreKey: SignedPublicPreKey | undefined;
  /** New one-time Curve25519 prekeys. */
  readonly preKeys: readonly { readonly id: number; readonly publicKey: Uint8Array }[];
  /** New signed one-time post-quantum prekeys. */
  readonly kyberPreKeys: readonly SignedPublicPreKey[];
}

/** A decrypted message, stored in the inbox until acknowledged. */
export interface InboxMessage {
  /** Stable id of the inbox entry (to acknowledge it). */
  readonly id: string;
  /** Who sent it (the peer id the caller decrypted it for). */
  readonly peer: string;
  readonly plaintext: Uint8Array;
  /** When it was decrypted (ms). */
  readonly receivedAt: number;
}

const _DEFAULT_POLICY: PreKeyPolicy = { target: 100, lowWater: 20, rotateAfterMs: 2 * 86_400_000, retainMs: 30 * 86_400_000 };
const _PEER = /^[A-Za-z0-9._:-]{1,100}$/;

function _checkPeer(peer: unknown): asserts peer is string {
  if (typeof peer !== 'string' || !_PEER.test(peer))
    throw new SessionError('MALFORMED', 'peer', '"peer" expected 1..100 characters of A-Z a-z 0-9 . _ : -');
}

function _hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function _equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Identity, prekeys and ratchet sessions of one app install in one namespace. */
export class SessionManager {
  readonly #store: SessionStore;
  readonly #backend: CryptoBackend;
  readonly #kem: KemType;
  readonly #policy: PreKeyPolicy;
  readonly #now: () => number;
  readonly #p: string;
  #identity!: _IdentityRecord;
  #queue: Promise<unknown> = Promise.resolve();
  #inboxSeq = 0;

  private constructor(o: SessionManagerOptions) {
    this.#store = o.store;
    this.#backend = o.backend ?? defaultBackend;
    this.#kem = o.kem ?? 'mlkem1024';
    this.#policy = { ..._DEFAULT_POLICY, ...o.preKeys };
    this.#now = o.now ?? Date.now;
    // Keys are prefixed per namespace with a hash, so one store can hold several namespaces
    // without writing the namespace id into every key.
    this.#p = `${_hex(blake3(o.namespaceId).subarray(0, 8))}/`;
  }

  /**
   * Opens (or, the first time, creates) the identity of this namespace in `store`, with a signed
   * prekey and a last-resort post-quantum prekey, so `bundle()` works at once.
   */
  static async open(options: SessionManagerOptions): Promise<SessionManager> {
    if (!(options.namespaceId instanceof Uint8Array) || options.namespaceId.length !== 32)
      throw new SessionError('MALFORMED', 'namespaceId', `"namespaceId" expected 32 bytes, got ${options.namespaceId instanceof Uint8Array ? options.namespaceId.length : typeof options.namespaceId}`);
    const sut = new SessionManager(options);
    await sut.#run(() => sut.#load(options.namespaceId));
    return sut;
  }

  /** Our identity key (32 bytes, Curve25519): what peers' safety numbers are computed from. */
  get identityKey(): Uint8Array {
    return this.#identity.identityKey.publicKey.slice();
  }

  /**
   * Our Curve25519 identity key pair, secret included: the directory's record is signed by it and
   * its control keys are derived from it (messenger/directory.ts). Never sent anywhere.
   */
  get identityKeyPair(): KeyPair {
    return { secretKey: this.#identity.identityKey.secretKey.slice(), publicKey: this.#identity.identityKey.publicKey.slice() };
  }

  /** The Ed25519 key that owns our relay mailboxes (the `MailboxIdentity` of `RelayClient`). */
  get mailboxKey(): KeyPair {
    return { secretKey: this.#identity.mailboxKey.secretKey.slice(), publicKey: this.#identity.mailboxKey.publicKey.slice() };
  }

  /** Our registration id (1..16380). */
  get registrationId(): number {
    return this.#identity.registrationId;
  }

  // One operation at a time: each waits for the previous one to settle.
  #run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #get<T>(key: string, what: string): Promise<T | undefined> {
    const b = await this.#store.get(this.#p + key);
    return b === undefined ? undefined : _decodeJson<T>(b, what);
  }

  #put(key: string, value: unknown): StoreWrite {
    return [this.#p + key, _encodeJson(value)];
  }

  async #meta(): Promise<_Meta> {
    const m = await this.#get<_Meta>('meta', 'meta');
    if (m === undefined) throw new SessionError('MALFORMED', 'meta', 'the store has an identity but no prekey counters');
    return m;
  }

  async #load(namespaceId: Uint8Array): Promise<void> {
    const existing = await this.#get<_IdentityRecord>('identity', 'identity');
    if (existing !== undefined) {
      this.#identity = existing;
      return;
    }
    const b = this.#backend;
    const rnd = b.randomBytes(8);
    const id0 = (n: number) => 1 + (((rnd[n]! << 16) | (rnd[n + 1]! << 8) | rnd[n + 2]!) % (_MAX_KEY_ID - 1));
    this.#identity = {
      namespaceId: namespaceId.slice(),
      identityKey: b.x25519.keygen(),
      mailboxKey: b.ed25519.keygen(),
      registrationId: 1 + (((rnd[6]! << 8) | rnd[7]!) % 16380),
      createdAt: this.#now(),
    };
    const meta: _Meta = { nextPreKeyId: id0(0), nextSignedPreKeyId: id0(3), nextKyberPreKeyId: id0(1), signedPreKeyId: 0, lastResortKyberId: 0 };
    const writes: StoreWrite[] = [this.#put('identity', this.#identity)];
    this.#newSignedPreKey(meta, writes);
    this.#newKyberPreKey(meta, writes, true);
    writes.push(this.#put('meta', meta));
    await this.#store.commit(writes);
  }

  #newSignedPreKey(meta: _Meta, writes: StoreWrite[]): SignedPublicPreKey {
    const b = this.#backend;
    const keyPair = b.x25519.keygen();
    const publicKey = serializeCurveKey(keyPair.publicKey);
    const rec: _SignedPreKeyRecord = {
      id: meta.nextSignedPreKeyId,
      keyPair,
      signature: b.xeddsa.sign(this.#identity.identityKey.secretKey, publicKey),
      createdAt: this.#now(),
    };
    meta.signedPreKeyId = rec.id;
    meta.nextSignedPreKeyId = _nextId(rec.id);
    writes.push(this.#put(`spk/${rec.id}`, rec));
    return { id: rec.id, publicKey, signature: rec.signature };
  }

  #newKyberPreKey(meta: _Meta, writes: StoreWrite[], lastResort: boolean): SignedPublicPreKey {
    const b = this.#backend;
    const kp = _kem(b, this.#kem).keygen();
    const publicKey = serializeKem(this.#kem, kp.publicKey);
    const rec: _KyberPreKeyRecord = {
      id: meta.nextKyberPreKeyId,
      kem: this.#kem,
      secretKey: kp.secretKey,
      publicKey: kp.publicKey,
      signature: b.xeddsa.sign(this.#identity.identityKey.secretKey, publicKey),
      createdAt: this.#now(),
      lastResort,
    };
    if (lastResort) meta.lastResortKyberId = rec.id;
    meta.nextKyberPreKeyId = _nextId(rec.id);
    writes.push(this.#put(`kpk/${rec.id}`, rec));
    return { id: rec.id, publicKey, signature: rec.signature };
  }

  /** Makes `preKeys` one-time Curve25519 and `kyberPreKeys` one-time post-quantum prekeys (0..1000 each). */
  async generatePreKeys(preKeys: number, kyberPreKeys: number): Promise<PreKeyUpload> {
    for (const [n, v] of [['preKeys', preKeys], ['kyberPreKeys', kyberPreKeys]] as const)
      if (!Number.isInteger(v) || v < 0 || v > 1000)
        throw new SessionError('MALFORMED', n, `"${n}" expected an integer 0..1000, got ${String(v)}`);
    return this.#run(async () => {
      const meta = await this.#meta();
      const writes: StoreWrite[] = [];
      const upload = this.#upload(undefined, undefined, this.#oneTime(meta, writes, preKeys), this.#kyberOneTime(meta, writes, kyberPreKeys));
      writes.push(this.#put('meta', meta));
      await this.#store.commit(writes);
      return upload;
    });
  }

  #oneTime(meta: _Meta, writes: StoreWrite[], n: number): { id: number; publicKey: Uint8Array }[] {
    const out = [];
    for (let i = 0; i < n; i++) {
      const rec: _PreKeyRecord = { id: meta.nextPreKeyId, keyPair: this.#backend.x25519.keygen() };
      meta.nextPreKeyId = _nextId(rec.id);
      writes.push(this.#put(`opk/${rec.id}`, rec));
      out.push({ id: rec.id, publicKey: serializeCurveKey(rec.keyPair.publicKey) });
    }
    return out;
  }

  #kyberOneTime(meta: _Meta, writes: StoreWrite[], n: number): SignedPublicPreKey[] {
    const out = [];
    for (let i = 0; i < n; i++) out.push(this.#newKyberPreKey(meta, writes, false));
    return out;
  }

  #upload(
    spk: SignedPublicPreKey | undefined,
    lastResort: SignedPublicPreKey | undefined,
    preKeys: PreKeyUpload['preKeys'],
    kyberPreKeys: PreKeyUpload['kyberPreKeys'],
  ): PreKeyUpload {
    return {
      identityKey: serializeCurveKey(this.#identity.identityKey.publicKey),
      registrationId: this.#identity.registrationId,
      signedPreKey: spk,
      lastResortKyberPreKey: lastResort,
      preKeys,
      kyberPreKeys,
    };
  }

  /**
   * The replenishment and rotation hook: given the pool counts the prekey service reports (if
   * any), tops each kind up to `target` when below `lowWater`, replaces the signed and last-resort
   * prekeys older than `rotateAfterMs`, and forgets replaced ones past `retainMs`. Returns what to
   * upload (empty lists when nothing changed).
   */
  maintain(pool?: { readonly preKeys: number; readonly kyberPreKeys: number }): Promise<PreKeyUpload> {
    return this.#run(async () => {
      const now = this.#now();
      const pol = this.#policy;
      const meta = await this.#meta();
      const writes: StoreWrite[] = [];
      const spk = await this.#get<_SignedPreKeyRecord>(`spk/${meta.signedPreKeyId}`, 'signed prekey');
      const lr = await this.#get<_KyberPreKeyRecord>(`kpk/${meta.lastResortKyberId}`, 'post-quantum prekey');
      const newSpk = spk === undefined || now - spk.createdAt >= pol.rotateAfterMs ? this.#newSignedPreKey(meta, writes) : undefined;
      const newLr = lr === undefined || now - lr.createdAt >= pol.rotateAfterMs ? this.#newKyberPreKey(meta, writes, true) : undefined;
      const top = (have: number | undefined) => (have !== undefined && have < pol.lowWater ? Math.max(0, pol.target - have) : 0);
      const preKeys = this.#oneTime(meta, writes, top(pool?.preKeys));
      const kyberPreKeys = this.#kyberOneTime(meta, writes, top(pool?.kyberPreKeys));
      // Replaced keys stay for session starts still in flight, then go.
      const cutoff = now - pol.rotateAfterMs - pol.retainMs;
      for (const key of await this.#store.keys(`${this.#p}spk/`)) {
        const r = _decodeJson<_SignedPreKeyRecord>((await this.#store.get(key))!, 'signed prekey');
        if (r.id !== meta.signedPreKeyId && r.createdAt < cutoff) writes.push([key, undefined]);
      }
      for (const key of await this.#store.keys(`${this.#p}kpk/`)) {
        const r = _decodeJson<_KyberPreKeyRecord>((await this.#store.get(key))!, 'post-quantum prekey');
        if (r.lastResort && r.id !== meta.lastResortKyberId && r.createdAt < cutoff) {
          writes.push([key, undefined]);
          for (const used of await this.#store.keys(`${this.#p}kused/${r.id}/`)) writes.push([used, undefined]);
        }
      }
      if (writes.length > 0) {
        writes.push(this.#put('meta', meta));
        await this.#store.commit(writes);
      }
      return this.#upload(newSpk, newLr, preKeys, kyberPreKeys);
    });
  }

  /**
   * A bundle of our current keys, for a peer to start a session without the prekey service (an
   * invite, a test). With `oneTime` it includes the lowest-numbered one-time prekeys we still hold
   * (they are consumed when a peer uses them, not when handed out here).
   */
  bundle(options?: { readonly oneTime?: boolean }): Promise<PreKeyBundle> {
    return this.#run(async () => {
      const meta = await this.#meta();
      const spk = await this.#get<_SignedPreKeyRecord>(`spk/${meta.signedPreKeyId}`, 'signed prekey');
      let kpk = await this.#get<_KyberPreKeyRecord>(`kpk/${meta.lastResortKyberId}`, 'post-quantum prekey');
      if (spk === undefined || kpk === undefined)
        throw new SessionError('UNKNOWN_PREKEY', 'bundle', 'the current signed or last-resort prekey is missing from the store');
      let preKey: PreKeyBundle['preKey'];
      if (options?.oneTime === true) {
        const byId = (a: string, b: string) => Number(a.slice(a.lastIndexOf('/') + 1)) - Number(b.slice(b.lastIndexOf('/') + 1));
        const opk = (await this.#store.keys(`${this.#p}opk/`)).sort(byId)[0];
        if (opk !== undefined) {
          const r = _decodeJson<_PreKeyRecord>((await this.#store.get(opk))!, 'prekey');
          preKey = { id: r.id, publicKey: serializeCurveKey(r.keyPair.publicKey) };
        }
        for (const key of (await this.#store.keys(`${this.#p}kpk/`)).sort(byId)) {
          const r = _decodeJson<_KyberPreKeyRecord>((await this.#store.get(key))!, 'post-quantum prekey');
          if (!r.lastResort) {
            kpk = r;
            break;
          }
        }
      }
      return {
        registrationId: this.#identity.registrationId,
        deviceId: 1,
        identityKey: serializeCurveKey(this.#identity.identityKey.publicKey),
        signedPreKey: { id: spk.id, publicKey: serializeCurveKey(spk.keyPair.publicKey), signature: spk.signature },
        kyberPreKey: { id: kpk.id, publicKey: serializeKem(kpk.kem, kpk.publicKey), signature: kpk.signature },
        preKey,
      };
    });
  }

  async #record(peer: string): Promise<_SessionRecord> {
    const b = await this.#store.get(`${this.#p}s/${peer}`);
    return b === undefined ? { identity: undefined, current: undefined, previous: [] } : _decodeRecord(b);
  }

  /**
   * Verifies `bundle` and starts a new session with `peer` from it (PQXDH); the next `encrypt`
   * sends the session-starting message. Throws `SessionError` `BAD_KEY`, `MALFORMED` or
   * `BAD_SIGNATURE` for a bad bundle, `UNTRUSTED_IDENTITY` when the peer's identity key changed.
   */
  async startSession(peer: string, bundle: PreKeyBundle): Promise<void> {
    _checkPeer(peer);
    return this.#run(async () => {
      const b = this.#backend;
      const v = _verifyBundle(b, bundle);
      const rec = await this.#record(peer);
      if (rec.identity !== undefined && !_equal(rec.identity, v.identityKey))
        throw new SessionError('UNTRUSTED_IDENTITY', 'bundle.identityKey', 'the peer\'s identity key changed; trustIdentity() accepts the new one');
      const state = _initAlice(b, {
        identity: this.#identity.identityKey,
        registrationId: this.#identity.registrationId,
        theirIdentity: v.identityKey,
        theirRegistrationId: v.registrationId,
        signedPreKeyId: v.signedPreKeyId,
        signedPreKey: v.signedPreKey,
        preKeyId: v.preKeyId,
        preKey: v.preKey,
        kyberPreKeyId: v.kyberPreKeyId,
        kyberType: v.kyberType,
        kyberPreKey: v.kyberPreKey,
        now: this.#now(),
      });
      rec.identity = v.identityKey;
      _promote(rec, state);
      await this.#store.commit([[`${this.#p}s/${peer}`, _encodeRecord(rec)]]);
    });
  }

  /**
   * Where a session with `peer` stands: `none` (start one from a bundle), `starting` (the next
   * message is a PreKeySignalMessage: the peer has not answered yet), `established`.
   */
  async sessionStatus(peer: string): Promise<'none' | 'starting' | 'established'> {
    _checkPeer(peer);
    return this.#run(async () => {
      const cur = (await this.#record(peer)).current;
      return cur === undefined ? 'none' : cur.pending !== undefined ? 'starting' : 'established';
    });
  }

  /**
   * The identity key's XEdDSA signature over the prekey service's upload proof of `body`
   * (protocol.md §13.3: "tacit/v1/prekeys" || BLAKE3 of the body without its last 64 bytes). Only
   * that message is signed: the identity key signs nothing a caller chooses freely.
   */
  signPreKeyUpload(body: Uint8Array): Uint8Array {
    if (!(body instanceof Uint8Array)) throw new SessionError('MALFORMED', 'body', '"body" expected Uint8Array');
    return this.#backend.xeddsa.sign(this.#identity.identityKey.secretKey, prekeyUploadProofMessage(body));
  }

  /**
   * Opens a sealed box addressed to our identity key (the messenger's envelope). Throws the
   * backend's `CryptoError` AUTH_FAILED for anything not sealed to us.
   */
  openSealed(box: Uint8Array, aad?: Uint8Array): Uint8Array {
    return this.#backend.sealedBox.open(this.#identity.identityKey.secretKey, box, aad);
  }

  /** True when we have a session with `peer` to send on. */
  async hasSession(peer: string): Promise<boolean> {
    _checkPeer(peer);
    return this.#run(async () => (await this.#record(peer)).current !== undefined);
  }

  /** The identity key (32 bytes) we trust for `peer`, if any. */
  async peerIdentity(peer: string): Promise<Uint8Array | undefined> {
    _checkPeer(peer);
    return this.#run(async () => (await this.#record(peer)).identity);
  }

  /**
   * Accepts a new identity key for `peer` (after the user checked the new safety number). Existing
   * sessions with the old key are dropped: a new one starts from the peer's next bundle or message.
   */
  async trustIdentity(peer: string, identityKey: Uint8Array): Promise<void> {
    _checkPeer(peer);
    if (!(identityKey instanceof Uint8Array) || identityKey.length !== 32)
      throw new SessionError('BAD_KEY', 'identityKey', `"identityKey" expected 32 bytes, got ${identityKey instanceof Uint8Array ? identityKey.length : typeof identityKey}`);
    return this.#run(async () => {
      const rec = await this.#record(peer);
      if (rec.identity !== undefined && _equal(rec.identity, identityKey)) return;
      await this.#store.commit([
        [`${this.#p}s/${peer}`, _encodeRecord({ identity: identityKey.slice(), current: undefined, previous: [] })],
      ]);
    });
  }

  /**
   * Encrypts `plaintext` for `peer`: a PreKeySignalMessage (type 3) until the peer has answered,
   * then SignalMessages (type 2). The advanced chain is stored before this resolves. Throws
   * `SessionError` `NO_SESSION` without a session (or one never answered in 30 days).
   */
  async encrypt(peer: string, plaintext: Uint8Array): Promise<CiphertextMessage> {
    _checkPeer(peer);
    if (!(plaintext instanceof Uint8Array)) throw new SessionError('MALFORMED', 'plaintext', '"plaintext" expected Uint8Array');
    return this.#run(async () => {
      const rec = await this.#record(peer);
      if (rec.current === undefined) throw new SessionError('NO_SESSION', 'peer', 'no session with this peer: start one from a bundle');
      const out = _encrypt(this.#backend, rec.current, plaintext, this.#now());
      await this.#store.commit([[`${this.#p}s/${peer}`, _encodeRecord(rec)]]);
      return out;
    });
  }

  /**
   * Decrypts a message from `peer`, and stores the advanced session and the plaintext (in the
   * inbox) in one commit. Throws `SessionError` (`MALFORMED`, `BAD_VERSION`, `BAD_KEY`,
   * `UNTRUSTED_IDENTITY`, `UNKNOWN_PREKEY`, `PREKEY_REUSED`, `AUTH_FAILED`, `DUPLICATE_MESSAGE`,
   * `NO_SESSION`, `TOO_FAR_AHEAD`) and then nothing was stored: later valid messages still decrypt.
   */
  async decrypt(peer: string, message: CiphertextMessage): Promise<InboxMessage> {
    _checkPeer(peer);
    if (typeof message !== 'object' || message === null || !(message.body instanceof Uint8Array))
      throw new SessionError('MALFORMED', 'message', '"message" expected { type, body: Uint8Array }');
    if (message.type !== MESSAGE_TYPE_PREKEY && message.type !== MESSAGE_TYPE_WHISPER)
      throw new SessionError('MALFORMED', 'message.type', `"message.type" expected 2 or 3, got ${String(message.type)}`);
    return this.#run(async () => {
      const writes: StoreWrite[] = [];
      const rec = await this.#record(peer);
      const plaintext =
        message.type === MESSAGE_TYPE_PREKEY
          ? await this.#decryptPreKey(rec, message.body, writes)
          : await this.#decryptWhisper(peer, rec, message.body);
      const receivedAt = this.#now();
      // Inbox ids sort by arrival: time, then a per-process sequence, then randomness against
      // two processes (or a restart within the same millisecond) picking the same id.
      const id = `${receivedAt.toString().padStart(15, '0')}-${(this.#inboxSeq++ % 1e6).toString().padStart(6, '0')}-${_hex(this.#backend.randomBytes(4))}`;
      writes.push([`${this.#p}s/${peer}`, _encodeRecord(rec)]);
      writes.push(this.#put(`in/${id}`, { peer, plaintext, receivedAt }));
      await this.#store.commit(writes);
      return { id, peer, plaintext, receivedAt };
    });
  }

  async #decryptWhisper(peer: string, rec: _SessionRecord, body: Uint8Array): Promise<Uint8Array> {
    const msg = _decodeSignalMessage(body);
    if (rec.current === undefined && rec.previous.length === 0)
      throw new SessionError('NO_SESSION', 'peer', 'no session with this peer for this message');
    let first: unknown;
    if (rec.current !== undefined) {
      try {
        return _decrypt(this.#backend, rec.current, msg);
      } catch (err) {
        if (err instanceof SessionError && err.code === 'DUPLICATE_MESSAGE') throw err;
        first = err;
      }
    }
    // An earlier session may still be the one the peer sends on (it started over while our
    // answer was in flight). Each try runs on a fresh copy, since a failed one leaves its state half-advanced.
    for (let i = 0; i < rec.previous.length; i++) {
      const fresh = await this.#record(peer);
      const state = fresh.previous[i]!;
      try {
        const pt = _decrypt(this.#backend, state, msg);
        fresh.previous.splice(i, 1);
        _promote(fresh, state);
        // The failed tries above changed `rec`; what is committed is the fresh copy.
        rec.current = fresh.current;
        rec.previous.splice(0, rec.previous.length, ...fresh.previous);
        return pt;
      } catch (err) {
        if (err instanceof SessionError && err.code === 'DUPLICATE_MESSAGE') throw err;
        first ??= err;
      }
    }
    throw first;
  }

  async #decryptPreKey(rec: _SessionRecord, body: Uint8Array, writes: StoreWrite[]): Promise<Uint8Array> {
    const b = this.#backend;
    const m = _decodePreKeySignalMessage(body);
    if (rec.identity !== undefined && !_equal(rec.identity, m.identityKey))
      throw new SessionError('UNTRUSTED_IDENTITY', 'message.identity_key', 'the peer\'s identity key changed; trustIdentity() accepts the new one');
    // The initiator repeats its prekey header until we answer: a session with this base key is
    // the one it already started, and its prekeys were consumed the first time.
    let state: _SessionState | undefined;
    if (rec.current !== undefined && _equal(rec.current.baseKey, m.baseKey)) state = rec.current;
    else {
      const i = rec.previous.findIndex((s) => _equal(s.baseKey, m.baseKey));
      if (i >= 0) {
        state = rec.previous.splice(i, 1)[0]!;
        _promote(rec, state);
      }
    }
    if (state === undefined) {
      const spk = await this.#get<_SignedPreKeyRecord>(`spk/${m.signedPreKeyId}`, 'signed prekey');
      if (spk === undefined)
        throw new SessionError('UNKNOWN_PREKEY', 'message.signed_pre_key_id', 'the message names a signed prekey we do not hold (rotated away, or never ours)');
      const kpk = await this.#get<_KyberPreKeyRecord>(`kpk/${m.kyberPreKeyId}`, 'post-quantum prekey');
      if (kpk === undefined)
        throw new SessionError('UNKNOWN_PREKEY', 'message.kyber_pre_key_id', 'the message names a post-quantum prekey we do not hold (already used, or never ours)');
      if (kpk.kem !== m.kyberType)
        throw new SessionError('BAD_KEY', 'message.kyber_ciphertext', `the ciphertext is for ${m.kyberType}, the prekey is ${kpk.kem}`);
      let opk: _PreKeyRecord | undefined;
      if (m.preKeyId !== undefined) {
        opk = await this.#get<_PreKeyRecord>(`opk/${m.preKeyId}`, 'prekey');
        if (opk === undefined)
          throw new SessionError('UNKNOWN_PREKEY', 'message.pre_key_id', 'the message names a one-time prekey we do not hold (already used, or never ours)');
        writes.push([`${this.#p}opk/${opk.id}`, undefined]);
      }
      if (!kpk.lastResort) writes.push([`${this.#p}kpk/${kpk.id}`, undefined]);
      state = _initBob(b, {
        identity: this.#identity.identityKey,
        registrationId: this.#identity.registrationId,
        signedPreKey: spk.keyPair,
        preKey: opk?.keyPair,
        kyberType: kpk.kem,
        kyberSecret: kpk.secretKey,
        theirIdentity: m.identityKey,
        theirRegistrationId: m.registrationId,
        theirBaseKey: m.baseKey,
        kyberCiphertext: m.kyberCiphertext,
      });
      if (kpk.lastResort) {
        // A last-resort key serves many session starts, each only once. The start is named by
        // its root key, not its base key bytes: a base key with a small-order point added
        // (or the same key under another sender) derives the same keys, and is the same start.
        const name = _b64(blake3(state.rootKey).subarray(0, 16)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
        const used = `${this.#p}kused/${kpk.id}/${name}`;
        if ((await this.#store.get(used)) !== undefined)
          throw new SessionError('PREKEY_REUSED', 'message.base_key', 'this session start was already made with our last-resort post-quantum prekey');
        writes.push([used, Uint8Array.of(1)]);
      }
      _promote(rec, state);
    }
    const pt = _decrypt(b, state, m.message);
    rec.identity = m.identityKey;
    return pt;
  }

  /** Inbox entries not yet acknowledged, oldest first (after a crash: the ones to surface again). */
  pending(): Promise<InboxMessage[]> {
    return this.#run(async () => {
      const out: InboxMessage[] = [];
      for (const key of await this.#store.keys(`${this.#p}in/`)) {
        const v = await this.#store.get(key);
        if (v === undefined) continue;
        const e = _decodeJson<{ peer: string; plaintext: Uint8Array; receivedAt: number }>(v, 'inbox entry');
        out.push({ id: key.slice(this.#p.length + 3), ...e });
      }
      return out;
    });
  }

  /** Removes an inbox entry once the app has it safely; unknown ids are ignored. */
  async acknowledge(id: string): Promise<void> {
    if (typeof id !== 'string' || !/^[0-9a-f-]{1,40}$/.test(id)) throw new SessionError('MALFORMED', 'id', '"id" is not an inbox id');
    return this.#run(() => this.#store.commit([[`${this.#p}in/${id}`, undefined]]));
  }
}
