// Fuzz target: the parsers of what a peer sends the SDK's session layer, on arbitrary bytes; the
// first byte picks one: a SignalMessage, a PreKeySignalMessage, or a prekey bundle (decodeBundle,
// then the checks and signature verification a session start makes of it). Checks: the only error
// is SessionError, with a code the parser documents; what decodes encodes again to bytes that decode
// to the same fields.
import { nodeBackend } from '@tacit/crypto';
import { _verifyBundle, decodeBundle, encodeBundle, type PreKeyBundle } from '../session/bundle.js';
import { SessionError, type SessionErrorCode } from '../session/errors.js';
import {
  _decodePreKeySignalMessage,
  _decodeSignalMessage,
  _encodePreKeySignalMessage,
  _encodeSignalMessage,
  MESSAGE_TYPE_PREKEY,
} from '../session/messages.js';
import { expect, pair, sameBytes } from './_fuzz.js';

const _DECODE: ReadonlySet<SessionErrorCode> = new Set(['MALFORMED', 'BAD_VERSION', 'BAD_KEY']);
const _BUNDLE: ReadonlySet<SessionErrorCode> = new Set(['MALFORMED', 'BAD_KEY', 'BAD_SIGNATURE']);

function typed<T>(codes: ReadonlySet<SessionErrorCode>, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof SessionError)) throw err;
    expect(codes.has(err.code), `SessionError ${err.code} (${err.field}) where only ${[...codes].join(', ')} are documented`);
    return undefined;
  }
}

const _KEY = new Uint8Array(32).fill(9);

function sameBundle(a: PreKeyBundle, b: PreKeyBundle): boolean {
  return sameBytes(encodeBundle(a), encodeBundle(b));
}

export function fuzz(data: Uint8Array): void {
  if (data.length === 0) return;
  const body = data.subarray(1);
  switch (data[0]! % 3) {
    case 0: {
      const m = typed(_DECODE, () => _decodeSignalMessage(body));
      if (!m) return;
      const again = _decodeSignalMessage(_encodeSignalMessage(nodeBackend, m, _KEY, _KEY, _KEY));
      expect(
        sameBytes(again.ratchetKey, m.ratchetKey) && again.counter === m.counter && again.previousCounter === m.previousCounter && sameBytes(again.ciphertext, m.ciphertext),
        'a SignalMessage does not survive encoding',
      );
      return;
    }
    case 1: {
      const m = typed(_DECODE, () => _decodePreKeySignalMessage(body));
      if (!m) return;
      const inner = new Uint8Array(m.message.macInput.length + m.message.mac.length);
      inner.set(m.message.macInput);
      inner.set(m.message.mac, m.message.macInput.length);
      const kyberCiphertext = Uint8Array.of(m.kyberType === 'kyber1024' ? 0x08 : 0x0a, ...m.kyberCiphertext);
      const again = _decodePreKeySignalMessage(_encodePreKeySignalMessage({ ...m, kyberCiphertext, message: inner }));
      expect(
        again.registrationId === m.registrationId &&
          again.preKeyId === m.preKeyId &&
          again.signedPreKeyId === m.signedPreKeyId &&
          again.kyberPreKeyId === m.kyberPreKeyId &&
          again.kyberType === m.kyberType &&
          sameBytes(again.kyberCiphertext, m.kyberCiphertext) &&
          sameBytes(again.baseKey, m.baseKey) &&
          sameBytes(again.identityKey, m.identityKey) &&
          sameBytes(again.message.macInput, m.message.macInput),
        'a PreKeySignalMessage does not survive encoding',
      );
      return;
    }
    default: {
      const b = typed(_BUNDLE, () => decodeBundle(body));
      if (!b) return;
      expect(sameBundle(decodeBundle(encodeBundle(b)), b), 'a bundle does not survive encoding');
      typed(_BUNDLE, () => _verifyBundle(nodeBackend, b));
    }
  }
}

/** Real messages of a session (the prekey message and a ratchet message) and a real bundle. */
export async function seeds(): Promise<Uint8Array[]> {
  const { bob, sent } = await pair();
  await bob.generatePreKeys(1, 1);
  const bundle = encodeBundle(await bob.bundle({ oneTime: true }));
  const tag = (t: number, b: Uint8Array) => Uint8Array.of(t, ...b);
  return [
    tag(0, sent[1]!.body),
    tag(1, sent[0]!.body),
    tag(2, bundle),
    ...sent.filter((m) => m.type === MESSAGE_TYPE_PREKEY).map((m) => tag(0, m.body)),
  ];
}
