/**
 * Sessions the messenger starts: from the contact's prekey bundle, fetched at its home relay (over
 * TLS unless `allowInsecure`) and checked against the identity key the contact is known by; one
 * start per contact at a time.
 * @module
 */
import { decodePrekeyBundle, prekeyAddressOf } from '@tacit/protocol';
import { isSecureRelayUrl } from '../relay-client.js';
import { serializeCurveKey } from '../session/keys.js';
import type { SessionManager } from '../session/session-manager.js';
import { equalBytes } from './contact-id.js';
import { MessengerError } from './errors.js';
import { PrekeyHttpClient } from './prekey-http.js';
import type { Contact, MessengerOptions } from './types.js';

/** Starts sessions for one messenger. */
export class SessionStarter {
  readonly #starts = new Map<string, Promise<void>>();

  constructor(
    private readonly sessions: SessionManager,
    private readonly o: Pick<MessengerOptions, 'namespaceId' | 'relays' | 'allowInsecure' | 'fetch'>,
    private readonly home: PrekeyHttpClient,
  ) {}

  /** Starts a session from the contact's bundle unless there is one; one start per contact at a time. */
  async ensure(contact: Contact): Promise<void> {
    const peer = contact.id;
    for (;;) {
      const running = this.#starts.get(peer);
      if (running === undefined) break;
      await running.catch(() => undefined);
    }
    if (await this.sessions.hasSession(peer)) return;
    const start = (async () => {
      if (contact.identityKey === undefined)
        throw new MessengerError('UNKNOWN_CONTACT', 'to', '"to" has no session and no identity key to start one: send to its invite');
      const relay = contact.relay ?? this.o.relays[0]!;
      if (!this.o.allowInsecure && !isSecureRelayUrl(relay))
        throw new MessengerError('BAD_INVITE', 'relay', '"relay" is plain ws:// to a host other than loopback: its prekeys could be swapped on the way (allowInsecure overrides)');
      const http = relay === this.o.relays[0] ? this.home : new PrekeyHttpClient(relay, this.o.fetch ? { fetch: this.o.fetch } : {});
      const ik = serializeCurveKey(contact.identityKey);
      const w = decodePrekeyBundle(await http.fetch(prekeyAddressOf(this.o.namespaceId, ik)));
      if (!equalBytes(w.identityKey, ik))
        throw new MessengerError('BUNDLE_MISMATCH', 'bundle.identityKey', 'the relay handed out a bundle of another identity than the contact\'s');
      await this.sessions.startSession(peer, {
        registrationId: w.registrationId,
        deviceId: 1,
        identityKey: w.identityKey.slice(),
        signedPreKey: { id: w.signedPreKey.id, publicKey: w.signedPreKey.publicKey.slice(), signature: w.signedPreKey.signature.slice() },
        kyberPreKey: { id: w.kyberPreKey.id, publicKey: w.kyberPreKey.publicKey.slice(), signature: w.kyberPreKey.signature.slice() },
        preKey: w.preKey ? { id: w.preKey.id, publicKey: w.preKey.publicKey.slice() } : undefined,
      });
    })();
    this.#starts.set(peer, start);
    try {
      await start;
    } finally {
      this.#starts.delete(peer);
    }
  }
}
