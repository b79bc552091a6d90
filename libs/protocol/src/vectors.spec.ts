// Golden vectors: the committed JSON under vectors/ is the wire contract. Every later version of
// this library must decode (or reject) each file exactly as recorded here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createPublicKey, verify } from 'node:crypto';
import { destHash, mailboxId } from './address.js';
import { claimProofMessage } from './claim.js';
import { decodeClientFrame, encodeClientFrame, type ClientFrame, type DecodeOptions } from './client-frames.js';
import { currentEpoch, missedEpochs, skewWindow } from './epoch.js';
import { ErrorCode, ProtocolError, type ErrorCodeName } from './errors.js';
import { decodePacket, encodePacket, type Packet } from './packet.js';
import { pad, unpad } from './padding.js';
import { decodeServerFrame, encodeServerFrame, type ServerFrame } from './server-frames.js';
import { PrekeyError } from './prekey-errors.js';
import {
  decodePrekeyBundle,
  decodePrekeyFetch,
  decodePrekeyUpload,
  decodePrekeyUploadReply,
  encodePrekeyBundle,
  encodePrekeyFetch,
  encodePrekeyUpload,
  encodePrekeyUploadReply,
  prekeyAddress,
  prekeyTag,
  prekeyUploadProofMessage,
  type PrekeyUpload,
  type PrekeyUploadReply,
  type WirePrekeyBundle,
} from './prekeys.js';

const ROOT = new URL('../vectors/', import.meta.url);
const BYTE_FIELDS = new Set(['destHash', 'mailboxId', 'packetId', 'payload', 'peerKey', 'signature', 'nonce', 'challenge', 'ref', 'tag', 'identityKey', 'publicKey', 'address']);
const BYTE_LISTS = new Set(['dests', 'packetIds']);
/** Kinds whose decoders throw PrekeyError (protocol.md §13) rather than ProtocolError. */
const PREKEY_KINDS = new Set(['prekey-upload', 'prekey-fetch', 'prekey-upload-reply', 'prekey-bundle']);

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Decoded value -> the vectors' JSON form (bytes as lowercase hex). */
function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(toJson);
  // Absent optional fields are absent in the JSON too.
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/** The vectors' JSON form -> a value to encode. */
function fromJson(v: unknown, key = ''): unknown {
  if (BYTE_FIELDS.has(key) && typeof v === 'string') return fromHex(v);
  if (BYTE_LISTS.has(key) && Array.isArray(v)) return v.map((x: string) => fromHex(x));
  if (Array.isArray(v)) return v.map((x: unknown) => fromJson(x));
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x, k)]));
  return v;
}

type Vector = Record<string, unknown> & { description: string; kind: string };
function load(dir: 'valid' | 'invalid'): [string, Vector][] {
  const files = readdirSync(new URL(`${dir}/`, ROOT)).filter((f) => f.endsWith('.json')).sort();
  return files.map((f) => [f, JSON.parse(readFileSync(new URL(`${dir}/${f}`, ROOT), 'utf8')) as Vector]);
}

const codecs: Record<string, { decode(b: Uint8Array, o?: DecodeOptions): unknown; encode(v: unknown): Uint8Array }> = {
  'client-frame': { decode: decodeClientFrame, encode: (v) => encodeClientFrame(v as ClientFrame) },
  'server-frame': { decode: decodeServerFrame, encode: (v) => encodeServerFrame(v as ServerFrame) },
  packet: { decode: (b) => decodePacket(b), encode: (v) => encodePacket(v as Packet) },
  padded: { decode: unpad, encode: () => assert.fail('padded vectors are decode-only') },
  'prekey-upload': { decode: decodePrekeyUpload, encode: (v) => encodePrekeyUpload(v as PrekeyUpload) },
  'prekey-upload-reply': { decode: decodePrekeyUploadReply, encode: (v) => encodePrekeyUploadReply(v as PrekeyUploadReply) },
  'prekey-bundle': { decode: decodePrekeyBundle, encode: (v) => encodePrekeyBundle(v as WirePrekeyBundle) },
  'prekey-fetch': { decode: (b) => ({ address: decodePrekeyFetch(b) }), encode: (v) => encodePrekeyFetch((v as { address: Uint8Array }).address) },
};

