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
import type { OwnershipPolicy } from '@tacit/directory-core';
import {
  decodePrekeyBundle,
  encodePrekeyUpload,
  MAX_UPLOAD_KYBER_PREKEYS,
  MAX_UPLOAD_PREKEYS,
  pad,
  PrekeyError,
  prekeyAddressOf,
  prekeyTag,
  unpad,
  type PrekeyUpload,
  type PrekeyUploadReply,
} from '@tacit/protocol';
import { isSecureRelayUrl, RelayClient, type ReceivedMessage, type WebSocketFactory } from '../relay-client.js';
import { SessionError } from '../session/errors.js';
import { serializeCurveKey, type KemType } from '../session/keys.js';
import { _decodePreKeySignalMessage } from '../session/messages.js';
import { SessionManager, type InboxMessage, type PreKeyPolicy, type PreKeyUpload } from '../session/session-manager.js';
import type { SessionStore } from '../session/store.js';
import { downloadMedia, type DownloadMediaOptions } from '../media/download.js';
import { checkMediaDescriptor, type MediaDescriptor } from '../media/descriptor.js';
import { MediaError } from '../media/errors.js';
import { mediaBase } from '../media/http.js';
import type { MediaInput } from '../media/source.js';
import { uploadMedia, type MediaUploadState } from '../media/upload.js';
import { decodeContent, encodeContent, type MessageContent } from './content.js';
import { bindingMessage, ENVELOPE_AAD, MAX_MESSAGE_BYTES, parseEnvelope, PREKEY_OVERHEAD, sealEnvelope, WHISPER_OVERHEAD, type EnvelopeKind } from './envelope.js';
import { MessengerError } from './errors.js';
import { DirectoryHttpClient, HandleDirectory, type HandleEntry, type TransferGrant, type TransferRequest } from './directory.js';
import { decodeInvite, encodeInvite, INVITE_PREFIX, type Invite } from './invite.js';
import { PrekeyHttpClient, type FetchLike } from './prekey-http.js';
import { registerPush, unregisterPush, type PushRegistrationResult } from '../push.js';
import type { PushTargetFields } from '@tacit/protocol';

/** Options of {@link Messenger.create}. */
export interface MessengerOptions {
  /** The app's 32-byte namespace id (the same for every install of the app). */
  readonly namespaceId: Uint8Array;
  /** Relay URLs (`ws(s)://…/v1`); the first is the home relay: invites name it, prekeys live there. */
  readonly relays: readonly string[];
  /** Where identity, sessions and the inbox live (MemoryStore, FileStore from @tacit/sdk/node, IndexedDbStore). */
  readonly store: SessionStore;
  /** Crypto backend (default: node:crypto on Node, noble in browsers). */
  readonly backend?: CryptoBackend;
  /** KEM of the post-quantum prekeys published (default `mlkem1024`). */
  readonly kem?: KemType;
  /** Prekey pool sizes and rotation. */
  readonly preKeys?: Partial<PreKeyPolicy>;
  /** Opens WebSockets (default: the global WebSocket). */
  readonly webSocket?: WebSocketFactory;
  /** `fetch` for the prekey endpoints (default: the global one). */
  readonly fetch?: FetchLike;
  /** The client's clock (ms): epochs, prekey ages. */
  readonly now?: () => number;
  /** How often the relay client looks whether the hour turned (ms, default 60 000). */
  readonly claimCheckMs?: number;
  /** How often the prekey pools are checked and keys rotated when due (ms, default 6 h; 0: only on demand). */
  readonly maintainEveryMs?: number;
  /** Relay reconnect backoff bounds (ms). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * Send on a second connection that claims nothing (default true): the relay then cannot tell
   * whose mailboxes a sender's connection receives on (RelayClient's `separateSender`).
   */
  readonly separateSender?: boolean;
  /** Allow `ws://` relays other than loopback, our own and contacts' (default false; RelayClient's `allowInsecure`). */
  readonly allowInsecure?: boolean;
  /**
   * The ownership policy of the app's handles in the directory (default `signed`: a handle changes
   * owner only by its owner's grant; `last_writer_wins`: any identity may take it). The app's
   * choice, the same for every install: it is part of every entry's address (docs/directory.md).
   */
  readonly directoryPolicy?: OwnershipPolicy;
  /** The relay key each of `relays` must show (RelayClient's `relayKeys`): a gateway showing another is refused before any claim. */
  readonly relayKeys?: Readonly<Record<string, Uint8Array>>;
  /**
   * Base URL of the home relay's media service (`https://host:8082`): where `sendMedia` uploads by
   * default, and where a received descriptor naming none is fetched from.
   */
  readonly mediaUrl?: string;
}

