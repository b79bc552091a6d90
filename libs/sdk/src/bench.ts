/**
 * `npm run bench -w @tacit/sdk`: the session layer against libsignal's native module
 * (`@signalapp/libsignal-client` 0.90.0, devDependency) doing the same work in the same process,
 * both with in-memory stores that keep serialized records (as an app's store would):
 *
 * - PQXDH session start: the initiator verifies a bundle (two XEdDSA signatures) and runs PQXDH
 *   (Kyber-1024, no one-time prekey), encrypts a 1 KiB first message; the responder decrypts it
 *   (PQXDH on its side). One start = both halves.
 * - Ratchet, one way: 1 KiB messages encrypted by one side, decrypted by the other, in order.
 * - Ratchet, alternating: the same, the direction flipping every message (a DH ratchet step each).
 *
 * Each cell runs in three slices interleaved with the others (the machine is shared, so load
 * changes hit all columns alike); `--budget=<ms>` sets the time per cell (default 3000).
 * @module
 */
import { nobleBackend, nodeBackend, type CryptoBackend } from '@tacit/crypto';
import { _LibsignalPeer } from './session/_libsignal-peer.js';
import type { PreKeyBundle } from './session/bundle.js';
import type { CiphertextMessage } from './session/messages.js';
import { SessionManager } from './session/session-manager.js';
import { MemoryStore } from './session/store.js';

const arg = process.argv.find((a) => a.startsWith('--budget='));
const BUDGET_MS = arg ? Math.min(60_000, Math.max(300, Number(arg.slice(9)) || 3000)) : 3000;
const SLICES = 3;
const NS = new Uint8Array(32).fill(1);
const KiB = new Uint8Array(1024).fill(0x61);

/** One side of the bench: what both implementations are asked to do. */
interface _Side {
  startSession(peer: string, bundle: PreKeyBundle): Promise<void>;
  encrypt(peer: string, pt: Uint8Array): Promise<CiphertextMessage>;
  decrypt(peer: string, m: CiphertextMessage): Promise<Uint8Array>;
  bundle(): Promise<PreKeyBundle>;
}

async function tacit(backend: CryptoBackend): Promise<_Side> {
  const sut = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS, backend, kem: 'kyber1024' });
  return {
    startSession: (peer, b) => sut.startSession(peer, b),
    encrypt: (peer, pt) => sut.encrypt(peer, pt),
    async decrypt(peer, m) {
      const r = await sut.decrypt(peer, m);
      await sut.acknowledge(r.id);
      return r.plaintext;
    },
    bundle: () => sut.bundle(),
  };
}

async function libsignal(): Promise<_Side> {
  const lib = new _LibsignalPeer();
  const bundle = await lib.bundle(false);
  return {
    startSession: (peer, b) => lib.startSession(peer, b),
    encrypt: (peer, pt) => lib.encrypt(peer, pt),
    decrypt: (peer, m) => lib.decrypt(peer, m),
    bundle: () => Promise.resolve(bundle),
  };
}

type _Impl = { name: string; make: () => Promise<_Side> };
const impls: _Impl[] = [
  { name: 'tacit node', make: () => tacit(nodeBackend) },
  { name: 'tacit noble', make: () => tacit(nobleBackend) },
  { name: 'libsignal', make: libsignal },
];

/** A workload: set up two parties, then `step()` does one unit of work. */
type _Work = (a: _Side, b: _Side) => Promise<() => Promise<void>>;

const starts: _Work = async (a, b) => {
  const bundle = await b.bundle();
  let i = 0;
  return async () => {
    const peer = `b${i}`;
    const from = `a${i++}`;
    await a.startSession(peer, bundle);
    await b.decrypt(from, await a.encrypt(peer, KiB));
  };
};

async function connected(a: _Side, b: _Side): Promise<void> {
  await a.startSession('b', await b.bundle());
  await b.decrypt('a', await a.encrypt('b', KiB));
  await a.decrypt('b', await b.encrypt('a', KiB));
}

const oneWay: _Work = async (a, b) => {
  await connected(a, b);
  return async () => {
    await b.decrypt('a', await a.encrypt('b', KiB));
  };
};

const alternating: _Work = async (a, b) => {
  await connected(a, b);
  let flip = false;
  return async () => {
    flip = !flip;
    if (flip) await b.decrypt('a', await a.encrypt('b', KiB));
    else await a.decrypt('b', await b.encrypt('a', KiB));
  };
};

const rows: [string, _Work][] = [
  ['PQXDH session start (both sides)', starts],
  ['ratchet 1 KiB, one way (enc+dec)', oneWay],
  ['ratchet 1 KiB, alternating (enc+dec)', alternating],
];

async function measure(step: () => Promise<void>, ms: number): Promise<{ n: number; t: number }> {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end && n < 5_000_000) {
    await step();
    n++;
    now = performance.now();
  }
  return { n, t: now - start };
}

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const table: string[][] = [['work', ...impls.map((i) => `${i.name} /s`), 'node ÷ libsignal', 'noble ÷ libsignal']];
const started = performance.now();

for (const [name, work] of rows) {
  const steps: (() => Promise<void>)[] = [];
  for (const impl of impls) {
    const [a, b] = [await impl.make(), await impl.make()];
    const step = await work(a, b);
    await measure(step, Math.min(300, BUDGET_MS / 10)); // warm-up
    steps.push(step);
  }
  const totals = impls.map(() => ({ n: 0, t: 0 }));
  for (let s = 0; s < SLICES; s++)
    for (let i = 0; i < impls.length; i++) {
      const r = await measure(steps[i]!, BUDGET_MS / SLICES);
      totals[i]!.n += r.n;
      totals[i]!.t += r.t;
    }
  const rate = totals.map((x) => (x.n * 1000) / x.t);
  const lib = rate[2]!;
  table.push([name, ...rate.map(fmt), `${(rate[0]! / lib).toFixed(2)}×`, `${(rate[1]! / lib).toFixed(2)}×`]);
}

const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
console.log(line(table[0]!));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of table.slice(1)) console.log(line(r));
console.log(
  `\nNode ${process.version}, libsignal-client 0.90.0 (native), ${BUDGET_MS} ms per cell in ${SLICES} slices, ${((performance.now() - started) / 1000).toFixed(1)} s total`,
);
