/**
 * Test and bench helper, not exported: a libsignal client (`@signalapp/libsignal-client`, an AGPL
 * devDependency used only by specs and the bench) with in-memory stores, speaking through the same
 * `PreKeyBundle` and `CiphertextMessage` shapes as `SessionManager`, so a spec can put either on
 * either side.
 * @module
 */
import * as S from '@signalapp/libsignal-client';
import type { PreKeyBundle } from './bundle.js';
import type { CiphertextMessage } from './messages.js';

// libsignal's typings want Uint8Array<ArrayBuffer>; a copy always is one.
const _ab = (u: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(u);

class _Sessions extends S.SessionStore {
  readonly map = new Map<string, Uint8Array<ArrayBuffer>>();
  async saveSession(name: S.ProtocolAddress, record: S.SessionRecord): Promise<void> {
    this.map.set(name.toString(), record.serialize());
  }
  async getSession(name: S.ProtocolAddress): Promise<S.SessionRecord | null> {
    const r = this.map.get(name.toString());
    return r === undefined ? null : S.SessionRecord.deserialize(r);
  }
  async getExistingSessions(addresses: S.ProtocolAddress[]): Promise<S.SessionRecord[]> {
    return addresses.map((a) => S.SessionRecord.deserialize(this.map.get(a.toString())!));
  }
}

class _Identities extends S.IdentityKeyStore {
  readonly known = new Map<string, S.PublicKey>();
  constructor(
    readonly pair: S.IdentityKeyPair,
    readonly registrationId: number,
  ) {
    super();
  }
  async getIdentityKey(): Promise<S.PrivateKey> {
    return this.pair.privateKey;
  }
  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  async saveIdentity(name: S.ProtocolAddress, key: S.PublicKey): Promise<S.IdentityChange> {
    const old = this.known.get(name.toString());
    this.known.set(name.toString(), key);
    return old !== undefined && !old.equals(key) ? S.IdentityChange.ReplacedExisting : S.IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(name: S.ProtocolAddress, key: S.PublicKey): Promise<boolean> {
    const old = this.known.get(name.toString());
    return old === undefined || old.equals(key);
  }
  async getIdentity(name: S.ProtocolAddress): Promise<S.PublicKey | null> {
    return this.known.get(name.toString()) ?? null;
  }
}

class _PreKeys extends S.PreKeyStore {
  readonly map = new Map<number, S.PreKeyRecord>();
  async savePreKey(id: number, record: S.PreKeyRecord): Promise<void> {
    this.map.set(id, record);
  }
  async getPreKey(id: number): Promise<S.PreKeyRecord> {
    const r = this.map.get(id);
    if (r === undefined) throw new Error(`no prekey ${id}`);
    return r;
  }
  async removePreKey(id: number): Promise<void> {
    this.map.delete(id);
  }
}

class _SignedPreKeys extends S.SignedPreKeyStore {
  readonly map = new Map<number, S.SignedPreKeyRecord>();
  async saveSignedPreKey(id: number, record: S.SignedPreKeyRecord): Promise<void> {
    this.map.set(id, record);
  }
  async getSignedPreKey(id: number): Promise<S.SignedPreKeyRecord> {
    const r = this.map.get(id);
    if (r === undefined) throw new Error(`no signed prekey ${id}`);
    return r;
  }
}

class _KyberPreKeys extends S.KyberPreKeyStore {
  readonly map = new Map<number, S.KyberPreKeyRecord>();
  readonly used: number[] = [];
  async saveKyberPreKey(id: number, record: S.KyberPreKeyRecord): Promise<void> {
    this.map.set(id, record);
  }
  async getKyberPreKey(id: number): Promise<S.KyberPreKeyRecord> {
    const r = this.map.get(id);
    if (r === undefined) throw new Error(`no kyber prekey ${id}`);
    return r;
  }
  async markKyberPreKeyUsed(id: number): Promise<void> {
    this.used.push(id);
  }
}

/** One libsignal client (device 1) with in-memory stores. */
export class _LibsignalPeer {
  readonly identity = S.IdentityKeyPair.generate();
  readonly registrationId = 1 + Math.floor(Math.random() * 16380);
  readonly sessions = new _Sessions();
  readonly identities = new _Identities(this.identity, this.registrationId);
  readonly preKeys = new _PreKeys();
  readonly signedPreKeys = new _SignedPreKeys();
  readonly kyberPreKeys = new _KyberPreKeys();
  #nextId = 1;

  /** Our identity key, 32 bytes. */
  get identityKey(): Uint8Array {
    return this.identity.publicKey.getPublicKeyBytes();
  }

  /** A fresh bundle: new signed prekey, new Kyber-1024 prekey, and a one-time prekey unless `oneTime` is false. */
  async bundle(oneTime = true): Promise<PreKeyBundle> {
    const id = this.#nextId++;
    const spk = S.PrivateKey.generate();
    const spkSig = this.identity.privateKey.sign(spk.getPublicKey().serialize());
    await this.signedPreKeys.saveSignedPreKey(id, S.SignedPreKeyRecord.new(id, Date.now(), spk.getPublicKey(), spk, spkSig));
    const kem = S.KEMKeyPair.generate();
    const kemSig = this.identity.privateKey.sign(kem.getPublicKey().serialize());
    await this.kyberPreKeys.saveKyberPreKey(id, S.KyberPreKeyRecord.new(id, Date.now(), kem, kemSig));
    let preKey: PreKeyBundle['preKey'];
    if (oneTime) {
      const opk = S.PrivateKey.generate();
      await this.preKeys.savePreKey(id, S.PreKeyRecord.new(id, opk.getPublicKey(), opk));
      preKey = { id, publicKey: opk.getPublicKey().serialize() };
    }
    return {
      registrationId: this.registrationId,
      deviceId: 1,
      identityKey: this.identity.publicKey.serialize(),
      signedPreKey: { id, publicKey: spk.getPublicKey().serialize(), signature: spkSig },
      kyberPreKey: { id, publicKey: kem.getPublicKey().serialize(), signature: kemSig },
      preKey,
    };
  }

  #address(peer: string): S.ProtocolAddress {
    return S.ProtocolAddress.new(peer, 1);
  }

  /** Starts a session with `peer` from its bundle (libsignal's processPreKeyBundle). */
  async startSession(peer: string, b: PreKeyBundle): Promise<void> {
    const bundle = S.PreKeyBundle.new(
      b.registrationId,
      b.deviceId,
      b.preKey?.id ?? null,
      b.preKey === undefined ? null : S.PublicKey.deserialize(_ab(b.preKey.publicKey)),
      b.signedPreKey.id,
      S.PublicKey.deserialize(_ab(b.signedPreKey.publicKey)),
      _ab(b.signedPreKey.signature),
      S.PublicKey.deserialize(_ab(b.identityKey)),
      b.kyberPreKey.id,
      S.KEMPublicKey.deserialize(_ab(b.kyberPreKey.publicKey)),
      _ab(b.kyberPreKey.signature),
    );
    await S.processPreKeyBundle(bundle, this.#address(peer), this.sessions, this.identities);
  }

  /** Encrypts for `peer`. */
  async encrypt(peer: string, plaintext: Uint8Array): Promise<CiphertextMessage> {
    const m = await S.signalEncrypt(_ab(plaintext), this.#address(peer), this.sessions, this.identities);
    return { type: m.type() as 2 | 3, body: m.serialize() };
  }

  /** Decrypts a message from `peer`. */
  async decrypt(peer: string, m: CiphertextMessage): Promise<Uint8Array> {
    const address = this.#address(peer);
    if (m.type === S.CiphertextMessageType.PreKey)
      return S.signalDecryptPreKey(
        S.PreKeySignalMessage.deserialize(_ab(m.body)),
        address,
        this.sessions,
        this.identities,
        this.preKeys,
        this.signedPreKeys,
        this.kyberPreKeys,
      );
    return S.signalDecrypt(S.SignalMessage.deserialize(_ab(m.body)), address, this.sessions, this.identities);
  }

  /** libsignal's safety number digits for us and `remote`. */
  safetyNumber(localId: Uint8Array, remoteId: Uint8Array, remoteIdentityKey: Uint8Array, iterations = 5200, version = 2) {
    const f = S.Fingerprint.new(
      iterations,
      version,
      _ab(localId),
      this.identity.publicKey,
      _ab(remoteId),
      S.PublicKey.deserialize(_ab(new Uint8Array([5, ...remoteIdentityKey]))),
    );
    return { digits: f.displayableFingerprint().toString(), scannable: f.scannableFingerprint().toBuffer() };
  }
}
