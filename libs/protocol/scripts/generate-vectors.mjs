#!/usr/bin/env node
// Writes libs/protocol/vectors/{valid,invalid}/*.json. The committed JSON is the contract, not
// this script: rerun it only to add cases, and review every changed byte.
//
// Independent of src/ on purpose: bytes are laid out by hand here, hashes come straight from
// @noble/hashes and signatures from @noble/curves, so a codec bug cannot bless itself.
// scripts/crosscheck-vectors.py recomputes the hashes with the BLAKE3 reference implementation.
//
// Run from the repo root: node libs/protocol/scripts/generate-vectors.mjs
import { Buffer } from 'node:buffer';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextEncoder } from 'node:util';
import { blake3 } from '@noble/hashes/blake3.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'vectors');
const enc = new TextEncoder();
const hex = (b) => Buffer.from(b).toString('hex');

/** Deterministic filler: BLAKE3 XOF of a label, so every vector byte is reproducible. */
const fill = (label, n) => blake3(enc.encode(label), { dkLen: n });
const repeat = (byte, n) => new Uint8Array(n).fill(byte);
const seq = (start, n) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const u8 = (v) => Uint8Array.of(v);
const u16 = (v) => Uint8Array.of(v >>> 8, v & 0xff);
const u32 = (v) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

// --- addressing, by the spec's formulas -----------------------------------------------------

const EPOCH_MS = 3_600_000;
const NOV_2026_MS = Date.UTC(2026, 10, 1); // 2026-11-01T00:00:00Z
const destHash = (ns, pk, epoch) => blake3(cat(ns, pk, u32(epoch)));
const mailboxId = (dest, pk) =>
  blake3(cat(dest, pk), { context: enc.encode('tacit 2026-11 mailbox id v1'), dkLen: 32 }).subarray(0, 16);

const namespaceId = fill('tacit vectors namespace', 32);
const seed = fill('tacit vectors ed25519 seed', 32);
const peerKey = ed25519.getPublicKey(seed);
const challenge = fill('tacit vectors challenge', 32);
const nowEpoch = Math.floor(NOV_2026_MS / EPOCH_MS);
const claimDests = [nowEpoch - 1, nowEpoch, nowEpoch + 1].map((e) => destHash(namespaceId, peerKey, e));
const proofMessage = cat(enc.encode('tacit/v1/claim'), challenge, blake3(cat(...claimDests)));
const signature = ed25519.sign(proofMessage, seed);

// Version 2: the claim is bound to the relay key and the client's ephemeral key (protocol.md §3.1).
const relaySecret = enc.encode('tacit vectors relay secret, 32+ characters long');
const relaySecretKey = blake3(relaySecret, { context: enc.encode('tacit 2026-12 relay key v2'), dkLen: 32 });
const relayKey = x25519.getPublicKey(relaySecretKey);
const ephemeralSecret = fill('tacit vectors ephemeral x25519', 32);
const ephemeralKey = x25519.getPublicKey(ephemeralSecret);
const proofMessageV2 = cat(enc.encode('tacit/v2/claim'), challenge, relayKey, ephemeralKey, blake3(cat(...claimDests)));
const signatureV2 = ed25519.sign(proofMessageV2, seed);
const sharedSecret = x25519.getSharedSecret(ephemeralSecret, relayKey);
const channelKey = blake3(cat(sharedSecret, challenge, relayKey, ephemeralKey), { context: enc.encode('tacit 2026-12 channel key v2'), dkLen: 32 });

// --- packets and frames ------------------------------------------------------------------

function packet({ version = 1, hopLimit, dest, mbox, id, ttl, payload, payloadLen = payload.length }) {
  const bytes = cat(u8(version), u8(hopLimit), dest, mbox, id, u32(ttl), u32(payloadLen), payload);
  const value = {
    version,
    hopLimit,
    destHash: hex(dest),
    mailboxId: hex(mbox),
    packetId: hex(id),
    ttlSeconds: ttl,
    payload: hex(payload),
  };
  return { bytes, value };
}

const dest0 = claimDests[1];
const mbox0 = mailboxId(dest0, peerKey);
const pkt256 = packet({
  hopLimit: 8,
  dest: dest0,
  mbox: mbox0,
  id: fill('packet id 1', 16),
  ttl: 86_400,
  payload: fill('payload 256', 256),
});
const pktMin = packet({
  hopLimit: 1,
  dest: repeat(0, 32),
  mbox: repeat(0, 16),
  id: repeat(0, 16),
  ttl: 1,
  payload: repeat(0, 512),
});
const pktMax = packet({
  hopLimit: 16,
  dest: repeat(0xff, 32),
  mbox: repeat(0xff, 16),
  id: repeat(0xff, 16),
  ttl: 2_592_000,
  payload: fill('payload 65536', 65536),
});
const pkt1024 = packet({
  hopLimit: 3,
  dest: claimDests[2],
  mbox: mailboxId(claimDests[2], peerKey),
  id: fill('packet id 2', 16),
  ttl: 3600,
  payload: fill('payload 1024', 1024),
});

const hello = (min, max, flags = 0, magic = enc.encode('TACT')) => cat(u8(0x01), magic, u8(min), u8(max), u16(flags));
const claim = (requestId, pk, sig, count, dests) => cat(u8(0x02), u32(requestId), pk, sig, u16(count), ...dests);
const ack = (count, ids) => cat(u8(0x04), u16(count), ...ids);
const claimV2 = (requestId, pk, eph, sig, count, dests) => cat(u8(0x07), u32(requestId), pk, eph, sig, u16(count), ...dests);
const ackV2Body = (count, ids) => cat(u8(0x08), u16(count), ...ids);
const ackV2 = (count, ids, key) => {
  const body = ackV2Body(count, ids);
  return cat(body, hmac(sha256, key, body).subarray(0, 16));
};
const welcome = (version, ch, maxFrame, idle, maxClaim) =>
  cat(u8(0x81), u8(version), ch, u32(maxFrame), u32(idle), u16(maxClaim));
const errorFrame = (code, ref, msgBytes, len = msgBytes.length) => cat(u8(0x86), u16(code), ref, u16(len), msgBytes);
const ref7 = cat(u32(7), repeat(0, 12));

const valid = {};
const invalid = {};

