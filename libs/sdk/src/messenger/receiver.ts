/**
 * The messenger's receiving half: a delivered packet is opened, checked, decrypted and committed to
 * the inbox together with the ratchet's step before the relay is told (ACK); then each handler gets
 * it, one message at a time in arrival order, and the inbox entry goes once they resolve.
 * @module
 */
import { unpad } from '@tacit/protocol';
import type { CryptoBackend } from '@tacit/crypto';
import type { ReceivedMessage } from '../relay-client.js';
import type { MediaDescriptor } from '../media/descriptor.js';
import { SessionError } from '../session/errors.js';
import { _decodePreKeySignalMessage } from '../session/messages.js';
import type { InboxMessage, SessionManager } from '../session/session-manager.js';
import { contactId, equalBytes, unb64url } from './contact-id.js';
import { decodeContent, type MessageContent } from './content.js';
import { bindingMessage, ENVELOPE_AAD, parseEnvelope, type EnvelopeKind } from './envelope.js';
import { MessengerError } from './errors.js';
import type { Contact, IncomingMedia, IncomingMessage, MessageHandler } from './types.js';

const _dec = new TextDecoder();

/** What the receiver uses of its messenger. */
export interface ReceiverDeps {
  readonly sessions: SessionManager;
  readonly backend: CryptoBackend;
  /** The contact of a sender's id and mailbox key. */
  contactOf(id: string, mailboxKey: Uint8Array): Promise<Contact>;
  /** A media message's blob, as the app gets it. */
  incomingMedia(descriptor: MediaDescriptor): IncomingMedia;
  /** A session started on our prekeys (the pools may want topping up). */
  sessionStarted(): void;
  /** What went wrong in the background. */
  report(err: unknown): void;
  closed(): boolean;
}

/** Receives for one messenger. */
export class Receiver {
  readonly #handlers = new Set<MessageHandler>();
  readonly #surfacing = new Set<string>();
  #surfaceChain: Promise<void> = Promise.resolve();

  constructor(private readonly d: ReceiverDeps) {}

  /** Adds a handler; messages waiting in the inbox are handed to it at once. Returns its removal. */
  onMessage(handler: MessageHandler): () => void {
    this.#handlers.add(handler);
    void this.d.sessions.pending().then(
      (entries) => entries.forEach((e) => this.enqueue(e)),
      (err: unknown) => this.d.report(err),
    );
    return () => void this.#handlers.delete(handler);
  }

  /** Resolves once the messages being handed out are. */
  async settled(): Promise<void> {
    await this.#surfaceChain;
  }

  /** One delivered packet: opened, checked, decrypted and committed; resolves when the relay may be told. */
  async receive(msg: ReceivedMessage): Promise<void> {
    let env;
    try {
      env = parseEnvelope(this.d.sessions.openSealed(msg.payload, ENVELOPE_AAD));
    } catch (err) {
      return this.d.report(err instanceof MessengerError ? err : new MessengerError('BAD_ENVELOPE', 'box', 'a packet not sealed to our identity key', { cause: err }));
    }
    const peer = contactId(env.sender);
    if (env.kind === 3) {
      // A first message: the sender's mailbox key must vouch for the identity key the session starts from.
      let claimed: Uint8Array;
      try {
        claimed = _decodePreKeySignalMessage(env.message).identityKey;
      } catch (err) {
        return this.d.report(err);
      }
      if (!equalBytes(claimed, env.identityKey!) || !this.d.backend.ed25519.verify(env.sender, bindingMessage(env.identityKey!), env.binding!))
        return this.d.report(new MessengerError('BAD_SENDER', 'binding', 'a first message whose mailbox key does not vouch for its identity key'));
    }
    let entry: InboxMessage;
    try {
      entry = await this.#decryptAndStore(peer, env.kind, env.message);
    } catch (err) {
      // A message already received (a redelivery, a replay) is acked and shown no more.
      if (err instanceof SessionError) return err.code === 'DUPLICATE_MESSAGE' ? undefined : this.d.report(err);
      throw err;
    }
    if (env.kind === 3) this.d.sessionStarted();
    this.enqueue(entry);
  }

  /**
   * Decrypts and commits a message, trying again (100 ms doubling to 10 s) while the store fails:
   * the relay client acks whatever its handler settles with, and the relay must not hear an ACK for
   * a message that is not stored. A failed commit changed nothing, so a later try starts afresh;
   * a process that dies meanwhile gets the packet again from the relay. Refusals (SessionError)
   * and a close end it.
   */
  async #decryptAndStore(peer: string, kind: EnvelopeKind, body: Uint8Array): Promise<InboxMessage> {
    for (let wait = 100; ; wait = Math.min(wait * 2, 10_000)) {
      try {
        return await this.d.sessions.decrypt(peer, { type: kind, body });
      } catch (err) {
        if (err instanceof SessionError || this.d.closed()) throw err;
        this.d.report(err);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** Hands an inbox entry to the handlers, one entry at a time, in arrival order. */
  enqueue(entry: InboxMessage): void {
    if (this.#handlers.size === 0 || this.#surfacing.has(entry.id)) return;
    this.#surfacing.add(entry.id);
    this.#surfaceChain = this.#surfaceChain
      .then(() => this.#surface(entry))
      .catch((err: unknown) => this.d.report(err))
      .finally(() => this.#surfacing.delete(entry.id));
  }

  async #surface(entry: InboxMessage): Promise<void> {
    let content: MessageContent;
    try {
      content = decodeContent(unpad(entry.plaintext));
    } catch (err) {
      // The peer's own session sent it: a bug or a mischief on its side (or a newer version's
      // content). Dropped, and said so.
      this.d.report(err instanceof MessengerError ? err : new MessengerError('BAD_ENVELOPE', 'padding', 'a message whose padding does not decode', { cause: err }));
      return this.d.sessions.acknowledge(entry.id).catch((e: unknown) => this.d.report(e));
    }
    const key = unb64url(entry.peer);
    const from = key ? await this.d.contactOf(entry.peer, key) : { id: entry.peer, mailboxKey: new Uint8Array(32), identityKey: undefined, relay: undefined };
    const data = content.kind === 'data' ? content.data.slice() : new Uint8Array(0);
    const message: IncomingMessage = {
      id: entry.id,
      from,
      kind: content.kind,
      data,
      media: content.kind === 'media' ? this.d.incomingMedia(content.media) : undefined,
      receivedAt: entry.receivedAt,
      text: () => _dec.decode(data),
    };
    try {
      for (const h of [...this.#handlers]) await h(message);
      await this.d.sessions.acknowledge(entry.id);
    } catch (err) {
      this.d.report(err);
    }
  }
}
