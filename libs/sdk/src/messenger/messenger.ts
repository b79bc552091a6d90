/**
 * The messenger: what an app uses. `create` opens (or makes) the install's identity in a store,
 * publishes its prekeys to its home relay's prekey service and connects; `invite` is the string
 * that lets someone reach it; `send` starts a PQXDH session from the contact's bundle when there is
 * none, encrypts (the plaintext padded to a size bucket inside the encryption), seals the envelope
 * to the contact's identity key and hands it to the relay client (retried until ACCEPTED);
 * `sendMedia` uploads an encrypted blob to the media service and sends its descriptor (key included)
 * the same way; `onMessage` surfaces each message once, from the durable inbox, a media message
 * with a `download()` of its blob; `close` stops it all.
 *
 * Receiving: a packet is opened, checked and decrypted, and the plaintext committed to the inbox
 * together with the ratchet's step, before the relay is told (ACK); then the app's handler gets it,
 * and the inbox entry goes once the handler resolves. A crash between any two steps loses nothing
 * and shows nothing twice: before the commit the relay delivers again; after it the relay's copy is
 * a duplicate to the ratchet and the inbox still holds the message for the next start.
 * @module
 */
import { defaultBackend, type CryptoBackend } from '@tacit/crypto';
import { pad, prekeyTag, type PrekeyUploadReply, type PushTargetFields } from '@tacit/protocol';
import { RelayClient } from '../relay-client.js';
import { serializeCurveKey } from '../session/keys.js';
import { SessionManager } from '../session/session-manager.js';
import { downloadMedia, type DownloadMediaOptions } from '../media/download.js';
import { checkMediaDescriptor, type MediaDescriptor } from '../media/descriptor.js';
import { MediaError } from '../media/errors.js';
import { mediaBase } from '../media/http.js';
import type { MediaInput } from '../media/source.js';
import { uploadMedia } from '../media/upload.js';
import { registerPush, unregisterPush, type PushRegistrationResult } from '../push.js';
import { contactId, equalBytes, hex, unb64url } from './contact-id.js';
import { encodeContent, type MessageContent } from './content.js';
import { bindingMessage, MAX_MESSAGE_BYTES, PREKEY_OVERHEAD, sealEnvelope, WHISPER_OVERHEAD, type EnvelopeKind } from './envelope.js';
import { MessengerError } from './errors.js';
import { DirectoryHttpClient, HandleDirectory, type HandleEntry, type TransferGrant, type TransferRequest } from './directory.js';
import { decodeInvite, encodeInvite, INVITE_PREFIX, type Invite } from './invite.js';
import { PrekeyHttpClient } from './prekey-http.js';
import { PrekeyUpkeep } from './prekey-upkeep.js';
import { Receiver } from './receiver.js';
import { SessionStarter } from './session-starter.js';
import type { Contact, IncomingMedia, MessageHandler, MessengerOptions, SendMediaOptions } from './types.js';

export { contactId } from './contact-id.js';
export type { Contact, IncomingMedia, IncomingMessage, MessageHandler, MessengerOptions, SendMediaOptions } from './types.js';

const _dec = new TextDecoder();
const _enc = new TextEncoder();

/** End-to-end encrypted messaging for one app install in one namespace. */
export class Messenger {
  readonly #o: MessengerOptions;
  readonly #sessions: SessionManager;
  readonly #backend: CryptoBackend;
  readonly #home: PrekeyHttpClient;
  readonly #directory: HandleDirectory;
  readonly #upkeep: PrekeyUpkeep;
  readonly #receiver: Receiver;
  readonly #starter: SessionStarter;
  readonly #mailbox: { publicKey: Uint8Array; secretKey: Uint8Array };
  readonly #binding: Uint8Array;
  readonly #lastSeenKey: string;
  readonly #errorHandlers = new Set<(err: Error) => void>();
  #relay!: RelayClient;
  #closed = false;