/** Options of {@link Messenger.sendMedia}. */
export interface SendMediaOptions {
  /** MIME type told to the recipient (`image/jpeg`); default `application/octet-stream`. */
  readonly type?: string;
  /** The media service to upload to (default the messenger's `mediaUrl`); the recipient is told it. */
  readonly baseUrl?: string;
  /** Upload progress, in ciphertext bytes sent and in all. */
  readonly onProgress?: (sent: number, total: number) => void;
  /** Stops the upload (MediaError ABORTED); nothing is sent to the contact. */
  readonly signal?: AbortSignal;
  /** Persist this to resume after a restart (it holds the key: keep it with the app's secrets). */
  readonly onResumable?: (state: MediaUploadState) => void;
  /** An earlier attempt's state: resume that upload (same bytes) instead of starting afresh. */
  readonly resume?: MediaUploadState;
  /** Bytes per PATCH request (default 8 MiB). */
  readonly chunkSize?: number;
}

/** A media message's blob: its descriptor and how to fetch it. */
export interface IncomingMedia {
  /** id, key, digest, size, type and the sender's media service URL. Holds the key: keep it as a secret. */
  readonly descriptor: MediaDescriptor;
  /**
   * Streams the blob's plaintext, each 64 KiB chunk verified before it is yielded (see
   * `downloadMedia`; `baseUrl` defaults to the descriptor's `url`, then the messenger's `mediaUrl`).
   * Throws `MediaError` (TAMPERED, NOT_FOUND, UNAVAILABLE, ABORTED, …).
   */
  download(opts?: DownloadMediaOptions): AsyncGenerator<Uint8Array, void, undefined>;
}

/** Someone to send to: from an invite, or from a message they sent. */
export interface Contact {
  /** Stable id of the contact in this namespace (its mailbox key, base64url). */
  readonly id: string;
  /** Its Ed25519 mailbox key. */
  readonly mailboxKey: Uint8Array;
  /** Its Curve25519 identity key, when known (from the invite, or the session). */
  readonly identityKey: Uint8Array | undefined;
  /** Its home relay, when known (from the invite). */
  readonly relay: string | undefined;
}

/** A message received. */
export interface IncomingMessage {
  /** Stable id of the message (the inbox entry): the same if it is surfaced again after a crash. */
  readonly id: string;
  readonly from: Contact;
  /** What it carries: `data` (from `send`) or `media` (from `sendMedia`: see `media`). */
  readonly kind: 'data' | 'media';
  /** The bytes sent (`data`); empty for `media`. */
  readonly data: Uint8Array;
  /** The blob of a `media` message; undefined otherwise. */
  readonly media: IncomingMedia | undefined;
  /** When it was decrypted (ms). */
  readonly receivedAt: number;
  /** `data` as UTF-8 text. */
  text(): string;
}

/** Gets each message; the message leaves the inbox once this resolves (throw to keep it for the next start). */
export type MessageHandler = (message: IncomingMessage) => void | Promise<void>;

const _dec = new TextDecoder();
const _enc = new TextEncoder();

function _b64url(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function _unb64url(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(s)) return undefined;
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '=');
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function _equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function _hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** The id of the contact whose mailbox key is `mailboxKey`. */
export function contactId(mailboxKey: Uint8Array): string {
  return _b64url(mailboxKey);
}