describe('golden vectors', () => {
  const valid = load('valid');
  const invalid = load('invalid');

  it('has vectors of every kind', () => {
    const kinds = new Set(valid.map(([, v]) => v.kind));
    for (const k of ['client-frame', 'server-frame', 'packet', 'address', 'claim-proof', 'epoch', 'padding', 'prekey-address', 'prekey-proof', ...PREKEY_KINDS]) {
      assert.ok(kinds.has(k), `no valid ${k} vector`);
    }
    assert.ok(invalid.length >= 80, `only ${invalid.length} invalid vectors`);
  });

  describe('valid', () => {
    for (const [file, v] of valid) {
      it(`${file}: ${v.description}`, () => {
        const input = v.input as Record<string, unknown>;
        const output = v.output as Record<string, unknown>;
        switch (v.kind) {
          case 'client-frame':
          case 'server-frame':
          case 'packet':
          case 'prekey-upload':
          case 'prekey-upload-reply':
          case 'prekey-bundle':
          case 'prekey-fetch': {
            const codec = codecs[v.kind]!;
            const bytes = fromHex(v.hex as string);
            assert.deepEqual(toJson(codec.decode(bytes)), v.value);
            assert.equal(toHex(codec.encode(fromJson(v.value))), v.hex);
            break;
          }
          case 'address': {
            const dest = destHash(fromHex(input.namespaceId as string), fromHex(input.peerKey as string), input.epochHour as number);
            assert.equal(toHex(dest), output.destHash);
            assert.equal(toHex(mailboxId(dest, fromHex(input.peerKey as string))), output.mailboxId);
            break;
          }
          case 'claim-proof': {
            const msg = claimProofMessage(fromHex(input.challenge as string), (input.dests as string[]).map(fromHex));
            assert.equal(toHex(msg), output.message);
            // Verified with OpenSSL (node:crypto), not the library that signed it.
            const key = createPublicKey({
              key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(fromHex(output.peerKey as string)).toString('base64url') },
              format: 'jwk',
            });
            assert.ok(verify(null, msg, key, fromHex(output.signature as string)), 'signature does not verify');
            break;
          }
          case 'prekey-address': {
            const tag = prekeyTag(fromHex(input.namespaceId as string), fromHex(input.identityKey as string));
            assert.equal(toHex(tag), output.tag);
            assert.equal(toHex(prekeyAddress(tag, fromHex(input.identityKey as string))), output.address);
            break;
          }
          case 'prekey-proof':
            assert.equal(toHex(prekeyUploadProofMessage(fromHex(input.body as string))), output.message);
            break;
          case 'epoch': {
            assert.equal(currentEpoch(input.nowMs as number), output.currentEpoch);
            assert.deepEqual(skewWindow(input.nowMs as number), output.skewWindow);
            assert.deepEqual(
              missedEpochs(input.lastSeenMs as number, input.nowMs as number, input.ttlHours as number),
              output.missedEpochs,
            );
            break;
          }
          case 'padding': {
            const padded = pad(fromHex(input.data as string), input.overhead as number);
            assert.equal(toHex(padded), output.padded);
            assert.equal(toHex(unpad(padded)), input.data);
            break;
          }
          default:
            assert.fail(`unknown kind ${v.kind}`);
        }
      });
    }
  });

  describe('invalid', () => {
    for (const [file, v] of invalid) {
      it(`${file}: ${v.description}`, () => {
        const codec = codecs[v.kind];
        assert.ok(codec, `unknown kind ${v.kind}`);
        if (PREKEY_KINDS.has(v.kind)) {
          const want = v.error as { code: string; field: string };
          assert.throws(
            () => codec.decode(fromHex(v.hex as string)),
            (e: unknown) => {
              assert.ok(e instanceof PrekeyError, `expected PrekeyError, got ${String(e)}`);
              assert.equal(e.code, want.code);
              assert.equal(e.field, want.field);
              assert.ok(e.message.includes(`"${want.field}"`), `message does not name the field: ${e.message}`);
              return true;
            },
          );
          return;
        }
        const want = v.error as { code: ErrorCodeName; field: string };
        assert.ok(want.code in ErrorCode, `unknown code ${want.code}`);
        assert.throws(
          () => codec.decode(fromHex(v.hex as string), v.options as DecodeOptions | undefined),
          (e: unknown) => {
            assert.ok(e instanceof ProtocolError, `expected ProtocolError, got ${String(e)}`);
            assert.equal(e.codeName, want.code);
            assert.equal(e.code, ErrorCode[want.code]);
            assert.equal(e.field, want.field);
            assert.ok(e.message.includes(`"${want.field}"`), `message does not name the field: ${e.message}`);
            return true;
          },
        );
      });
    }
  });

  it('the claim vector carries the proof vector signature', () => {
    const proof = valid.find(([f]) => f === 'address-claim-proof.json')![1];
    const claim = valid.find(([f]) => f === 'client-claim-skew-window.json')![1];
    const value = claim.value as { signature: string; peerKey: string; dests: string[] };
    const out = proof.output as { signature: string; peerKey: string };
    assert.equal(value.signature, out.signature);
    assert.equal(value.peerKey, out.peerKey);
    assert.deepEqual(value.dests, (proof.input as { dests: string[] }).dests);
  });
});
