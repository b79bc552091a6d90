// Every number that shapes the v1 wire format lives here, so docs/protocol.md and the golden
// vectors have one place to be checked against.

/** Length of an app's namespace identifier; never sent to a relay. */
export const NAMESPACE_ID_LEN = 32;
/** Length of a peer key: the mailbox owner's Ed25519 public key. */
export const PEER_KEY_LEN = 32;
/** Length of a destination hash on the wire. */
export const DEST_HASH_LEN = 32;
/** Length of a mailbox id on the wire. */
export const MAILBOX_ID_LEN = 16;
/** Length of a packet id (random, chosen by the sender). */
export const PACKET_ID_LEN = 16;
/** Length of the WELCOME challenge that a claim proof signs. */
export const CHALLENGE_LEN = 32;
/** Length of an Ed25519 signature. */
export const SIGNATURE_LEN = 64;
/** Length of a PING/PONG nonce. */
export const NONCE_LEN = 8;
/** Length of the `ref` field of an ERROR frame. */
export const ERROR_REF_LEN = 16;

/** The protocol version this library speaks. */
export const PROTOCOL_VERSION = 1;
/** Versions this library can decode, ascending. */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([PROTOCOL_VERSION]);
/** Version byte of a v1 packet. */
export const PACKET_VERSION = 1;
/** First four bytes of a HELLO body (ASCII), so a client of some other protocol fails fast. */
export const HELLO_MAGIC = 'TACT';

/** Most destination hashes in one CLAIM frame. */
export const MAX_CLAIM = 1024;
/** Most packet ids in one ACK frame. */
export const MAX_ACK = 256;
/** Highest hop limit a packet may carry. */
export const MAX_HOP_LIMIT = 16;
/** Longest packet TTL in seconds: 30 days. */
export const MAX_TTL_SECONDS = 2_592_000;
/** Longest ERROR message, in UTF-8 bytes. */
export const MAX_ERROR_MESSAGE_BYTES = 512;

/** Allowed payload lengths: the only sizes a relay ever sees, so lengths leak only a bucket. */
export const SIZE_BUCKETS: readonly number[] = Object.freeze([
  256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
]);
/** Largest payload: the last size bucket. */
export const MAX_PAYLOAD_LEN = 65536;
/** Packet header: version, hopLimit, destHash, mailboxId, packetId, ttlSeconds, payloadLen. */
export const PACKET_HEADER_LEN = 1 + 1 + DEST_HASH_LEN + MAILBOX_ID_LEN + PACKET_ID_LEN + 4 + 4;
/** Where an encoded packet's mailbox id starts: after version, hop limit and destination hash. */
export const PACKET_MAILBOX_ID_AT = 2 + DEST_HASH_LEN;
/** Where an encoded packet's packet id starts: after its mailbox id. */
export const PACKET_ID_AT = PACKET_MAILBOX_ID_AT + MAILBOX_ID_LEN;
/** Where the packet starts in a SEND, RESEND or DELIVER frame: after the type byte. */
export const FRAME_PACKET_AT = 1;
/** Largest valid v1 frame (SEND or DELIVER with a 64 KiB payload); the decoders' default cap. */
export const MAX_FRAME_BYTES = 1 + PACKET_HEADER_LEN + MAX_PAYLOAD_LEN;

/** Length of one epoch: destination hashes rotate every hour. */
export const EPOCH_MS = 3_600_000;
/** Epochs claimed on each side of the current one, to absorb senders' clock skew. */
export const SKEW_EPOCHS = 1;
/** Default offline-queue TTL in hours (30 days): how far back a returning client claims. */
export const DEFAULT_TTL_HOURS = 720;

/** BLAKE3 derive_key context for mailbox ids. */
export const MAILBOX_ID_CONTEXT = 'tacit 2026-11 mailbox id v1';
/** ASCII domain separator at the start of every claim proof. */
export const CLAIM_PROOF_DOMAIN = 'tacit/v1/claim';
