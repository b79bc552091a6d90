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

/**
 * The protocol version this library speaks: 2, where a claim is bound to the relay's key and to the
 * connection (docs/protocol.md §3.1). Version 1 is still decoded, for clients not yet upgraded.
 */
export const PROTOCOL_VERSION = 2;
/** Versions this library can decode, ascending. */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([1, PROTOCOL_VERSION]);
/** The first version whose claims are bound to the relay and the connection (relay key, CLAIM_V2, ACK_V2). */
export const BOUND_CLAIMS_VERSION = 2;
/** A relay key (X25519 public key), in a v2 WELCOME. */
export const RELAY_KEY_LEN = 32;
/** The client's ephemeral X25519 public key, in a CLAIM_V2. */
export const EPHEMERAL_KEY_LEN = 32;
/** The channel tag closing an ACK_V2: 16 bytes of HMAC-SHA256 under the channel key. */
export const CHANNEL_TAG_LEN = 16;
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
/** ASCII domain separator at the start of every v2 claim proof (bound to the relay and the connection). */
export const CLAIM_PROOF_DOMAIN_V2 = 'tacit/v2/claim';
/** ASCII domain separator at the start of a push registration's signed message. */
export const PUSH_REGISTRATION_DOMAIN = 'tacit/v1/push';
/** ASCII domain separator at the start of a push unregistration's signed message. */
export const PUSH_OFF_DOMAIN = 'tacit/v1/push-off';
/** BLAKE3 derive_key context of a v2 connection's channel key. */
export const CHANNEL_KEY_CONTEXT = 'tacit 2026-12 channel key v2';
/** BLAKE3 derive_key context of the relay key pair derived from an operator's secret. */
export const RELAY_KEY_CONTEXT = 'tacit 2026-12 relay key v2';

// Prekey endpoints (docs/protocol.md §13): HTTP on the gateway's client listener, beside /v1.

/** Path prefix of the prekey endpoints: POST `/v1/prekeys/challenge`, `/upload`, `/fetch`. */
export const PREKEY_PATH = '/v1/prekeys';
/** Version byte at the start of every prekey body. */
export const PREKEY_BODY_VERSION = 1;
/** Length of a prekey tag: what an uploader reveals so the service can derive the address. */
export const PREKEY_TAG_LEN = 32;
/** Length of a prekey address: what a fetch names. */
export const PREKEY_ADDRESS_LEN = 32;
/** Length of a prekey challenge (opaque to clients: the service's time, a nonce and a MAC). */
export const PREKEY_CHALLENGE_LEN = 40;
/** A serialized Curve25519 public key: `0x05 || 32 bytes` (libsignal's form). */
export const CURVE_KEY_LEN = 33;
/** A serialized KEM public key: type (`0x08` Kyber-1024, `0x0a` ML-KEM-1024) `|| 1568 bytes`. */
export const KEM_KEY_LEN = 1569;
/** An XEdDSA signature. */
export const XEDDSA_SIGNATURE_LEN = 64;
/** One-time Curve25519 prekeys in one upload, at most. */
export const MAX_UPLOAD_PREKEYS = 100;
/** Signed one-time post-quantum prekeys in one upload, at most. */
export const MAX_UPLOAD_KYBER_PREKEYS = 100;
/** BLAKE3 derive_key context of prekey tags. */
export const PREKEY_TAG_CONTEXT = 'tacit 2026-11 prekey tag v1';
/** BLAKE3 derive_key context of prekey addresses. */
export const PREKEY_ADDRESS_CONTEXT = 'tacit 2026-11 prekey address v1';
/** ASCII domain separator at the start of every upload proof. */
export const PREKEY_PROOF_DOMAIN = 'tacit/v1/prekeys';
/** Length of a signed prekey on the wire: id u32, key, signature. */
export const SIGNED_PREKEY_LEN = 4 + CURVE_KEY_LEN + XEDDSA_SIGNATURE_LEN;
/** Length of a signed post-quantum prekey on the wire: id u32, key, signature. */
export const SIGNED_KEM_PREKEY_LEN = 4 + KEM_KEY_LEN + XEDDSA_SIGNATURE_LEN;
/** Length of a one-time Curve25519 prekey on the wire: id u32, key. */
export const ONE_TIME_PREKEY_LEN = 4 + CURVE_KEY_LEN;
/** Largest upload body: every optional part present and both lists full. */
export const MAX_PREKEY_UPLOAD_BYTES =
  1 + PREKEY_TAG_LEN + CURVE_KEY_LEN + 4 + 1 + SIGNED_PREKEY_LEN + SIGNED_KEM_PREKEY_LEN +
  2 + MAX_UPLOAD_PREKEYS * ONE_TIME_PREKEY_LEN + 2 + MAX_UPLOAD_KYBER_PREKEYS * SIGNED_KEM_PREKEY_LEN +
  PREKEY_CHALLENGE_LEN + XEDDSA_SIGNATURE_LEN;
/** Largest bundle body (with a one-time prekey). */
export const MAX_PREKEY_BUNDLE_BYTES = 1 + 1 + CURVE_KEY_LEN + 4 + SIGNED_PREKEY_LEN + SIGNED_KEM_PREKEY_LEN + ONE_TIME_PREKEY_LEN;
