// What the fuzz targets of this package share. A target throws for a finding and for nothing else:
// jazzer.js (fuzz/run.mjs) treats any exception as a crash and keeps the input.
import { MemoryStore } from '../session/store.js';
import { SessionManager } from '../session/session-manager.js';
import type { CiphertextMessage } from '../session/messages.js';

/** A property the code under test broke (as opposed to an exception it threw itself). */
export class FuzzFinding extends Error {
  override readonly name = 'FuzzFinding';
}

/** Throws a {@link FuzzFinding} unless `ok`. */
export function expect(ok: boolean, what: string): asserts ok {
  if (!ok) throw new FuzzFinding(what);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Alice and Bob, each with a session to the other: Bob has read Alice's first message and answered. */
export async function pair(): Promise<{ alice: SessionManager; bob: SessionManager; sent: CiphertextMessage[] }> {
  const namespaceId = new Uint8Array(32).fill(3);
  const alice = await SessionManager.open({ store: new MemoryStore(), namespaceId });
  const bob = await SessionManager.open({ store: new MemoryStore(), namespaceId });
  await bob.generatePreKeys(4, 4);
  await alice.startSession('bob', await bob.bundle({ oneTime: true }));
  const enc = new TextEncoder();
  const first = await alice.encrypt('bob', enc.encode('hello'));
  await bob.decrypt('alice', first);
  await alice.decrypt('bob', await bob.encrypt('alice', enc.encode('hi')));
  const later = await alice.encrypt('bob', enc.encode('how are you'));
  return { alice, bob, sent: [first, later] };
}