// Client frames.
valid['client-hello-v1'] = {
  description: 'HELLO offering exactly v1',
  kind: 'client-frame',
  hex: hex(hello(1, 1)),
  value: { type: 'hello', minVersion: 1, maxVersion: 1 },
};
valid['client-hello-range'] = {
  description: 'HELLO offering 1..3: HELLO decodes whatever range is offered; negotiation picks',
  kind: 'client-frame',
  hex: hex(hello(1, 3)),
  value: { type: 'hello', minVersion: 1, maxVersion: 3 },
};
valid['client-claim-skew-window'] = {
  description: 'CLAIM of the three skew-window dests, signed as in address-claim-proof',
  kind: 'client-frame',
  hex: hex(claim(7, peerKey, signature, 3, claimDests)),
  value: { type: 'claim', requestId: 7, peerKey: hex(peerKey), signature: hex(signature), dests: claimDests.map(hex) },
};
const dests1024 = Array.from({ length: 1024 }, (_, i) => fill(`dest ${i}`, 32));
valid['client-claim-max'] = {
  description: 'CLAIM with MAX_CLAIM (1024) dests and requestId 0xffffffff (the codec does not verify signatures)',
  kind: 'client-frame',
  hex: hex(claim(0xffffffff, repeat(0xab, 32), repeat(0xcd, 64), 1024, dests1024)),
  value: {
    type: 'claim',
    requestId: 0xffffffff,
    peerKey: hex(repeat(0xab, 32)),
    signature: hex(repeat(0xcd, 64)),
    dests: dests1024.map(hex),
  },
};
valid['client-send-256'] = {
  description: 'SEND of a packet with the smallest bucket',
  kind: 'client-frame',
  hex: hex(cat(u8(0x03), pkt256.bytes)),
  value: { type: 'send', packet: pkt256.value },
};
valid['client-resend-256'] = {
  description: 'RESEND (a later attempt of the same packet): the SEND body under type 0x06',
  kind: 'client-frame',
  hex: hex(cat(u8(0x06), pkt256.bytes)),
  value: { type: 'send', packet: pkt256.value, resend: true },
};
valid['client-send-min-fields'] = {
  description: 'SEND with hopLimit 1, ttlSeconds 1 and all-zero ids',
  kind: 'client-frame',
  hex: hex(cat(u8(0x03), pktMin.bytes)),
  value: { type: 'send', packet: pktMin.value },
};
valid['client-send-max'] = {
  description: 'SEND at MAX_FRAME_BYTES (65611): 65536-byte payload, hopLimit 16, ttlSeconds 2592000',
  kind: 'client-frame',
  hex: hex(cat(u8(0x03), pktMax.bytes)),
  value: { type: 'send', packet: pktMax.value },
};
const ids256 = Array.from({ length: 256 }, (_, i) => fill(`ack ${i}`, 16));
valid['client-ack-one'] = {
  description: 'ACK of one packet',
  kind: 'client-frame',
  hex: hex(ack(1, [pkt256.bytes.subarray(50, 66)])),
  value: { type: 'ack', packetIds: [hex(pkt256.bytes.subarray(50, 66))] },
};
valid['client-ack-max'] = {
  description: 'ACK of MAX_ACK (256) packets',
  kind: 'client-frame',
  hex: hex(ack(256, ids256)),
  value: { type: 'ack', packetIds: ids256.map(hex) },
};
valid['client-ping'] = {
  description: 'PING',
  kind: 'client-frame',
  hex: hex(cat(u8(0x05), seq(1, 8))),
  value: { type: 'ping', nonce: hex(seq(1, 8)) },
};

valid['client-claim-v2'] = {
  description: 'CLAIM_V2 of the three skew-window dests, bound to the relay key and the ephemeral key of claim-proof-v2',
  kind: 'client-frame',
  hex: hex(claimV2(7, peerKey, ephemeralKey, signatureV2, 3, claimDests)),
  value: { type: 'claim', requestId: 7, peerKey: hex(peerKey), ephemeral: hex(ephemeralKey), signature: hex(signatureV2), dests: claimDests.map(hex) },
};
const ackedIds = [fill('packet id 1', 16), fill('packet id 2', 16)];
valid['client-ack-v2'] = {
  description: 'ACK_V2 of two packets, tagged with the channel key of claim-proof-v2',
  kind: 'client-frame',
  hex: hex(ackV2(2, ackedIds, channelKey)),
  value: { type: 'ack', packetIds: ackedIds.map(hex), tag: hex(hmac(sha256, channelKey, ackV2Body(2, ackedIds)).subarray(0, 16)) },
};

