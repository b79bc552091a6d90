/**
 * What an app hands the messenger and what it gets back: its options, contacts, incoming messages
 * and media.
 * @module
 */
import type { CryptoBackend } from '@tacit/crypto';
import type { OwnershipPolicy } from '@tacit/directory-core';
import type { DownloadMediaOptions } from '../media/download.js';
import type { MediaDescriptor } from '../media/descriptor.js';
import type { MediaUploadState } from '../media/upload.js';
import type { WebSocketFactory } from '../relay-client.js';
import type { KemType } from '../session/keys.js';
import type { PreKeyPolicy } from '../session/session-manager.js';
import type { SessionStore } from '../session/store.js';
import type { FetchLike } from './prekey-http.js';

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
