/**
 * `@tacit/sdk/_bench-work`, internal: the work both benches time, Tacit's session layer against
 * libsignal's native module doing the same thing (`npm run bench -w @tacit/sdk` interleaves them in
 * one process; `npm run bench` runs each as a row of its own). Importing it loads
 * `@signalapp/libsignal-client`, an AGPL devDependency: no app should import this entry.
 *
 * Both sides use in-memory stores that keep serialized records, as an app's store would:
 *
 * - `session-start`: the initiator verifies a bundle (two XEdDSA signatures) and runs PQXDH
 *   (Kyber-1024, no one-time prekey), encrypts a 1 KiB first message; the responder decrypts it
 *   (PQXDH on its side). One step = both halves.
 * - `ratchet`: 1 KiB messages encrypted by one side, decrypted by the other, in order.
 * - `ratchet-alternating`: the same, the direction flipping every message (a DH ratchet step each).
 * @module
 */
import { nobleBackend, nodeBackend, type CryptoBackend } from '@tacit/crypto';
import { _LibsignalPeer } from './session/_libsignal-peer.js';
import type { PreKeyBundle } from './session/bundle.js';
import type { CiphertextMessage } from './session/messages.js';
import { SessionManager } from './session/session-manager.js';
import { MemoryStore } from './session/store.js';

const NS = new Uint8Array(32).fill(1);

/** The plaintext of every message: 1 KiB. */
export const BENCH_PLAINTEXT: Uint8Array = new Uint8Array(1024).fill(0x61);

/** One party: what both implementations are asked to do. */
export interface BenchSide {
  startSession(peer: string, bundle: PreKeyBundle): Promise<void>;
  encrypt(peer: string, pt: Uint8Array): Promise<CiphertextMessage>;
  decrypt(peer: string, m: CiphertextMessage): Promise<Uint8Array>;
  bundle(): Promise<PreKeyBundle>;
}

async function _tacit(backend: CryptoBackend): Promise<BenchSide> {
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

async function _libsignal(): Promise<BenchSide> {
  const lib = new _LibsignalPeer();
  const bundle = await lib.bundle(false);
  return {
    startSession: (peer, b) => lib.startSession(peer, b),
    encrypt: (peer, pt) => lib.encrypt(peer, pt),
    decrypt: (peer, m) => lib.decrypt(peer, m),
    bundle: () => Promise.resolve(bundle),
  };
}

/** The implementations, by name: Tacit on node:crypto, Tacit on @noble, libsignal 0.90 (native). */
export const BENCH_IMPLS = {
  'tacit-node': () => _tacit(nodeBackend),
  'tacit-noble': () => _tacit(nobleBackend),
  libsignal: _libsignal,
} as const satisfies Record<string, () => Promise<BenchSide>>;

/** An implementation's name. */
export type BenchImpl = keyof typeof BENCH_IMPLS;

/** A workload: sets up two parties, then each call of the step it returns does one unit of work. */
export type BenchWork = (a: BenchSide, b: BenchSide) => Promise<() => Promise<void>>;

const _starts: BenchWork = async (a, b) => {
  const bundle = await b.bundle();
  let i = 0;
  return async () => {
    const peer = `b${i}`;
    const from = `a${i++}`;
    await a.startSession(peer, bundle);
    await b.decrypt(from, await a.encrypt(peer, BENCH_PLAINTEXT));
  };
};

async function _connected(a: BenchSide, b: BenchSide): Promise<void> {
  await a.startSession('b', await b.bundle());
  await b.decrypt('a', await a.encrypt('b', BENCH_PLAINTEXT));
  await a.decrypt('b', await b.encrypt('a', BENCH_PLAINTEXT));
}

const _oneWay: BenchWork = async (a, b) => {
  await _connected(a, b);
  return async () => {
    await b.decrypt('a', await a.encrypt('b', BENCH_PLAINTEXT));
  };
};

const _alternating: BenchWork = async (a, b) => {
  await _connected(a, b);
  let flip = false;
  return async () => {
    flip = !flip;
    if (flip) await b.decrypt('a', await a.encrypt('b', BENCH_PLAINTEXT));
    else await a.decrypt('b', await b.encrypt('a', BENCH_PLAINTEXT));
  };
};

/** The workloads, by name, with a one-line label each. */
export const BENCH_WORKS = {
  'session-start': { label: 'PQXDH session start (both sides)', work: _starts },
  ratchet: { label: 'ratchet 1 KiB, one way (enc+dec)', work: _oneWay },
  'ratchet-alternating': { label: 'ratchet 1 KiB, alternating (enc+dec)', work: _alternating },
} as const satisfies Record<string, { label: string; work: BenchWork }>;

/** A workload's name. */
export type BenchWorkName = keyof typeof BENCH_WORKS;

/** Two fresh parties of `impl`, set up for `work`; returns the step that does one unit of it. */
export async function benchStep(impl: BenchImpl, work: BenchWorkName): Promise<() => Promise<void>> {
  const make = BENCH_IMPLS[impl];
  const [a, b] = [await make(), await make()];
  return BENCH_WORKS[work].work(a, b);
}

/** Calls `step` one after another for `ms` (at most 5 000 000 times); steps done and elapsed ms. */
export async function benchMeasure(step: () => Promise<void>, ms: number): Promise<{ n: number; t: number }> {
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