// Server frames.
valid['server-welcome-v2'] = {
  description: 'WELCOME for v2: v1 fields, then the relay key',
  kind: 'server-frame',
  hex: hex(cat(welcome(2, challenge, 65611, 60_000, 1024), relayKey)),
  value: { type: 'welcome', version: 2, challenge: hex(challenge), maxFrameBytes: 65611, idleTimeoutMs: 60_000, maxClaim: 1024, relayKey: hex(relayKey) },
};
valid['server-welcome'] = {
  description: 'WELCOME for v1 with the default limits',
  kind: 'server-frame',
  hex: hex(welcome(1, challenge, 65611, 60_000, 1024)),
  value: { type: 'welcome', version: 1, challenge: hex(challenge), maxFrameBytes: 65611, idleTimeoutMs: 60_000, maxClaim: 1024 },
};
valid['server-claimed'] = {
  description: 'CLAIMED answering client-claim-skew-window',
  kind: 'server-frame',
  hex: hex(cat(u8(0x82), u32(7), u16(3))),
  value: { type: 'claimed', requestId: 7, count: 3 },
};
valid['server-accepted'] = {
  description: 'ACCEPTED for the packet of client-send-256',
  kind: 'server-frame',
  hex: hex(cat(u8(0x83), u16(1), pkt256.bytes.subarray(50, 66))),
  value: { type: 'accepted', packetIds: [pkt256.value.packetId] },
};
valid['server-accepted-max'] = {
  description: 'ACCEPTED for 256 packets (MAX_ACK)',
  kind: 'server-frame',
  hex: hex(cat(u8(0x83), u16(256), ...ids256)),
  value: { type: 'accepted', packetIds: ids256.map(hex) },
};
valid['server-deliver-1024'] = {
  description: 'DELIVER of a 1024-byte-bucket packet',
  kind: 'server-frame',
  hex: hex(cat(u8(0x84), pkt1024.bytes)),
  value: { type: 'deliver', packet: pkt1024.value },
};
valid['server-pong'] = {
  description: 'PONG echoing client-ping',
  kind: 'server-frame',
  hex: hex(cat(u8(0x85), seq(1, 8))),
  value: { type: 'pong', nonce: hex(seq(1, 8)) },
};
valid['server-error-bad-proof'] = {
  description: 'ERROR BAD_PROOF for requestId 7 (ref = u32be(7) || 12 zeros)',
  kind: 'server-frame',
  hex: hex(errorFrame(4, ref7, enc.encode('claim proof does not verify'))),
  value: { type: 'error', code: 4, ref: hex(ref7), message: 'claim proof does not verify' },
};
valid['server-error-empty-message'] = {
  description: 'ERROR INTERNAL with a zero ref and an empty message',
  kind: 'server-frame',
  hex: hex(errorFrame(12, repeat(0, 16), new Uint8Array(0))),
  value: { type: 'error', code: 12, ref: hex(repeat(0, 16)), message: '' },
};
const utf8Message = 'débit limité — réessayez ✓ 🐢';
valid['server-error-utf8'] = {
  description: 'ERROR RATE_LIMITED whose message has 2-, 3- and 4-byte UTF-8 sequences',
  kind: 'server-frame',
  hex: hex(errorFrame(5, repeat(0, 16), enc.encode(utf8Message))),
  value: { type: 'error', code: 5, ref: hex(repeat(0, 16)), message: utf8Message },
};
const longMessage = 'x'.repeat(512);
valid['server-error-max-message'] = {
  description: 'ERROR MAILBOX_FULL with a 512-byte message, the cap; ref is a packet id',
  kind: 'server-frame',
  hex: hex(errorFrame(7, pkt256.bytes.subarray(50, 66), enc.encode(longMessage))),
  value: { type: 'error', code: 7, ref: pkt256.value.packetId, message: longMessage },
};
valid['server-goaway-draining'] = {
  description: 'GOAWAY draining: reconnect elsewhere after 5 s',
  kind: 'server-frame',
  hex: hex(cat(u8(0x87), u8(0), u32(5000))),
  value: { type: 'goaway', reason: 0, retryAfterMs: 5000 },
};
valid['server-goaway-idle'] = {
  description: 'GOAWAY idle timeout',
  kind: 'server-frame',
  hex: hex(cat(u8(0x87), u8(1), u32(0))),
  value: { type: 'goaway', reason: 1, retryAfterMs: 0 },
};

// Bare packets, as a queue stores them.
valid['packet-256'] = {
  description: 'the packet of client-send-256 on its own (a SEND frame is 0x03 || packet)',
  kind: 'packet',
  hex: hex(pkt256.bytes),
  value: pkt256.value,
};
valid['packet-1024'] = {
  description: 'the packet of server-deliver-1024 on its own',
  kind: 'packet',
  hex: hex(pkt1024.bytes),
  value: pkt1024.value,
};

// Addressing.
const addressCase = (description, ns, pk, epoch) => {
  const dest = destHash(ns, pk, epoch);
  return {
    description,
    kind: 'address',
    input: { namespaceId: hex(ns), peerKey: hex(pk), epochHour: epoch },
    output: { destHash: hex(dest), mailboxId: hex(mailboxId(dest, pk)) },
  };
};
valid['address-sequential'] = addressCase(
  'namespaceId 00..1f, peerKey 20..3f, epoch of 2026-11-01T00:00Z',
  seq(0, 32),
  seq(32, 32),
  nowEpoch,
);
valid['address-zero'] = addressCase('all-zero inputs, epoch 0', repeat(0, 32), repeat(0, 32), 0);
valid['address-max-epoch'] = addressCase('all-0xff inputs, epoch 0xffffffff', repeat(0xff, 32), repeat(0xff, 32), 0xffffffff);
valid['address-ed25519'] = addressCase('a real Ed25519 peer key (address-claim-proof)', namespaceId, peerKey, nowEpoch + 1);
valid['address-claim-proof'] = {
  description:
    'claim proof over the skew window of 2026-11-01T00:00Z; signature = Ed25519(seed, message), the one in client-claim-skew-window',
  kind: 'claim-proof',
  input: { seed: hex(seed), challenge: hex(challenge), dests: claimDests.map(hex) },
  output: { peerKey: hex(peerKey), destsHash: hex(blake3(cat(...claimDests))), message: hex(proofMessage), signature: hex(signature) },
};

valid['claim-proof-v2'] = {
  description:
    'v2 claim proof over the skew window of 2026-11-01T00:00Z, the relay key from its secret, the channel key and the tag of client-ack-v2',
  kind: 'claim-proof-v2',
  input: { seed: hex(seed), challenge: hex(challenge), relaySecret: hex(relaySecret), ephemeralSecret: hex(ephemeralSecret), dests: claimDests.map(hex), ack: hex(ackV2Body(2, ackedIds)) },
  output: {
    peerKey: hex(peerKey),
    relaySecretKey: hex(relaySecretKey),
    relayKey: hex(relayKey),
    ephemeralKey: hex(ephemeralKey),
    message: hex(proofMessageV2),
    signature: hex(signatureV2),
    sharedSecret: hex(sharedSecret),
    channelKey: hex(channelKey),
    ackTag: hex(hmac(sha256, channelKey, ackV2Body(2, ackedIds)).subarray(0, 16)),
  },
};

// Epochs.
const epochCase = (description, nowMs, lastSeenMs, ttlHours) => {
  const now = Math.floor(nowMs / EPOCH_MS);
  const from = Math.max(0, Math.floor(lastSeenMs / EPOCH_MS) - 1, now - 1 - ttlHours);
  const missed = [];
  for (let e = from; e <= now - 2; e++) missed.push(e);
  return {
    description,
    kind: 'epoch',
    input: { nowMs, lastSeenMs, ttlHours },
    output: { currentEpoch: now, skewWindow: [now - 1, now, now + 1].filter((e) => e >= 0), missedEpochs: missed },
  };
};
valid['epoch-online'] = epochCase('reconnect within the same hour: nothing missed', NOV_2026_MS + 1_800_000, NOV_2026_MS + 60_000, 720);
valid['epoch-hour-boundary'] = epochCase(
  'last millisecond of an hour; offline 5 hours',
  NOV_2026_MS + EPOCH_MS - 1,
  NOV_2026_MS - 5 * EPOCH_MS,
  720,
);
valid['epoch-offline-long'] = epochCase('offline for a year: claims back to the TTL plus skew (720 epochs before the skew window)', NOV_2026_MS, NOV_2026_MS - 365 * 24 * EPOCH_MS, 720);
valid['epoch-short-ttl'] = epochCase('offline for a year with a 24-hour TTL', NOV_2026_MS, 0, 24);
valid['epoch-zero'] = epochCase('the Unix epoch itself', 0, 0, 720);

