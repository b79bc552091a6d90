/**
 * Test helper, not exported: runs a long two-party conversation with out-of-order delivery across
 * many ratchet steps and checks that every message arrives once, intact. Parties are anything with
 * `encrypt` and `decrypt` (a `SessionManager`, a libsignal client).
 * @module
 */
import type { CiphertextMessage } from './messages.js';

/** One side of a conversation. */
export interface _Party {
  readonly name: string;
  encrypt(peer: string, plaintext: Uint8Array): Promise<CiphertextMessage>;
  decrypt(peer: string, message: CiphertextMessage): Promise<Uint8Array>;
}

/** Small seeded PRNG (mulberry32), so a failing schedule can be replayed from its seed. */
export function _rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const _enc = new TextEncoder();

/**
 * `a` (who already holds a session with `b`) and `b` take turns; each turn one side sends 1..25
 * messages of 0..1100 bytes, delivered shuffled, about one in eight held back and delivered only
 * after the other side's next turn (so it arrives on an older chain, after a ratchet step).
 * Stops when each side has sent `perSide`. Throws on the first wrong, missing or repeated message.
 */
export async function _converse(a: _Party, b: _Party, perSide: number, seed: number): Promise<{ turns: number }> {
  const rnd = _rng(seed);
  const sent = new Map<string, number>([
    [a.name, 0],
    [b.name, 0],
  ]);
  const got = new Map<string, Set<number>>([
    [a.name, new Set()],
    [b.name, new Set()],
  ]);
  let held: { to: _Party; from: _Party; n: number; m: CiphertextMessage; pt: Uint8Array }[] = [];
  const deliver = async (to: _Party, from: _Party, n: number, m: CiphertextMessage, pt: Uint8Array) => {
    const out = await to.decrypt(from.name, m);
    if (out.length !== pt.length || out.some((x, i) => x !== pt[i])) throw new Error(`${from.name}->${to.name} #${n}: wrong plaintext`);
    const seen = got.get(to.name)!;
    if (seen.has(n)) throw new Error(`${from.name}->${to.name} #${n}: delivered twice`);
    seen.add(n);
  };
  let turns = 0;
  let [from, to] = [a, b];
  while (sent.get(a.name)! < perSide || sent.get(b.name)! < perSide) {
    const batch: { n: number; m: CiphertextMessage; pt: Uint8Array }[] = [];
    const count = Math.min(1 + Math.floor(rnd() * 25), perSide - sent.get(from.name)!);
    for (let i = 0; i < count; i++) {
      const n = sent.get(from.name)!;
      sent.set(from.name, n + 1);
      const pt = new Uint8Array(Math.floor(rnd() * 1100));
      pt.set(_enc.encode(`${from.name}->${to.name} #${n}`).subarray(0, pt.length));
      batch.push({ n, m: await from.encrypt(to.name, pt), pt });
    }
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [batch[i], batch[j]] = [batch[j]!, batch[i]!];
    }
    // Messages held back last turn arrive now, after the turn that ratcheted past them.
    const late = held;
    held = [];
    for (const x of batch) {
      if (rnd() < 0.125) held.push({ to, from, ...x });
      else await deliver(to, from, x.n, x.m, x.pt);
    }
    for (const x of late) await deliver(x.to, x.from, x.n, x.m, x.pt);
    turns++;
    [from, to] = [to, from];
  }
  for (const x of held) await deliver(x.to, x.from, x.n, x.m, x.pt);
  for (const p of [a, b]) {
    const other = p === a ? b : a;
    if (got.get(p.name)!.size !== sent.get(other.name)) throw new Error(`${p.name} got ${got.get(p.name)!.size} of ${sent.get(other.name)}`);
  }
  return { turns };
}