  private constructor(o: MessengerOptions, sessions: SessionManager) {
    this.#o = o;
    this.#sessions = sessions;
    this.#backend = o.backend ?? defaultBackend;
    this.#home = new PrekeyHttpClient(o.relays[0]!, o.fetch ? { fetch: o.fetch } : {});
    this.#mailbox = sessions.mailboxKey;
    this.#starter = new SessionStarter(sessions, o, this.#home);
    this.#upkeep = new PrekeyUpkeep(sessions, o.namespaceId, this.#home, (err) => this.#report(err));
    this.#receiver = new Receiver({
      sessions,
      backend: this.#backend,
      contactOf: (id, key) => this.#contactOf(id, key),
      incomingMedia: (descriptor) => this.#incomingMedia(descriptor),
      sessionStarted: () => this.#upkeep.soon(),
      report: (err) => this.#report(err),
      closed: () => this.#closed,
    });
    this.#binding = this.#backend.ed25519.sign(this.#mailbox.secretKey, bindingMessage(sessions.identityKey));
    this.#directory = new HandleDirectory({
      namespaceId: o.namespaceId,
      policy: o.directoryPolicy ?? 'signed',
      identity: () => sessions.identityKeyPair,
      invite: () => this.invite(),
      inviteIdentity: (invite) => this.contact(invite).identityKey!,
      http: new DirectoryHttpClient(o.relays[0]!, o.fetch ? { fetch: o.fetch } : {}),
      now: o.now ?? Date.now,
    });
    this.#lastSeenKey = `messenger/${hex(prekeyTag(o.namespaceId, serializeCurveKey(sessions.identityKey)).subarray(0, 8))}/lastSeen`;
  }

  /**
   * Opens the identity of this namespace in `store` (making it the first time), publishes prekeys
   * to the home relay's prekey service (retrying a busy or rate-limiting relay a few times), and
   * connects to the relays. Throws `MessengerError`, `SessionError` or `PrekeyError`.
   */
  static async create(o: MessengerOptions): Promise<Messenger> {
    if (!Array.isArray(o.relays) || o.relays.length === 0) throw new RangeError('"relays" expected at least one ws:// or wss:// URL');
    const sessions = await SessionManager.open({
      store: o.store,
      namespaceId: o.namespaceId,
      ...(o.backend ? { backend: o.backend } : {}),
      ...(o.kem ? { kem: o.kem } : {}),
      ...(o.preKeys ? { preKeys: o.preKeys } : {}),
      ...(o.now ? { now: o.now } : {}),
    });
    const m = new Messenger(o, sessions);
    const seen = await o.store.get(m.#lastSeenKey);
    const lastSeenMs = seen === undefined ? undefined : Number(_dec.decode(seen));
    m.#relay = new RelayClient({
      urls: [...o.relays],
      namespaceId: o.namespaceId,
      identity: m.#mailbox,
      onMessage: (msg) => m.#receiver.receive(msg),
      onDropped: (_id, reason, err) => {
        if (reason === 'undecodable') m.#report(new MessengerError('BAD_ENVELOPE', 'packet', 'a packet whose padding does not decode', { cause: err }));
      },
      separateSender: o.separateSender ?? true,
      ...(o.allowInsecure ? { allowInsecure: true } : {}),
      ...(o.relayKeys ? { relayKeys: o.relayKeys } : {}),
      ...(lastSeenMs !== undefined && Number.isSafeInteger(lastSeenMs) ? { lastSeenMs } : {}),
      // The time of each connect: the next start claims every hour since (a little more than needed is harmless).
      onReady: (t) => void o.store.commit([[m.#lastSeenKey, _enc.encode(String(t))]]).catch((err: unknown) => m.#report(err)),
      ...(o.webSocket ? { webSocket: o.webSocket } : {}),
      ...(o.now ? { now: o.now } : {}),
      ...(o.claimCheckMs !== undefined ? { claimCheckMs: o.claimCheckMs } : {}),
      ...(o.minBackoffMs !== undefined ? { minBackoffMs: o.minBackoffMs } : {}),
      ...(o.maxBackoffMs !== undefined ? { maxBackoffMs: o.maxBackoffMs } : {}),
    });
    await m.#upkeep.runRetrying();
    await m.#relay.connect();
    m.#upkeep.every(o.maintainEveryMs ?? 6 * 3_600_000);
    return m;
  }

  /** Our contact id (what others see as `from.id`). */
  get id(): string {
    return contactId(this.#mailbox.publicKey);
  }

  /** Our identity key (32 bytes): the other half of every safety number. */
  get identityKey(): Uint8Array {
    return this.#sessions.identityKey;
  }

  /** The session layer underneath (safety numbers, trust decisions). */
  get sessions(): SessionManager {
    return this.#sessions;
  }

  /** The relay client underneath (its stats; `refreshClaims`). */
  get relay(): RelayClient {
    return this.#relay;
  }

  /**
   * Registers a push target (an APNs device token, an FCM registration token or a Web Push
   * subscription) at the home relay for this mailbox's epochs from the last hour to `horizonHours`
   * ahead (default 168), so the relay wakes this device when a packet is queued while it is offline.
   * Renewal is the app's call: register again before `expiresAt` and whenever the provider hands
   * out a new token (each registration replaces the last). Throws `PushError`.
   */
  registerPush(opts: { target: PushTargetFields; horizonHours?: number; relay?: string }): Promise<PushRegistrationResult> {
    return registerPush({
      relay: opts.relay ?? this.#o.relays[0]!,
      namespaceId: this.#o.namespaceId,
      identity: this.#mailbox,
      target: opts.target,
      ...(opts.horizonHours !== undefined ? { horizonHours: opts.horizonHours } : {}),
      ...(this.#o.now ? { now: this.#o.now } : {}),
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
    });
  }

  /** Drops this mailbox's push registration at the home relay (or `relay`). Throws `PushError` (NOT_FOUND when there is none). */
  unregisterPush(opts: { relay?: string } = {}): Promise<void> {
    return unregisterPush({
      relay: opts.relay ?? this.#o.relays[0]!,
      identity: this.#mailbox,
      ...(this.#o.now ? { now: this.#o.now } : {}),
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
    });
  }

  /** The string that lets someone reach us: namespace, mailbox key, identity key, home relay. */
  invite(): string {
    return encodeInvite({ namespaceId: this.#o.namespaceId, mailboxKey: this.#mailbox.publicKey, identityKey: this.#sessions.identityKey, relay: this.#o.relays[0]! });
  }

  /**
   * Registers `handle` (`@alice` or `alice`) in the home relay's directory to this identity and its
   * invite; an owner registering again updates its record. Resolves to the handle's normal form and
   * the entry's sequence. Throws `DirectoryError`: a handle rule's code before anything is sent,
   * TAKEN when someone else holds it (or a look-alike), RATE_LIMITED, UNAVAILABLE, …
   */
  register(handle: string): Promise<{ handle: string; sequence: number }> {
    return this.#directory.register(handle);
  }

  /**
   * Who holds `handle`: its owner's invite (pass it to {@link send}), identity key and the handle as
   * registered, checked against the owner's signature. Throws `DirectoryError` NOT_FOUND, BAD_RECORD, …
   */
  lookup(handle: string): Promise<HandleEntry> {
    return this.#directory.lookup(handle);
  }

  /** A new owner's first step of a transfer of `handle`: a request to give its current owner. */
  transferRequest(handle: string): Promise<TransferRequest> {
    return this.#directory.transferRequest(handle);
  }

  /**
   * Signs `handle` over to whoever made `request` ({@link transferRequest}): a grant for the entry as
   * it is now, good once and until `expiresInMs` (default 10 min); the new owner takes it with
   * {@link acceptTransfer}. Throws `DirectoryError`.
   */
  transfer(handle: string, request: TransferRequest, opts: { expiresInMs?: number } = {}): Promise<TransferGrant> {
    return this.#directory.transfer(handle, request, opts);
  }

  /** Takes `handle` with its owner's `grant` ({@link transfer}). Throws `DirectoryError` BAD_SIGNATURE, EXPIRED, REPLAYED, NOT_OWNER, … */
  acceptTransfer(handle: string, grant: TransferGrant): Promise<{ handle: string; sequence: number }> {
    return this.#directory.acceptTransfer(handle, grant);
  }

  /** Gives up `handle` (its owner only); resolves to the tombstone's sequence. Throws `DirectoryError`. */
  release(handle: string): Promise<number> {
    return this.#directory.release(handle);
  }

  /** The contact an invite names; `MessengerError` BAD_INVITE when it does not decode or is for another app. */
  contact(invite: string): Contact {
    const inv: Invite = decodeInvite(invite);
    if (!equalBytes(inv.namespaceId, this.#o.namespaceId)) throw new MessengerError('BAD_INVITE', 'namespaceId', '"namespaceId" is another app\'s: this invite is not for this messenger');
    return { id: contactId(inv.mailboxKey), mailboxKey: inv.mailboxKey, identityKey: inv.identityKey, relay: inv.relay };
  }

  /** Registers a handler for incoming messages; messages waiting in the inbox are handed to it at once. Returns an unsubscribe function. */
  onMessage(handler: MessageHandler): () => void {
    return this.#receiver.onMessage(handler);
  }

  /** Registers a handler for what went wrong in the background (refused packets, failed prekey maintenance). */
  onError(handler: (err: Error) => void): () => void {
    this.#errorHandlers.add(handler);
    return () => void this.#errorHandlers.delete(handler);
  }

  /**
   * Sends `data` to `to` (an invite, a contact, or the id of a contact we have a session with);
   * resolves once the relay accepted it (delivered and acked, or durably queued). Throws
   * `MessengerError` (TOO_LARGE, BAD_INVITE, BUNDLE_MISMATCH, UNKNOWN_CONTACT, CLOSED), `SessionError`
   * (a bad bundle: BAD_SIGNATURE, BAD_KEY; UNTRUSTED_IDENTITY) or `PrekeyError` (the bundle could not
   * be fetched: NOT_FOUND, RATE_LIMITED, UNAVAILABLE).
   */
  async send(to: string | Contact, data: string | Uint8Array): Promise<void> {
    if (this.#closed) throw new MessengerError('CLOSED', 'messenger', 'the messenger is closed');
    const bytes = typeof data === 'string' ? _enc.encode(data) : data;
    if (!(bytes instanceof Uint8Array)) throw new TypeError('"data" expected a string or Uint8Array');
    if (bytes.length > MAX_MESSAGE_BYTES) throw new MessengerError('TOO_LARGE', 'data', `"data" expected at most ${MAX_MESSAGE_BYTES} bytes, got ${bytes.length}`);
    await this.#sendContent(await this.#resolve(to), { kind: 'data', data: bytes });
  }

  /**
   * Sends a file to `to`: encrypts `source` (a file path on Node, a Blob, bytes, or an async iterable
   * with a `size`) under a fresh key, uploads it to the media service (tus; resumable, retried with
   * backoff), then sends its descriptor — id, key, digest, size, type, the service's URL — inside the
   * session. The key goes only to the contact, never to the media service or the relay. Resolves to
   * the descriptor once the relay accepted the message. Throws what `send` throws, and `MediaError`
   * (TOO_LARGE, QUOTA_EXCEEDED, RATE_LIMITED, UNAVAILABLE, ABORTED, MALFORMED).
   */
  async sendMedia(to: string | Contact, source: MediaInput, opts: SendMediaOptions = {}): Promise<MediaDescriptor> {
    if (this.#closed) throw new MessengerError('CLOSED', 'messenger', 'the messenger is closed');
    const baseUrl = opts.baseUrl ?? this.#o.mediaUrl;
    if (baseUrl === undefined) throw new MediaError('MALFORMED', 'baseUrl', '"baseUrl" expected: no media service given here or in the messenger\'s mediaUrl');
    const type = opts.type ?? 'application/octet-stream';
    // The URL's and the descriptor's checks before any byte is uploaded (a type that would not encode).
    mediaBase(baseUrl, this.#o.allowInsecure ?? false);
    checkMediaDescriptor({ id: 'A'.repeat(24), key: new Uint8Array(32), digest: new Uint8Array(32), size: 0, type, url: baseUrl });
    // A contact we cannot reach is refused before the upload, not after.
    const contact = await this.#resolve(to);
    await this.#starter.ensure(contact);
    const up = await uploadMedia(source, {
      baseUrl,
      allowInsecure: this.#o.allowInsecure ?? false,
      backend: this.#backend,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.onResumable ? { onResumable: opts.onResumable } : {}),
      ...(opts.resume ? { resume: opts.resume } : {}),
      ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
    });
    const media: MediaDescriptor = { id: up.id, key: up.key, digest: up.digest, size: up.size, type, url: baseUrl };
    await this.#sendContent(contact, { kind: 'media', media });
    return media;
  }

  /** Encrypts `content` for `contact` (starting a session from its bundle when there is none), seals and sends it. */
  async #sendContent(contact: Contact, content: MessageContent): Promise<void> {
    const bytes = encodeContent(content);
    await this.#starter.ensure(contact);
    const peer = contact.id;
    const starting = (await this.#sessions.sessionStatus(peer)) === 'starting';
    const ct = await this.#sessions.encrypt(peer, pad(bytes, starting ? PREKEY_OVERHEAD : WHISPER_OVERHEAD));
    const theirs = await this.#sessions.peerIdentity(peer);
    const box = sealEnvelope(this.#backend, theirs!, {
      kind: ct.type as EnvelopeKind,
      sender: this.#mailbox.publicKey,
      identityKey: this.#sessions.identityKey,
      binding: this.#binding,
      message: ct.body,
    });
    await this.#relay.send(contact.mailboxKey, box);
  }

  async #resolve(to: string | Contact): Promise<Contact> {
    if (typeof to === 'object' && to !== null) {
      if (!(to.mailboxKey instanceof Uint8Array) || to.mailboxKey.length !== 32 || to.id !== contactId(to.mailboxKey))
        throw new MessengerError('UNKNOWN_CONTACT', 'to', '"to" expected a contact of contact() or of a message');
      return to;
    }
    if (typeof to === 'string' && to.trim().startsWith(INVITE_PREFIX)) return this.contact(to);
    const key = typeof to === 'string' ? unb64url(to) : undefined;
    if (key === undefined) throw new MessengerError('UNKNOWN_CONTACT', 'to', '"to" expected an invite or a contact id');
    return this.#contactOf(to, key);
  }

  async #contactOf(id: string, mailboxKey: Uint8Array): Promise<Contact> {
    return { id, mailboxKey, identityKey: await this.#sessions.peerIdentity(id), relay: undefined };
  }

  #incomingMedia(descriptor: MediaDescriptor): IncomingMedia {
    return {
      descriptor,
      download: (opts: DownloadMediaOptions = {}) => {
        const baseUrl = opts.baseUrl ?? descriptor.url ?? this.#o.mediaUrl;
        return downloadMedia(descriptor, {
          allowInsecure: this.#o.allowInsecure ?? false,
          backend: this.#backend,
          ...opts,
          ...(baseUrl !== undefined ? { baseUrl } : {}),
        });
      },
    };
  }

  /**
   * Asks the home relay's prekey service what it holds for us, tops the one-time pools up when they
   * run low, rotates the signed and last-resort prekeys when due, and puts back what the service
   * lost (a new deployment, an expired bundle). Resolves to what the service holds afterwards. One
   * run at a time.
   */
  maintainPreKeys(): Promise<PrekeyUploadReply> {
    return this.#upkeep.run();
  }

  #report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    for (const h of this.#errorHandlers) {
      try {
        h(e);
      } catch {
        // An error handler's own failure has nowhere further to go.
      }
    }
  }

  /** Stops: the relay connection closes (sends not yet accepted reject), timers stop. The store stays the app's. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#relay.close();
    await this.#upkeep.close();
    await this.#receiver.settled();
  }
}