// Padding (inside the encryption).
const padCase = (description, data, overhead) => {
  let bucket = 256;
  while (bucket < 4 + data.length + overhead) bucket *= 2;
  const padded = new Uint8Array(bucket - overhead);
  padded.set(u32(data.length), 0);
  padded.set(data, 4);
  return { description, kind: 'padding', input: { data: hex(data), overhead }, output: { padded: hex(padded) } };
};
valid['padding-empty'] = padCase('empty plaintext fills the smallest bucket', new Uint8Array(0), 0);
valid['padding-overhead'] = padCase('5 bytes with 28 bytes of encryption overhead -> 228 + 28 = 256', enc.encode('hello'), 28);
valid['padding-exact'] = padCase('252 bytes + 4-byte prefix fill 256 exactly', fill('pad 252', 252), 0);
valid['padding-next-bucket'] = padCase('253 bytes need the 512 bucket', fill('pad 253', 253), 0);

// --- invalid ----------------------------------------------------------------------------------

const bad = (name, description, kind, bytes, code, field, options) => {
  invalid[name] = { description, kind, hex: hex(bytes), ...(options ? { options } : {}), error: { code, field } };
};
const M = 'MALFORMED_FRAME';
const V = 'UNSUPPORTED_VERSION';
const L = 'FRAME_TOO_LARGE';
const p256 = pkt256.bytes;
const withByte = (b, at, v) => {
  const c = Uint8Array.from(b);
  c[at] = v;
  return c;
};
const withU32 = (b, at, v) => {
  const c = Uint8Array.from(b);
  c.set(u32(v), at);
  return c;
};
const send = (p) => cat(u8(0x03), p);