/** End-to-end encrypted messaging for one app install in one namespace. */
export class Messenger {
  readonly #o: MessengerOptions;
  readonly #sessions: SessionManager;
  readonly #backend: CryptoBackend;
  readonly #home: PrekeyHttpClient;
  readonly #directory: HandleDirectory;
  readonly #mailbox: { publicKey: Uint8Array; secretKey: Uint8Array };
  readonly #binding: Uint8Array;
  readonly #lastSeenKey: string;
  readonly #handlers = new Set<MessageHandler>();
  readonly #errorHandlers = new Set<(err: Error) => void>();
  readonly #surfacing = new Set<string>();
  readonly #starts = new Map<string, Promise<void>>();
  #relay!: RelayClient;
  #surfaceChain: Promise<void> = Promise.resolve();
  #maintaining: Promise<PrekeyUploadReply> | undefined;
  #poolCheck: ReturnType<typeof setTimeout> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(o: MessengerOptions, sessions: SessionManager) {
    this.#o = o;
    this.#sessions = sessions;
    this.#backend = o.backend ?? defaultBackend;
    this.#home = new PrekeyHttpClient(o.relays[0]!, o.fetch ? { fetch: o.fetch } : {});
    this.#mailbox = sessions.mailboxKey;
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
    this.#lastSeenKey = `messenger/${_hex(prekeyTag(o.namespaceId, serializeCurveKey(sessions.identityKey)).subarray(0, 8))}/lastSeen`;
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
      onMessage: (msg) => m.#receive(msg),
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
    await m.#maintainRetrying();
    await m.#relay.connect();
    const every = o.maintainEveryMs ?? 6 * 3_600_000;
    if (every > 0) {
      m.#timer = setInterval(() => void m.maintainPreKeys().catch((err: unknown) => m.#report(err)), every);
      (m.#timer as { unref?: () => void }).unref?.();
    }
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
    if (!_equal(inv.namespaceId, this.#o.namespaceId)) throw new MessengerError('BAD_INVITE', 'namespaceId', '"namespaceId" is another app\'s: this invite is not for this messenger');
    return { id: contactId(inv.mailboxKey), mailboxKey: inv.mailboxKey, identityKey: inv.identityKey, relay: inv.relay };
  }

  /** Registers a handler for incoming messages; messages waiting in the inbox are handed to it at once. Returns an unsubscribe function. */
  onMessage(handler: MessageHandler): () => void {
    this.#handlers.add(handler);
    void this.#sessions.pending().then(
      (entries) => entries.forEach((e) => this.#enqueue(e)),
      (err: unknown) => this.#report(err),
    );
    return () => void this.#handlers.delete(handler);
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
    await this.#ensureSession(contact);
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
    await this.#ensureSession(contact);
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
    const key = typeof to === 'string' ? _unb64url(to) : undefined;
    if (key === undefined) throw new MessengerError('UNKNOWN_CONTACT', 'to', '"to" expected an invite or a contact id');
    return this.#contactOf(to, key);
  }

  async #contactOf(id: string, mailboxKey: Uint8Array): Promise<Contact> {
    return { id, mailboxKey, identityKey: await this.#sessions.peerIdentity(id), relay: undefined };
  }

  /** Starts a session from the contact's bundle unless there is one; one start per contact at a time. */
  async #ensureSession(contact: Contact): Promise<void> {
    const peer = contact.id;
    for (;;) {
      const running = this.#starts.get(peer);
      if (running === undefined) break;
      await running.catch(() => undefined);
    }
    if (await this.#sessions.hasSession(peer)) return;
    const start = (async () => {
      if (contact.identityKey === undefined)
        throw new MessengerError('UNKNOWN_CONTACT', 'to', '"to" has no session and no identity key to start one: send to its invite');
      const relay = contact.relay ?? this.#o.relays[0]!;
      if (!this.#o.allowInsecure && !isSecureRelayUrl(relay))
        throw new MessengerError('BAD_INVITE', 'relay', '"relay" is plain ws:// to a host other than loopback: its prekeys could be swapped on the way (allowInsecure overrides)');
      const http = relay === this.#o.relays[0] ? this.#home : new PrekeyHttpClient(relay, this.#o.fetch ? { fetch: this.#o.fetch } : {});
      const ik = serializeCurveKey(contact.identityKey);
      const w = decodePrekeyBundle(await http.fetch(prekeyAddressOf(this.#o.namespaceId, ik)));
      if (!_equal(w.identityKey, ik))
        throw new MessengerError('BUNDLE_MISMATCH', 'bundle.identityKey', 'the relay handed out a bundle of another identity than the contact\'s');
      await this.#sessions.startSession(peer, {
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

  /** One delivered packet: opened, checked, decrypted and committed; resolves when the relay may be told. */
  async #receive(msg: ReceivedMessage): Promise<void> {
    let env;
    try {
      env = parseEnvelope(this.#sessions.openSealed(msg.payload, ENVELOPE_AAD));
    } catch (err) {
      return this.#report(err instanceof MessengerError ? err : new MessengerError('BAD_ENVELOPE', 'box', 'a packet not sealed to our identity key', { cause: err }));
    }
    const peer = contactId(env.sender);
    if (env.kind === 3) {
      // A first message: the sender's mailbox key must vouch for the identity key the session starts from.
      let claimed: Uint8Array;
      try {
        claimed = _decodePreKeySignalMessage(env.message).identityKey;
      } catch (err) {
        return this.#report(err);
      }
      if (!_equal(claimed, env.identityKey!) || !this.#backend.ed25519.verify(env.sender, bindingMessage(env.identityKey!), env.binding!))
        return this.#report(new MessengerError('BAD_SENDER', 'binding', 'a first message whose mailbox key does not vouch for its identity key'));
    }
    let entry: InboxMessage;
    try {
      entry = await this.#decryptAndStore(peer, env.kind, env.message);
    } catch (err) {
      // A message already received (a redelivery, a replay) is acked and shown no more.
      if (err instanceof SessionError) return err.code === 'DUPLICATE_MESSAGE' ? undefined : this.#report(err);
      throw err;
    }
    if (env.kind === 3) this.#checkPoolSoon();
    this.#enqueue(entry);
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
        return await this.#sessions.decrypt(peer, { type: kind, body });
      } catch (err) {
        if (err instanceof SessionError || this.#closed) throw err;
        this.#report(err);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** Hands an inbox entry to the handlers, one entry at a time, in arrival order. */
  #enqueue(entry: InboxMessage): void {
    if (this.#handlers.size === 0 || this.#surfacing.has(entry.id)) return;
    this.#surfacing.add(entry.id);
    this.#surfaceChain = this.#surfaceChain
      .then(() => this.#surface(entry))
      .catch((err: unknown) => this.#report(err))
      .finally(() => this.#surfacing.delete(entry.id));
  }

  async #surface(entry: InboxMessage): Promise<void> {
    let content: MessageContent;
    try {
      content = decodeContent(unpad(entry.plaintext));
    } catch (err) {
      // The peer's own session sent it: a bug or a mischief on its side (or a newer version's
      // content). Dropped, and said so.
      this.#report(err instanceof MessengerError ? err : new MessengerError('BAD_ENVELOPE', 'padding', 'a message whose padding does not decode', { cause: err }));
      return this.#sessions.acknowledge(entry.id).catch((e: unknown) => this.#report(e));
    }
    const key = _unb64url(entry.peer);
    const from = key ? await this.#contactOf(entry.peer, key) : { id: entry.peer, mailboxKey: new Uint8Array(32), identityKey: undefined, relay: undefined };
    const data = content.kind === 'data' ? content.data.slice() : new Uint8Array(0);
    const message: IncomingMessage = {
      id: entry.id,
      from,
      kind: content.kind,
      data,
      media: content.kind === 'media' ? this.#incomingMedia(content.media) : undefined,
      receivedAt: entry.receivedAt,
      text: () => _dec.decode(data),
    };
    try {
      for (const h of [...this.#handlers]) await h(message);
      await this.#sessions.acknowledge(entry.id);
    } catch (err) {
      this.#report(err);
    }
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
    this.#maintaining ??= this.#maintain().finally(() => {
      this.#maintaining = undefined;
    });
    return this.#maintaining;
  }

  async #maintain(): Promise<PrekeyUploadReply> {
    let held = await this.#upload({});
    const up: PreKeyUpload = await this.#sessions.maintain({ preKeys: held.preKeys, kyberPreKeys: held.kyberPreKeys });
    let spk = up.signedPreKey;
    let lastResort = up.lastResortKyberPreKey;
    if (!held.signedPreKey || !held.lastResortKyberPreKey) {
      const b = await this.#sessions.bundle();
      spk ??= b.signedPreKey;
      lastResort ??= b.kyberPreKey;
    }
    // At most 100 one-time keys of each kind per upload (protocol.md §13.3); the replaced signed
    // and last-resort keys go with the first.
    const [pre, kyber] = [[...up.preKeys], [...up.kyberPreKeys]];
    const chunks: Array<Partial<PrekeyUpload>> = [];
    do chunks.push({ preKeys: pre.splice(0, MAX_UPLOAD_PREKEYS), kyberPreKeys: kyber.splice(0, MAX_UPLOAD_KYBER_PREKEYS) });
    while (pre.length > 0 || kyber.length > 0);
    Object.assign(chunks[0]!, { signedPreKey: spk, lastResortKyberPreKey: lastResort });
    for (const c of chunks) {
      if (c.signedPreKey || c.lastResortKyberPreKey || c.preKeys!.length > 0 || c.kyberPreKeys!.length > 0) held = await this.#upload(c);
    }
    return held;
  }

  async #upload(parts: Partial<PrekeyUpload>): Promise<PrekeyUploadReply> {
    const ik = serializeCurveKey(this.#sessions.identityKey);
    const body = encodePrekeyUpload({
      tag: prekeyTag(this.#o.namespaceId, ik),
      identityKey: ik,
      registrationId: this.#sessions.registrationId,
      preKeys: [],
      kyberPreKeys: [],
      ...parts,
      challenge: await this.#home.challenge(),
      signature: new Uint8Array(64),
    });
    body.set(this.#sessions.signPreKeyUpload(body), body.length - 64);
    return this.#home.upload(body);
  }

  async #maintainRetrying(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.maintainPreKeys();
        return;
      } catch (err) {
        if (!(err instanceof PrekeyError) || !err.retryable || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  /** After a session started on our prekeys: look at the pools shortly (once, however many start at once). */
  #checkPoolSoon(): void {
    if (this.#poolCheck !== undefined || this.#closed) return;
    this.#poolCheck = setTimeout(() => {
      void this.maintainPreKeys()
        .catch((err: unknown) => this.#report(err))
        .finally(() => {
          this.#poolCheck = undefined;
        });
    }, 1000);
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
    if (this.#timer) clearInterval(this.#timer);
    if (this.#poolCheck) clearTimeout(this.#poolCheck);
    this.#relay.close();
    await this.#maintaining?.catch(() => undefined);
    await this.#surfaceChain;
  }
}
