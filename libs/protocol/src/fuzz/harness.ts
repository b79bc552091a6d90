// The fuzz targets' spec, shared by every package that has targets (one copy instead of five): each
// target over its seeds, the inputs kept from crashes it once found (src/fuzz/regressions/<target>/,
// so a fixed crash stays fixed), and a bounded number of random mutations of those (a seeded PRNG: a
// failure replays). fuzz/run.mjs is the coverage-guided run; this only shows the targets work and
// hold. Test-only: exported as @tacit/protocol/fuzz-harness.js, imported by specs, never by a service.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/** A fuzz target module: `fuzz` throws only on a finding; `seeds` are its starting inputs. */
export interface FuzzTarget {
  fuzz(data: Uint8Array): void | Promise<void>;
  seeds(): Uint8Array[] | Promise<Uint8Array[]>;
}

const MUTATIONS = 2000;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One to four random edits: flip a byte, cut the end, insert or delete a run, swap in a length-like value. */
function mutate(input: Uint8Array, r: () => number): Uint8Array {
  let out = Uint8Array.from(input);
  const pick = (n: number) => Math.floor(r() * n);
  for (let k = 1 + pick(4); k > 0; k--) {
    const at = pick(out.length + 1);
    switch (pick(5)) {
      case 0:
        if (out.length) out[Math.min(at, out.length - 1)] = pick(256);
        break;
      case 1:
        out = out.slice(0, at);
        break;
      case 2:
        out = Uint8Array.from([...out.subarray(0, at), ...Array.from({ length: 1 + pick(8) }, () => pick(256)), ...out.subarray(at)]);
        break;
      case 3:
        out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(Math.min(out.length, at + 1 + pick(16)))]);
        break;
      default:
        if (out.length >= 4) new DataView(out.buffer).setUint32(Math.min(at, out.length - 4), [0, 1, 255, 256, 65_535, 0x7fff_ffff, 0xffff_ffff][pick(7)]!);
    }
  }
  return out;
}

function kept(regressions: URL, name: string): Uint8Array[] {
  const dir = new URL(`${name}/`, regressions);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => new Uint8Array(readFileSync(new URL(f, dir))));
}

/**
 * The spec every package with fuzz targets runs in `npm test` (its `src/fuzz/fuzz-targets.spec.ts`):
 * each target over its seeds, the crash inputs kept in `regressions/<target>/` (a folder URL), and
 * MUTATIONS seeded mutations of them.
 */
export function fuzzTargetsSpec(targets: Record<string, FuzzTarget>, regressions: URL): void {
  describe('fuzz targets (seeds, kept crash inputs, random mutations)', () => {
    for (const [name, target] of Object.entries(targets)) {
      it(`${name}: holds on its seeds, the inputs it once crashed on and ${MUTATIONS} mutations of them`, async () => {
        const seeds = await target.seeds();
        assert.ok(seeds.length > 0, 'a target without seeds');
        const inputs = [...seeds, ...kept(regressions, name)];
        for (const input of inputs) await target.fuzz(Uint8Array.from(input));
        const r = rng(0x5eed);
        for (let i = 0; i < MUTATIONS; i++) {
          const input = mutate(inputs[Math.floor(r() * inputs.length)]!, r);
          try {
            await target.fuzz(input);
          } catch (err) {
            assert.fail(`${name} failed on mutation ${i} (${Buffer.from(input).toString('hex').slice(0, 200)}): ${String(err)}`);
          }
        }
      });
    }
  });
}