bad('client-empty', 'empty message', 'client-frame', new Uint8Array(0), M, 'type');
bad('client-type-0x00', 'type 0x00 is not assigned', 'client-frame', u8(0x00), M, 'type');
bad('client-resend-truncated', 'RESEND whose packet stops inside the destination hash', 'client-frame', cat(u8(0x06), p256.subarray(0, 20)), M, 'destHash');
bad('client-type-0x09', 'type 0x09 is not assigned', 'client-frame', cat(u8(0x09), seq(0, 8)), M, 'type');
bad('client-claim-v2-truncated-ephemeral', 'CLAIM_V2 cut inside the ephemeral key', 'client-frame', claimV2(7, peerKey, ephemeralKey, signatureV2, 3, claimDests).subarray(0, 1 + 4 + 32 + 20), M, 'ephemeral');
bad('client-claim-v2-without-ephemeral', 'a v1 CLAIM body under the CLAIM_V2 type: the signature is read as the ephemeral key, and the count from inside the first dest (out of range)', 'client-frame', cat(u8(0x07), claim(7, peerKey, signature, 3, claimDests).subarray(1)), M, 'count');
bad('client-ack-v2-short-tag', 'ACK_V2 whose tag is 15 bytes', 'client-frame', ackV2(2, ackedIds, channelKey).subarray(0, 1 + 2 + 32 + 15), M, 'tag');
bad('client-ack-v2-no-tag', 'ACK_V2 with ids and no tag', 'client-frame', ackV2Body(2, ackedIds), M, 'tag');
bad('client-ack-v2-trailing', 'ACK_V2 with one byte after its tag', 'client-frame', cat(ackV2(2, ackedIds, channelKey), u8(0)), M, 'frame');
bad('client-type-server-welcome', 'a gateway frame type (0x81) sent by a client', 'client-frame', welcome(1, challenge, 65611, 60000, 1024), M, 'type');
bad('client-hello-bad-magic', 'HELLO with magic "TACX"', 'client-frame', hello(1, 1, 0, enc.encode('TACX')), M, 'magic');
bad('client-hello-truncated-magic', 'HELLO cut inside the magic', 'client-frame', hello(1, 1).subarray(0, 3), M, 'magic');
bad('client-hello-truncated', 'HELLO cut after the magic', 'client-frame', hello(1, 1).subarray(0, 5), M, 'minVersion');
bad('client-hello-flags-truncated', 'HELLO with one flags byte', 'client-frame', hello(1, 1).subarray(0, 8), M, 'flags');
bad('client-hello-flags-low', 'HELLO with flags 0x0001', 'client-frame', hello(1, 1, 1), M, 'flags');
bad('client-hello-flags-high', 'HELLO with flags 0x8000', 'client-frame', hello(1, 1, 0x8000), M, 'flags');
bad('client-hello-min-version-zero', 'HELLO with minVersion 0', 'client-frame', hello(0, 1), M, 'minVersion');
bad('client-hello-max-below-min', 'HELLO with minVersion 2, maxVersion 1', 'client-frame', hello(2, 1), M, 'maxVersion');
bad('client-hello-trailing', 'HELLO with one trailing byte', 'client-frame', cat(hello(1, 1), u8(0)), M, 'frame');
bad('client-claim-truncated-request-id', 'CLAIM with a 3-byte requestId', 'client-frame', cat(u8(0x02), u8(0), u8(0), u8(7)), M, 'requestId');
bad('client-claim-truncated-peer-key', 'CLAIM with a 31-byte peerKey', 'client-frame', cat(u8(0x02), u32(7), peerKey.subarray(0, 31)), M, 'peerKey');
bad('client-claim-truncated-signature', 'CLAIM cut inside the signature', 'client-frame', claim(7, peerKey, signature, 3, claimDests).subarray(0, 1 + 4 + 32 + 40), M, 'signature');
bad('client-claim-count-zero', 'CLAIM with count 0', 'client-frame', claim(7, peerKey, signature, 0, []), M, 'count');
bad('client-claim-count-1025', 'CLAIM with count 1025 (MAX_CLAIM + 1)', 'client-frame', claim(7, peerKey, signature, 1025, []), M, 'count');
bad('client-claim-missing-dest', 'CLAIM with count 3 but 2 dests', 'client-frame', claim(7, peerKey, signature, 3, claimDests.slice(0, 2)), M, 'dests');
bad('client-claim-partial-dest', 'CLAIM with count 1 and a 31-byte dest', 'client-frame', claim(7, peerKey, signature, 1, [claimDests[0].subarray(0, 31)]), M, 'dests');
bad('client-claim-trailing', 'CLAIM with count 2 but 3 dests', 'client-frame', claim(7, peerKey, signature, 2, claimDests), M, 'frame');
bad('client-send-empty', 'SEND with no packet', 'client-frame', u8(0x03), M, 'version');
bad('client-send-version-0', 'SEND of a version-0 packet', 'client-frame', send(withByte(p256, 0, 0)), V, 'version');
bad('client-send-version-2', 'SEND of a version-2 packet', 'client-frame', send(withByte(p256, 0, 2)), V, 'version');
bad('client-send-version-2-short', 'SEND of a version-2 packet cut after the version byte', 'client-frame', cat(u8(0x03), u8(2)), V, 'version');
bad('client-send-hop-limit-0', 'SEND with hopLimit 0', 'client-frame', send(withByte(p256, 1, 0)), M, 'hopLimit');
bad('client-send-hop-limit-17', 'SEND with hopLimit 17', 'client-frame', send(withByte(p256, 1, 17)), M, 'hopLimit');
bad('client-send-truncated-dest-hash', 'SEND cut inside destHash', 'client-frame', send(p256.subarray(0, 20)), M, 'destHash');
bad('client-send-truncated-mailbox-id', 'SEND cut inside mailboxId', 'client-frame', send(p256.subarray(0, 40)), M, 'mailboxId');
bad('client-send-truncated-packet-id', 'SEND cut inside packetId', 'client-frame', send(p256.subarray(0, 60)), M, 'packetId');
bad('client-send-truncated-ttl', 'SEND cut inside ttlSeconds', 'client-frame', send(p256.subarray(0, 67)), M, 'ttlSeconds');
bad('client-send-truncated-payload-len', 'SEND cut inside payloadLen', 'client-frame', send(p256.subarray(0, 72)), M, 'payloadLen');
bad('client-send-ttl-0', 'SEND with ttlSeconds 0', 'client-frame', send(withU32(p256, 66, 0)), M, 'ttlSeconds');
bad('client-send-ttl-over-max', 'SEND with ttlSeconds 2592001', 'client-frame', send(withU32(p256, 66, 2_592_001)), M, 'ttlSeconds');
bad('client-send-payload-len-0', 'SEND with payloadLen 0', 'client-frame', send(withU32(p256, 70, 0).subarray(0, 74)), M, 'payloadLen');
bad('client-send-payload-len-128', 'SEND with payloadLen 128 (below the smallest bucket)', 'client-frame', send(withU32(p256, 70, 128).subarray(0, 74 + 128)), M, 'payloadLen');
bad('client-send-payload-len-300', 'SEND with payloadLen 300 (not a bucket)', 'client-frame', send(cat(withU32(p256, 70, 300), repeat(0, 44))), M, 'payloadLen');
bad('client-send-payload-len-255', 'SEND with payloadLen 255 and 255 payload bytes', 'client-frame', send(withU32(p256, 70, 255).subarray(0, 74 + 255)), M, 'payloadLen');
bad('client-send-payload-len-131072', 'SEND with payloadLen 131072 (a power of two above the last bucket)', 'client-frame', send(withU32(p256, 70, 131072)), M, 'payloadLen');
bad('client-send-payload-len-max-u32', 'SEND with payloadLen 0xffffffff', 'client-frame', send(withU32(p256, 70, 0xffffffff)), M, 'payloadLen');
bad('client-send-payload-truncated', 'SEND with payloadLen 256 but 255 payload bytes', 'client-frame', send(p256.subarray(0, p256.length - 1)), M, 'payload');
bad('client-send-payload-short-bucket', 'SEND with payloadLen 512 but 256 payload bytes', 'client-frame', send(withU32(p256, 70, 512)), M, 'payload');
bad('client-send-trailing', 'SEND with one byte after the payload', 'client-frame', send(cat(p256, u8(0))), M, 'frame');
bad('client-ack-empty', 'ACK with no count', 'client-frame', u8(0x04), M, 'count');
bad('client-ack-count-zero', 'ACK with count 0', 'client-frame', ack(0, []), M, 'count');
bad('client-ack-count-257', 'ACK with count 257 (MAX_ACK + 1)', 'client-frame', ack(257, ids256.concat([ids256[0]])), M, 'count');
bad('client-ack-missing-id', 'ACK with count 2 but one id', 'client-frame', ack(2, [ids256[0]]), M, 'packetIds');
bad('client-ack-partial-id', 'ACK with count 1 and a 15-byte id', 'client-frame', ack(1, [ids256[0].subarray(0, 15)]), M, 'packetIds');
bad('client-ack-trailing', 'ACK with count 1 and 17 bytes', 'client-frame', cat(ack(1, [ids256[0]]), u8(0)), M, 'frame');
bad('client-ping-short', 'PING with a 7-byte nonce', 'client-frame', cat(u8(0x05), seq(1, 7)), M, 'nonce');
bad('client-ping-long', 'PING with a 9-byte nonce', 'client-frame', cat(u8(0x05), seq(1, 9)), M, 'frame');
bad(
  'client-oversize-default',
  'a 65612-byte frame (MAX_FRAME_BYTES + 1: the largest SEND plus a byte) with the default limit',
  'client-frame',
  cat(u8(0x03), pktMax.bytes, u8(0)),
  L,
  'frame',
);
bad('client-oversize-option', 'a 9-byte PING with maxFrameBytes 8', 'client-frame', cat(u8(0x05), seq(1, 8)), L, 'frame', { maxFrameBytes: 8 });
bad(
  'client-oversize-before-parse',
  'an unknown type longer than maxFrameBytes: size is checked before anything else',
  'client-frame',
  cat(u8(0xff), repeat(0, 64)),
  L,
  'frame',
  { maxFrameBytes: 64 },
);

