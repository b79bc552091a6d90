/**
 * `npm run bench -w @tacit/crypto`: ops/s of every primitive on both backends, about 10 s in all
 * (each cell runs for a fixed time budget; `--budget=<ms>` changes it, default 230).
 * @module
 */
import { blake3 } from './blake3.js';
import type { CryptoBackend } from './backend.js';
import { nobleBackend } from './noble.js';
import { nodeBackend } from './node.js';

const arg = process.argv.find((a) => a.startsWith('--budget='));
const BUDGET_MS = arg ? Math.min(5000, Math.max(10, Number(arg.slice(9)) || 230)) : 230;

// Runs `fn` for about `BUDGET_MS` after a short warm-up; returns operations per second.
function _opsPerSec(fn: () => unknown): number {
  const warmEnd = performance.now() + BUDGET_MS / 10;
  while (performance.now() < warmEnd) fn();
  let n = 0;
  const start = performance.now();
  const end = start + BUDGET_MS;
  let now = start;
  while (now < end && n < 10_000_000) {
    fn();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

type _Case = (b: CryptoBackend) => () => unknown;

const KiB = new Uint8Array(1024).fill(7);
const small = new Uint8Array(64).fill(9);
const big = new Uint8Array(16384).fill(3);

const cases: [string, _Case][] = [
  ['x25519 keygen', (b) => () => b.x25519.keygen()],
  [
    'x25519 shared (same key arrays)',
    (b) => {
      const [a, p] = [b.x25519.keygen(), b.x25519.keygen()];
      return () => b.x25519.getSharedSecret(a.secretKey, p.publicKey);
    },
  ],
  [
    'x25519 shared (fresh key arrays)',
    (b) => {
      const [a, p] = [b.x25519.keygen(), b.x25519.keygen()];
      return () => b.x25519.getSharedSecret(a.secretKey.slice(), p.publicKey.slice());
    },
  ],
  [
    'ed25519 sign 64 B',
    (b) => {
      const k = b.ed25519.keygen();
      return () => b.ed25519.sign(k.secretKey, small);
    },
  ],
  [
    'ed25519 verify 64 B',
    (b) => {
      const k = b.ed25519.keygen();
      const sig = b.ed25519.sign(k.secretKey, small);
      return () => b.ed25519.verify(k.publicKey, small, sig);
    },
  ],
  [
    'xeddsa sign 64 B',
    (b) => {
      const k = b.x25519.keygen();
      return () => b.xeddsa.sign(k.secretKey, small);
    },
  ],
  [
    'xeddsa verify 64 B',
    (b) => {
      const k = b.x25519.keygen();
      const sig = b.xeddsa.sign(k.secretKey, small);
      return () => b.xeddsa.verify(k.publicKey, small, sig);
    },
  ],
  ['sha-512 1 KiB', (b) => () => b.sha512(KiB)],
  ['aes-256-cbc encrypt 1 KiB', (b) => () => b.aes256cbc.encrypt(KiB.subarray(0, 32), KiB.subarray(0, 16), KiB)],
  [
    'aes-256-cbc decrypt 1 KiB',
    (b) => {
      const ct = b.aes256cbc.encrypt(KiB.subarray(0, 32), KiB.subarray(0, 16), KiB);
      return () => b.aes256cbc.decrypt(KiB.subarray(0, 32), KiB.subarray(0, 16), ct);
    },
  ],
  ['aes-256-gcm encrypt 64 B', (b) => () => b.aes256gcm.encrypt(KiB.subarray(0, 32), KiB.subarray(0, 12), small)],
  ['aes-256-gcm encrypt 16 KiB', (b) => () => b.aes256gcm.encrypt(KiB.subarray(0, 32), KiB.subarray(0, 12), big)],
  [
    'aes-256-gcm decrypt 1 KiB',
    (b) => {
      const ct = b.aes256gcm.encrypt(KiB.subarray(0, 32), KiB.subarray(0, 12), KiB);
      return () => b.aes256gcm.decrypt(KiB.subarray(0, 32), KiB.subarray(0, 12), ct);
    },
  ],
  ['hkdf-sha256 44 B', (b) => () => b.hkdfSha256(small.subarray(0, 32), small.subarray(0, 16), small.subarray(0, 20), 44)],
  ['hmac-sha256 1 KiB', (b) => () => b.hmacSha256(small.subarray(0, 32), KiB)],
  ['ml-kem-768 keygen', (b) => () => b.mlkem768.keygen()],
  [
    'ml-kem-768 encapsulate',
    (b) => {
      const k = b.mlkem768.keygen();
      return () => b.mlkem768.encapsulate(k.publicKey);
    },
  ],
  [
    'ml-kem-768 decapsulate',
    (b) => {
      const k = b.mlkem768.keygen();
      const { ciphertext } = b.mlkem768.encapsulate(k.publicKey);
      return () => b.mlkem768.decapsulate(k.secretKey, ciphertext);
    },
  ],
  [
    'ml-kem-1024 encapsulate',
    (b) => {
      const k = b.mlkem1024.keygen();
      return () => b.mlkem1024.encapsulate(k.publicKey);
    },
  ],
  [
    'ml-kem-1024 decapsulate',
    (b) => {
      const k = b.mlkem1024.keygen();
      const { ciphertext } = b.mlkem1024.encapsulate(k.publicKey);
      return () => b.mlkem1024.decapsulate(k.secretKey, ciphertext);
    },
  ],
  [
    'kyber-1024 encapsulate',
    (b) => {
      const k = b.kyber1024.keygen();
      return () => b.kyber1024.encapsulate(k.publicKey);
    },
  ],
  [
    'kyber-1024 decapsulate',
    (b) => {
      const k = b.kyber1024.keygen();
      const { ciphertext } = b.kyber1024.encapsulate(k.publicKey);
      return () => b.kyber1024.decapsulate(k.secretKey, ciphertext);
    },
  ],
  [
    'sealed box seal 1 KiB',
    (b) => {
      const r = b.x25519.keygen();
      return () => b.sealedBox.seal(r.publicKey, KiB);
    },
  ],
  [
    'sealed box open 1 KiB',
    (b) => {
      const r = b.x25519.keygen();
      const box = b.sealedBox.seal(r.publicKey, KiB);
      return () => b.sealedBox.open(r.secretKey, box);
    },
  ],
];

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const rows: string[][] = [['primitive', 'node ops/s', 'noble ops/s', 'node/noble']];
const started = performance.now();

// BLAKE3 has one implementation (noble) behind both backends.
const b3 = _opsPerSec(() => blake3(KiB));
rows.push(['blake3 1 KiB (noble in both)', fmt(b3), fmt(b3), '1.0x']);

for (const [name, make] of cases) {
  const node = _opsPerSec(make(nodeBackend));
  const noble = _opsPerSec(make(nobleBackend));
  rows.push([name, fmt(node), fmt(noble), `${(node / noble).toFixed(1)}x`]);
}

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
console.log(line(rows[0]!));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows.slice(1)) console.log(line(r));
console.log(`\nNode ${process.version}, budget ${BUDGET_MS} ms per cell, ${((performance.now() - started) / 1000).toFixed(1)} s total`);
