// Fixtures for the push specs: a device with a real Ed25519 peer key that signs registrations, a
// sender standing for a provider (it records wakes and answers programmed outcomes), a clock moved
// by hand. Not part of the package's API.
import { createECDH } from 'node:crypto';
import { ed25519, type KeyPair } from '@tacit/crypto';
import { currentEpoch, destHash, mailboxId, pushRegistrationMessage, pushUnregisterMessage, type PushTargetFields } from '@tacit/protocol';
import type { WakeOutcome, WakeProvider, WakeSender, WakeTarget } from '@tacit/push-providers';
import type { PushRegistration, PushUnregistration } from './push.service.js';

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public t = Date.now()) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A valid target of each provider. */
export const TARGETS = {
  apns: { provider: 'apns', token: 'a1'.repeat(32) },
  fcm: { provider: 'fcm', token: 'fcm-token:' + 'Z'.repeat(40) },
  webpush: {
    provider: 'webpush',
    endpoint: 'https://push.example.test/send/abc',
    // A real P-256 point: the senders' shape check (validateTarget) decodes it.
    p256dh: createECDH('prime256v1').generateKeys().toString('base64url'),
    auth: Buffer.alloc(16, 3).toString('base64url'),
  },
} as const satisfies Record<WakeProvider, PushTargetFields>;

/** An FCM target of its own (tests sharing one database must not share a target's counts). */
export function freshFcm(): PushTargetFields {
  return { provider: 'fcm', token: 'fcm:' + Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url') };
}

/** A device: one peer key in one namespace, registering the coming epochs' dests. */
export class TestDevice {
  readonly key: KeyPair = ed25519.keygen();
  readonly namespaceId = crypto.getRandomValues(new Uint8Array(32));

  constructor(private readonly clock: FakeClock) {}

  get peerKey(): Uint8Array {
    return this.key.publicKey;
  }

  /** Dests of `n` epochs from the current one. */
  dests(n = 3, from = currentEpoch(this.clock.t)): Uint8Array[] {
    return Array.from({ length: n }, (_, i) => destHash(this.namespaceId, this.peerKey, from + i));
  }

  /** The mailbox id of `dest` under this device's key (what a gateway's QueuedEvent carries). */
  mailbox(dest: Uint8Array): Uint8Array {
    return mailboxId(dest, this.peerKey);
  }

  /** A signed registration; `over` replaces fields after signing. */
  registration(target: PushTargetFields, dests: readonly Uint8Array[] = this.dests(), over: Partial<PushRegistration> = {}): PushRegistration {
    const issuedAtMs = over.issuedAtMs ?? this.clock.t;
    const signature = ed25519.sign(this.key.secretKey, pushRegistrationMessage(issuedAtMs, target, dests));
    return { peerKey: this.peerKey, dests, target, issuedAtMs, signature, requester: 'req-1', ...over };
  }

  unregistration(over: Partial<PushUnregistration> = {}): PushUnregistration {
    const issuedAtMs = over.issuedAtMs ?? this.clock.t;
    return { peerKey: this.peerKey, issuedAtMs, signature: ed25519.sign(this.key.secretKey, pushUnregisterMessage(issuedAtMs)), requester: 'req-1', ...over };
  }
}

/** What the recording sender answers: an outcome, or 'hang' (never answers until aborted). */
export type Programmed = WakeOutcome | 'hang' | ((target: WakeTarget) => WakeOutcome | Promise<WakeOutcome>);

/** A {@link WakeSender} that records every wake and answers the programmed outcomes in turn (then 'sent'). */
export class RecordingSender implements WakeSender {
  readonly wakes: WakeTarget[] = [];
  readonly program: Programmed[] = [];
  aborted = 0;
  closed = false;

  constructor(readonly provider: WakeProvider) {}

  async wake(target: WakeTarget, signal?: AbortSignal): Promise<WakeOutcome> {
    this.wakes.push(target);
    const next = this.program.shift() ?? { kind: 'sent' };
    if (next === 'hang') {
      return new Promise((resolve) => {
        signal?.addEventListener(
          'abort',
          () => {
            this.aborted++;
            resolve({ kind: 'retry', reason: 'aborted' });
          },
          { once: true },
        );
      });
    }
    return typeof next === 'function' ? next(target) : next;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