bad('server-empty', 'empty message', 'server-frame', new Uint8Array(0), M, 'type');
bad('server-type-client-hello', 'a client frame type (0x01) sent by a gateway', 'server-frame', hello(1, 1), M, 'type');
bad('server-type-0x80', 'type 0x80 is not assigned', 'server-frame', u8(0x80), M, 'type');
bad('server-type-0x88', 'type 0x88 is not assigned', 'server-frame', u8(0x88), M, 'type');
bad('server-welcome-version-0', 'WELCOME with version 0', 'server-frame', welcome(0, challenge, 65611, 60000, 1024), V, 'version');
bad('server-welcome-version-3', 'WELCOME with version 3, which this decoder does not speak', 'server-frame', cat(welcome(3, challenge, 65611, 60000, 1024), relayKey), V, 'version');
bad('server-welcome-v2-no-relay-key', 'WELCOME for v2 without its relay key (a v1 layout)', 'server-frame', welcome(2, challenge, 65611, 60000, 1024), M, 'relayKey');
bad('server-welcome-v2-short-relay-key', 'WELCOME for v2 with a 31-byte relay key', 'server-frame', cat(welcome(2, challenge, 65611, 60000, 1024), relayKey.subarray(0, 31)), M, 'relayKey');
bad('server-welcome-v2-trailing', 'WELCOME for v2 with one byte after the relay key', 'server-frame', cat(welcome(2, challenge, 65611, 60000, 1024), relayKey, u8(0)), M, 'frame');
bad('server-welcome-truncated-challenge', 'WELCOME cut inside the challenge', 'server-frame', welcome(1, challenge, 65611, 60000, 1024).subarray(0, 20), M, 'challenge');
bad('server-welcome-truncated', 'WELCOME missing the last byte', 'server-frame', welcome(1, challenge, 65611, 60000, 1024).subarray(0, 43), M, 'maxClaim');
bad('server-welcome-max-frame-bytes-0', 'WELCOME with maxFrameBytes 0', 'server-frame', welcome(1, challenge, 0, 60000, 1024), M, 'maxFrameBytes');
bad('server-welcome-idle-timeout-0', 'WELCOME with idleTimeoutMs 0', 'server-frame', welcome(1, challenge, 65611, 0, 1024), M, 'idleTimeoutMs');
bad('server-welcome-max-claim-0', 'WELCOME with maxClaim 0', 'server-frame', welcome(1, challenge, 65611, 60000, 0), M, 'maxClaim');
bad('server-welcome-max-claim-1025', 'WELCOME with maxClaim 1025', 'server-frame', welcome(1, challenge, 65611, 60000, 1025), M, 'maxClaim');
bad('server-welcome-trailing', 'WELCOME with one trailing byte', 'server-frame', cat(welcome(1, challenge, 65611, 60000, 1024), u8(0)), M, 'frame');
bad('server-claimed-count-0', 'CLAIMED with count 0', 'server-frame', cat(u8(0x82), u32(7), u16(0)), M, 'count');
bad('server-claimed-count-1025', 'CLAIMED with count 1025', 'server-frame', cat(u8(0x82), u32(7), u16(1025)), M, 'count');
bad('server-claimed-truncated', 'CLAIMED with a 1-byte count', 'server-frame', cat(u8(0x82), u32(7), u8(3)), M, 'count');
bad('server-accepted-short', 'ACCEPTED with count 1 and a 15-byte packetId', 'server-frame', cat(u8(0x83), u16(1), repeat(1, 15)), M, 'packetIds');
bad('server-accepted-long', 'ACCEPTED with count 1 and 17 bytes', 'server-frame', cat(u8(0x83), u16(1), repeat(1, 17)), M, 'frame');
bad('server-accepted-empty', 'ACCEPTED with no count', 'server-frame', u8(0x83), M, 'count');
bad('server-accepted-count-zero', 'ACCEPTED with count 0', 'server-frame', cat(u8(0x83), u16(0)), M, 'count');
bad('server-accepted-count-257', 'ACCEPTED with count 257 (MAX_ACK + 1)', 'server-frame', cat(u8(0x83), u16(257), ...ids256, ids256[0]), M, 'count');
bad('server-deliver-version-2', 'DELIVER of a version-2 packet', 'server-frame', cat(u8(0x84), withByte(p256, 0, 2)), V, 'version');
bad('server-deliver-payload-len-300', 'DELIVER with payloadLen 300', 'server-frame', cat(u8(0x84), withU32(p256, 70, 300), repeat(0, 44)), M, 'payloadLen');
bad('server-deliver-trailing', 'DELIVER with one byte after the payload', 'server-frame', cat(u8(0x84), p256, u8(0)), M, 'frame');
bad('server-pong-short', 'PONG with a 7-byte nonce', 'server-frame', cat(u8(0x85), seq(1, 7)), M, 'nonce');
bad('server-pong-long', 'PONG with a 9-byte nonce', 'server-frame', cat(u8(0x85), seq(1, 9)), M, 'frame');
bad('server-error-code-0', 'ERROR with code 0', 'server-frame', errorFrame(0, ref7, enc.encode('x')), M, 'code');
bad('server-error-code-13', 'ERROR with code 13 (not defined in v1)', 'server-frame', errorFrame(13, ref7, enc.encode('x')), M, 'code');
bad('server-error-truncated-ref', 'ERROR cut inside ref', 'server-frame', errorFrame(4, ref7, enc.encode('x')).subarray(0, 10), M, 'ref');
bad('server-error-message-len-513', 'ERROR with messageLen 513', 'server-frame', errorFrame(4, ref7, repeat(0x78, 513)), M, 'messageLen');
bad('server-error-message-truncated', 'ERROR with messageLen 10 and 9 bytes', 'server-frame', errorFrame(4, ref7, repeat(0x78, 9), 10), M, 'message');
bad('server-error-message-trailing', 'ERROR with messageLen 9 and 10 bytes', 'server-frame', errorFrame(4, ref7, repeat(0x78, 10), 9), M, 'frame');
bad('server-error-bad-utf8', 'ERROR whose message is C3 28 (bad continuation byte)', 'server-frame', errorFrame(1, ref7, Uint8Array.of(0xc3, 0x28)), M, 'message');
bad('server-error-overlong-utf8', 'ERROR whose message is C0 AF (overlong "/")', 'server-frame', errorFrame(1, ref7, Uint8Array.of(0xc0, 0xaf)), M, 'message');
bad('server-error-surrogate-utf8', 'ERROR whose message is ED A0 80 (an encoded UTF-16 surrogate)', 'server-frame', errorFrame(1, ref7, Uint8Array.of(0xed, 0xa0, 0x80)), M, 'message');
bad('server-error-cut-utf8', 'ERROR whose message ends inside a 3-byte sequence', 'server-frame', errorFrame(1, ref7, Uint8Array.of(0x61, 0xe2, 0x9c)), M, 'message');
bad('server-goaway-reason-2', 'GOAWAY with reason 2', 'server-frame', cat(u8(0x87), u8(2), u32(0)), M, 'reason');
bad('server-goaway-truncated', 'GOAWAY with a 3-byte retryAfterMs', 'server-frame', cat(u8(0x87), u8(0), u8(0), u8(0), u8(0)), M, 'retryAfterMs');
bad('server-oversize-option', 'a 7-byte CLAIMED with maxFrameBytes 6', 'server-frame', cat(u8(0x82), u32(7), u16(3)), L, 'frame', { maxFrameBytes: 6 });

