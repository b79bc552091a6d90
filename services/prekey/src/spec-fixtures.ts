// Fixtures for the prekey specs: an identity with real keys that builds signed uploads, and ways to
// spoil one. Not part of the package's API.
import { mlkem1024, x25519, xeddsa, type KeyPair } from '@tacit/crypto';
import {
  encodePrekeyUpload,
  prekeyAddress,
  prekeyTag,
  prekeyUploadProofMessage,
  type PrekeyUpload,
  type WirePreKey,
  type WireSignedPreKey,
} from '@tacit/protocol';

/** `0x05 || key`. */
export function curveKey(pk: Uint8Array): Uint8Array {
  return Uint8Array.of(0x05, ...pk);
}

/** A client identity in one namespace, as the SDK would hold it, building uploads by hand. */
export class TestIdentity {
  readonly identity: KeyPair = x25519.keygen();
  readonly identityKey = curveKey(this.identity.publicKey);
  readonly tag: Uint8Array;
  readonly address: Uint8Array;
  private nextId = 1;

  constructor(readonly namespaceId: Uint8Array = crypto.getRandomValues(new Uint8Array(32))) {
    this.tag = prekeyTag(namespaceId, this.identityKey);
    this.address = prekeyAddress(this.tag, this.identityKey);
  }

  signed(publicKey: Uint8Array, signer: KeyPair = this.identity): WireSignedPreKey {
    return { id: this.nextId++, publicKey, signature: xeddsa.sign(signer.secretKey, publicKey) };
  }

  signedPreKey(): WireSignedPreKey {
    return this.signed(curveKey(x25519.keygen().publicKey));
  }

  kyberPreKey(): WireSignedPreKey {
    return this.signed(Uint8Array.of(0x0a, ...mlkem1024.keygen().publicKey));
  }

  preKeys(n: number): WirePreKey[] {
    return Array.from({ length: n }, () => ({ id: this.nextId++, publicKey: curveKey(x25519.keygen().publicKey) }));
  }

  /** A signed upload body. `over` replaces fields before signing; `signer` signs the proof. */
  upload(challenge: Uint8Array, over: Partial<PrekeyUpload> = {}, signer: KeyPair = this.identity): Uint8Array {
    const u: PrekeyUpload = {
      tag: this.tag,
      identityKey: this.identityKey,
      registrationId: 77,
      preKeys: [],
      kyberPreKeys: [],
      challenge,
      signature: new Uint8Array(64),
      ...over,
    };
    const bytes = encodePrekeyUpload(u);
    bytes.set(xeddsa.sign(signer.secretKey, prekeyUploadProofMessage(bytes)), bytes.length - 64);
    return bytes;
  }

  /** A first upload: signed prekey, last-resort key, `n` one-time keys of each kind. */
  full(challenge: Uint8Array, n: number): Uint8Array {
    return this.upload(challenge, {
      signedPreKey: this.signedPreKey(),
      lastResortKyberPreKey: this.kyberPreKey(),
      preKeys: this.preKeys(n),
      kyberPreKeys: Array.from({ length: n }, () => this.kyberPreKey()),
    });
  }
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public t = Date.now()) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}
