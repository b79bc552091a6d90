/**
 * Test-only helpers: locate and read the shared vector files (Wycheproof, BLAKE3). Not exported
 * from the package entry points.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nobleBackend } from './noble.js';
import { nodeBackend } from './node.js';
import type { CryptoBackend } from './backend.js';

/** Both backends, each test runs against every one of them. */
export const _backends: readonly CryptoBackend[] = [nodeBackend, nobleBackend];

/**
 * `../shared/vectors` next to the repo root (the folder holding nx.json above this file), or
 * `TACIT_VECTORS_DIR` when set (CI lays the folders out the same way, so it rarely needs to be).
 */
export function _vectorsDir(): string {
  const fromEnv = process.env['TACIT_VECTORS_DIR'];
  if (fromEnv) return path.resolve(fromEnv);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 32; i++) {
    if (existsSync(path.join(dir, 'nx.json'))) return path.resolve(dir, '../shared/vectors');
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('no nx.json above this file: set TACIT_VECTORS_DIR');
}

/** Parsed JSON of `rel` inside the vectors folder. */
export function _readVectors<T>(rel: string): T {
  return JSON.parse(readFileSync(path.join(_vectorsDir(), rel), 'utf8')) as T;
}

/** Hex string to a plain Uint8Array. */
export function _h(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Bytes to hex, for assertion messages (test data only, never real secrets). */
export function _toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** A Wycheproof file: `numberOfTests` cases spread over groups. */
export interface _Wycheproof<G> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly G[];
}

/** Fields every Wycheproof case has. */
export interface _Case {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly result: 'valid' | 'invalid' | 'acceptable';
}

/** Runs `fn`, returning what it threw (or undefined). */
export function _thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}