bad('packet-empty', 'no bytes', 'packet', new Uint8Array(0), M, 'version');
bad('packet-version-2', 'version byte 2', 'packet', withByte(p256, 0, 2), V, 'version');
bad('packet-version-255', 'version byte 255', 'packet', withByte(p256, 0, 255), V, 'version');
bad('packet-header-only', 'a 74-byte header with payloadLen 256 and no payload', 'packet', p256.subarray(0, 74), M, 'payload');
bad('packet-trailing', 'one byte after the payload', 'packet', cat(p256, u8(0)), M, 'packet');
bad('packet-payload-len-257', 'payloadLen 257', 'packet', cat(withU32(p256, 70, 257), u8(0)), M, 'payloadLen');

const padded = (len, body, total) => {
  const out = new Uint8Array(total);
  out.set(u32(len), 0);
  out.set(body, 4);
  return out;
};
bad('padded-too-short', '3 bytes: no room for the length prefix', 'padded', repeat(0, 3), M, 'paddedLength');
bad('padded-length-over', 'prefix says 253 in 256 bytes (at most 252 fit)', 'padded', padded(253, new Uint8Array(0), 256), M, 'paddedLength');
bad('padded-length-max-u32', 'prefix 0xffffffff', 'padded', padded(0xffffffff, new Uint8Array(0), 256), M, 'paddedLength');
bad('padded-nonzero-fill', 'a non-zero byte in the fill', 'padded', padded(1, Uint8Array.of(0x61, 0, 0, 1), 256), M, 'padding');
bad('padded-nonzero-last', 'the last fill byte is 0x80', 'padded', withByte(padded(0, new Uint8Array(0), 256), 255, 0x80), M, 'padding');

// --- prekey endpoints (protocol.md §13) ------------------------------------------------------

const deriveKey = (ctx, material) => blake3(material, { context: enc.encode(ctx), dkLen: 32 });
const curveKey = (label) => cat(u8(0x05), fill(label, 32));
const kemKey = (type, label) => cat(u8(type), fill(label, 1568));
const signedBytes = (id, key, sig) => cat(u32(id), key, sig);
const signedValue = (id, key, sig) => ({ id, publicKey: hex(key), signature: hex(sig) });

const pkIdentity = curveKey('prekey identity');
const pkTag = deriveKey('tacit 2026-11 prekey tag v1', cat(namespaceId, pkIdentity));
const pkAddress = deriveKey('tacit 2026-11 prekey address v1', cat(pkTag, pkIdentity));
valid['prekey-address'] = {
  description: 'prekey tag and address of the vectors namespace and an identity key (0x05 || 32)',
  kind: 'prekey-address',
  input: { namespaceId: hex(namespaceId), identityKey: hex(pkIdentity) },
  output: { tag: hex(pkTag), address: hex(pkAddress) },
};

const spk = { id: 0x00abcdef, key: curveKey('prekey spk'), sig: fill('prekey spk sig', 64) };
const lastResort = { id: 0x00123456, key: kemKey(0x08, 'prekey last resort'), sig: fill('prekey lr sig', 64) };
const oneTime = [1, 2].map((id) => ({ id, key: curveKey(`prekey opk ${id}`) }));
const kyberOneTime = [{ id: 0x00ffffff, key: kemKey(0x0a, 'prekey kpk'), sig: fill('prekey kpk sig', 64) }];
const pkChallenge = fill('prekey challenge', 40);
const uploadBody = (flags, parts, sig) =>
  cat(u8(1), pkTag, pkIdentity, u32(4242), u8(flags), ...parts, pkChallenge, sig);
const fullParts = [
  signedBytes(spk.id, spk.key, spk.sig),
  signedBytes(lastResort.id, lastResort.key, lastResort.sig),
  u16(oneTime.length),
  ...oneTime.map((k) => cat(u32(k.id), k.key)),
  u16(kyberOneTime.length),
  ...kyberOneTime.map((k) => signedBytes(k.id, k.key, k.sig)),
];
const pkSignature = fill('prekey upload signature', 64);
const fullUpload = uploadBody(0x03, fullParts, pkSignature);
valid['prekey-upload-full'] = {
  description: 'upload with a signed prekey, a Kyber-1024 last-resort key, two one-time and one ML-KEM-1024 one-time prekey (the codec does not verify signatures)',
  kind: 'prekey-upload',
  hex: hex(fullUpload),
  value: {
    tag: hex(pkTag),
    identityKey: hex(pkIdentity),
    registrationId: 4242,
    signedPreKey: signedValue(spk.id, spk.key, spk.sig),
    lastResortKyberPreKey: signedValue(lastResort.id, lastResort.key, lastResort.sig),
    preKeys: oneTime.map((k) => ({ id: k.id, publicKey: hex(k.key) })),
    kyberPreKeys: kyberOneTime.map((k) => signedValue(k.id, k.key, k.sig)),
    challenge: hex(pkChallenge),
    signature: hex(pkSignature),
  },
};
const statusUpload = uploadBody(0x00, [u16(0), u16(0)], pkSignature);
valid['prekey-upload-status'] = {
  description: 'upload with no keys: asks what the service holds (and keeps the bundle alive)',
  kind: 'prekey-upload',
  hex: hex(statusUpload),
  value: {
    tag: hex(pkTag),
    identityKey: hex(pkIdentity),
    registrationId: 4242,
    preKeys: [],
    kyberPreKeys: [],
    challenge: hex(pkChallenge),
    signature: hex(pkSignature),
  },
};
valid['prekey-proof'] = {
  description: 'the upload proof message of prekey-upload-full: "tacit/v1/prekeys" || BLAKE3(body without its signature)',
  kind: 'prekey-proof',
  input: { body: hex(fullUpload) },
  output: { message: hex(cat(enc.encode('tacit/v1/prekeys'), blake3(fullUpload.subarray(0, fullUpload.length - 64)))) },
};
valid['prekey-fetch'] = {
  description: 'fetch of the address of prekey-address',
  kind: 'prekey-fetch',
  hex: hex(cat(u8(1), pkAddress)),
  value: { address: hex(pkAddress) },
};
valid['prekey-upload-reply'] = {
  description: 'upload reply: signed prekey on file, no last-resort key, 99 and 100000 one-time prekeys left',
  kind: 'prekey-upload-reply',
  hex: hex(cat(u8(1), u8(0x01), u32(99), u32(100000))),
  value: { signedPreKey: true, lastResortKyberPreKey: false, preKeys: 99, kyberPreKeys: 100000 },
};
const bundleBody = (flags, kyber, tail) =>
  cat(u8(1), u8(flags), pkIdentity, u32(4242), signedBytes(spk.id, spk.key, spk.sig), signedBytes(kyber.id, kyber.key, kyber.sig), ...tail);
