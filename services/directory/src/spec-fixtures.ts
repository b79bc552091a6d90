// Fixtures for the directory specs: owners with real keys who build registrations, grants and
// records as the SDK will, and a clock the test moves. Not part of the package's API.
import { x25519, type KeyPair } from '@tacit/crypto';
import {
  deriveControlKey,
  deriveHandleKeys,
  encodeGrant,
  entryId,
  recordHash,
  sealRecord,
  signRegistration,
  signRelease,
  signTransfer,
  type HandleKeys,
  type OwnershipPolicy,
} from '@tacit/directory-core';
import type { RegisterInput, ReleaseInput, TransferInput } from './directory.service.js';

const _keys = new Map<string, HandleKeys>();

/** The keys of `handle` in `namespaceId`, computed once per spec process (Argon2id takes 0.3 s). */
export function keysOf(namespaceId: Uint8Array, handle: string): HandleKeys {
  const k = `${Buffer.from(namespaceId).toString('hex')}/${handle}`;
  let v = _keys.get(k);
  if (!v) _keys.set(k, (v = deriveHandleKeys(namespaceId, handle)));
  return v;
}

/** A user who owns (or wants) one handle, holding an identity key as the SDK would. */
export class TestOwner {
  readonly identity: KeyPair = x25519.keygen();
  readonly control: KeyPair;
  readonly invite: Uint8Array;

  constructor(
    readonly keys: HandleKeys,
    readonly policy: OwnershipPolicy = 'signed',
    readonly requester = 'client-a',
  ) {
    this.control = deriveControlKey(this.identity.secretKey, keys.lookupKey);
    this.invite = new TextEncoder().encode(`TACIT1:${Buffer.from(this.identity.publicKey).toString('base64')}`);
  }

  get entryId(): Uint8Array {
    return entryId(this.policy, this.keys.lookupKey);
  }

  /** A record of this owner's identity and invite. */
  record(invite = this.invite): Uint8Array {
    return sealRecord({ keys: this.keys, policy: this.policy, identity: this.identity, controlKey: this.control.publicKey, invite }).ciphertext;
  }

  /** A registration over `challenge`, with `over` replacing fields after signing. */
  register(challenge: Uint8Array, over: Partial<RegisterInput> = {}): RegisterInput {
    const record = over.record ?? this.record();
    return {
      policy: this.policy,
      lookupKey: this.keys.lookupKey,
      requester: this.requester,
      record,
      controlKey: this.control.publicKey,
      challenge,
      proof: signRegistration(this.control.secretKey, challenge, this.entryId, recordHash(record)),
      ...over,
    };
  }

  /** This owner's grant of the entry at `sequence` to `to`, with `to`'s record and proof over `challenge`. */
  transferTo(to: TestOwner, sequence: number, expiresAt: number, challenge: Uint8Array, signer: KeyPair = this.control): TransferInput {
    const record = to.record();
    return {
      policy: this.policy,
      lookupKey: this.keys.lookupKey,
      requester: to.requester,
      grant: encodeGrant(signTransfer(signer.secretKey, this.entryId, sequence, expiresAt, to.control.publicKey)),
      record,
      challenge,
      proof: signRegistration(to.control.secretKey, challenge, this.entryId, recordHash(record)),
    };
  }

  /** This owner's release of the entry at `sequence`. */
  release(sequence: number, expiresAt: number): ReleaseInput {
    return {
      policy: this.policy,
      lookupKey: this.keys.lookupKey,
      requester: this.requester,
      grant: encodeGrant(signRelease(this.control.secretKey, this.entryId, sequence, expiresAt)),
    };
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
