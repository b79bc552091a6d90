// Fuzz target: SessionManager.decrypt, what the SDK does with every message a peer sends, on
// arbitrary messages from a peer it holds a session with. The first byte picks the type (even:
// ratchet message, odd: prekey message); the rest is the body. Checks: decrypt rejects with
// SessionError only (or decrypts, for a message that really is one); and, because a refused message
// stores nothing, the peer's next real message still decrypts (checked every 64 inputs, and after
// any input that decrypted).
import { SessionError } from '../session/errors.js';
import { MESSAGE_TYPE_PREKEY, MESSAGE_TYPE_WHISPER } from '../session/messages.js';
import { expect, pair, sameBytes } from './_fuzz.js';

const { alice, bob, sent } = await pair();
const enc = new TextEncoder();
let inputs = 0;

async function stillTalking(): Promise<void> {
  const text = enc.encode(`still there ${inputs}`);
  const m = await alice.encrypt('bob', text);
  const got = await bob.decrypt('alice', m);
  expect(sameBytes(got.plaintext, text), 'a real message decrypted to something else');
  await bob.acknowledge(got.id);
}

export async function fuzz(data: Uint8Array): Promise<void> {
  if (data.length === 0) return;
  const type = (data[0]! & 1) === 0 ? MESSAGE_TYPE_WHISPER : MESSAGE_TYPE_PREKEY;
  let decrypted = false;
  try {
    const got = await bob.decrypt('alice', { type, body: data.slice(1) });
    await bob.acknowledge(got.id);
    decrypted = true;
  } catch (err) {
    if (!(err instanceof SessionError)) throw err;
  }
  if (decrypted || ++inputs % 64 === 0) await stillTalking();
}

/** Alice's messages: her prekey message (already read: a repeat) and one Bob has not read yet. */
export function seeds(): Uint8Array[] {
  return sent.map((m) => Uint8Array.of(m.type === MESSAGE_TYPE_PREKEY ? 1 : 0, ...m.body));
}