valid['prekey-bundle-one-time'] = {
  description: 'bundle with a one-time prekey and a one-time ML-KEM-1024 prekey',
  kind: 'prekey-bundle',
  hex: hex(bundleBody(0x01, kyberOneTime[0], [u32(oneTime[0].id), oneTime[0].key])),
  value: {
    identityKey: hex(pkIdentity),
    registrationId: 4242,
    signedPreKey: signedValue(spk.id, spk.key, spk.sig),
    kyberPreKey: signedValue(kyberOneTime[0].id, kyberOneTime[0].key, kyberOneTime[0].sig),
    kyberLastResort: false,
    preKey: { id: oneTime[0].id, publicKey: hex(oneTime[0].key) },
  },
};
valid['prekey-bundle-last-resort'] = {
  description: 'bundle once the pools are empty: no one-time prekey, the last-resort Kyber-1024 key',
  kind: 'prekey-bundle',
  hex: hex(bundleBody(0x02, lastResort, [])),
  value: {
    identityKey: hex(pkIdentity),
    registrationId: 4242,
    signedPreKey: signedValue(spk.id, spk.key, spk.sig),
    kyberPreKey: signedValue(lastResort.id, lastResort.key, lastResort.sig),
    kyberLastResort: true,
  },
};

const badPrekey = (name, description, kind, bytes, code, field) => {
  invalid[name] = { description, kind, hex: hex(bytes), error: { code, field } };
};
const withBytes = (b, at, bytes) => {
  const c = Uint8Array.from(b);
  c.set(bytes, at);
  return c;
};
badPrekey('prekey-upload-empty', 'no bytes', 'prekey-upload', new Uint8Array(0), 'MALFORMED', 'version');
badPrekey('prekey-upload-version-2', 'version byte 2', 'prekey-upload', withByte(statusUpload, 0, 2), 'MALFORMED', 'version');
badPrekey('prekey-upload-identity-type', 'identity key with type byte 0x06', 'prekey-upload', withByte(statusUpload, 33, 0x06), 'BAD_KEY', 'identityKey');
badPrekey('prekey-upload-identity-short', 'identity key cut to 32 bytes (and everything after it)', 'prekey-upload', statusUpload.subarray(0, 65), 'MALFORMED', 'identityKey');
badPrekey('prekey-upload-flags', 'flags bit 2 set', 'prekey-upload', withByte(statusUpload, 70, 0x04), 'MALFORMED', 'flags');
badPrekey('prekey-upload-spk-kem-type', 'signed prekey with a KEM type byte', 'prekey-upload', withByte(fullUpload, 75, 0x08), 'BAD_KEY', 'signedPreKey.publicKey');
badPrekey('prekey-upload-last-resort-type', 'last-resort key with type byte 0x05', 'prekey-upload', withByte(fullUpload, 71 + 101 + 4, 0x05), 'BAD_KEY', 'lastResortKyberPreKey.publicKey');
badPrekey('prekey-upload-prekey-count-101', 'preKeyCount 101', 'prekey-upload', withBytes(statusUpload, 71, u16(101)), 'MALFORMED', 'preKeyCount');
badPrekey('prekey-upload-kyber-count-101', 'kyberPreKeyCount 101', 'prekey-upload', withBytes(statusUpload, 73, u16(101)), 'MALFORMED', 'kyberPreKeyCount');
badPrekey('prekey-upload-repeated-id', 'two one-time prekeys with id 1', 'prekey-upload', withBytes(fullUpload, 71 + 101 + 1637 + 2 + 37, u32(1)), 'MALFORMED', 'preKeys[1].id');
badPrekey('prekey-upload-no-signature', 'the signature cut to 63 bytes', 'prekey-upload', fullUpload.subarray(0, fullUpload.length - 1), 'MALFORMED', 'signature');
badPrekey('prekey-upload-trailing', 'one byte after the signature', 'prekey-upload', cat(statusUpload, u8(0)), 'MALFORMED', 'upload');
badPrekey('prekey-fetch-short', 'fetch with a 31-byte address', 'prekey-fetch', cat(u8(1), repeat(7, 31)), 'MALFORMED', 'address');
badPrekey('prekey-fetch-long', 'fetch with a 33-byte address', 'prekey-fetch', cat(u8(1), repeat(7, 33)), 'TOO_LARGE', 'fetch');
badPrekey('prekey-bundle-flags', 'bundle flags 0x04', 'prekey-bundle', withByte(bundleBody(0x02, lastResort, []), 1, 0x04), 'MALFORMED', 'flags');
badPrekey('prekey-bundle-missing-prekey', 'bundle flag says a one-time prekey follows, none does', 'prekey-bundle', bundleBody(0x01, lastResort, []), 'MALFORMED', 'preKey.id');
badPrekey('prekey-bundle-kem-type', 'bundle whose post-quantum key has type byte 0x09', 'prekey-bundle', withByte(bundleBody(0x02, lastResort, []), 2 + 33 + 4 + 101 + 4, 0x09), 'BAD_KEY', 'kyberPreKey.publicKey');
badPrekey('prekey-upload-reply-short', 'upload reply without its last count byte', 'prekey-upload-reply', cat(u8(1), u8(0), u32(1), u8(0), u8(0), u8(0)), 'MALFORMED', 'kyberPreKeys');

// --- write --------------------------------------------------------------------------------

for (const [dir, cases] of [
  ['valid', valid],
  ['invalid', invalid],
]) {
  const path = join(root, dir);
  mkdirSync(path, { recursive: true });
  for (const f of readdirSync(path)) if (f.endsWith('.json')) rmSync(join(path, f));
  for (const [name, body] of Object.entries(cases)) writeFileSync(join(path, `${name}.json`), `${JSON.stringify(body, null, 2)}\n`);
  console.log(`${dir}: ${Object.keys(cases).length} vectors`);
}
