import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { settingsFor } from './cli.js';
import { THIS_ROOT, buildInfo, compareMains } from './compare.js';
import { compareScenarios } from './registry.js';
import { THIS_BUILD, tacitMains } from './targets/tacit.js';

const settingsLike = settingsFor({ quick: true, durationSec: null });
const tmp = mkdtempSync(join(os.tmpdir(), 'tacit-bench-compare-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const touch = (path: string): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
};

describe(compareMains.name, () => {
  it('accepts a checkout with every service built, relative to the working folder', () => {
    const root = join(tmp, 'built');
    for (const p of Object.values(tacitMains(root))) touch(p);
    assert.deepEqual(compareMains('built', tmp), { root, mains: tacitMains(root) });
    assert.deepEqual(compareMains(root).mains.node, join(root, 'services/node/dist/main.js'));
  });

  it('refuses a checkout that was not built, naming each main it lacks', () => {
    const root = join(tmp, 'unbuilt');
    mkdirSync(root);
    assert.throws(() => compareMains(root), {
      name: 'RangeError',
      message:
        `"--compare" expected a built checkout (run \`npm ci && npm run build\` in it), got ${root}: ` +
        'missing services/node/dist/main.js, services/gateway/dist/main.js, services/queue/dist/main.js',
    });
    touch(tacitMains(root).node);
    touch(tacitMains(root).queue);
    assert.throws(() => compareMains(root), /: missing services\/gateway\/dist\/main\.js$/);
  });

  it('refuses a path that is not a folder', () => {
    assert.throws(() => compareMains(join(tmp, 'nowhere')), {
      name: 'RangeError',
      message: `"--compare" expected a folder holding a checkout of this repository, got ${join(tmp, 'nowhere')} (no such folder)`,
    });
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    assert.throws(() => compareMains(file), /expected a folder .*, got .*a-file \(not a folder\)$/);
  });

  it('accepts this checkout itself (an A/A run), which is built', () => {
    assert.deepEqual(compareMains(THIS_ROOT).mains, THIS_BUILD);
  });
});

describe(buildInfo.name, () => {
  it('names the commit of a git checkout, and nothing for a folder outside git', () => {
    const here = buildInfo(THIS_ROOT);
    assert.match(here.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(typeof here.dirty, 'boolean');
    assert.deepEqual(buildInfo(tmp), { root: tmp, commit: null, dirty: null });
  });
});

describe(compareScenarios.name, () => {
  it('makes a <row>@compare twin of each Tacit row asked for, with the same references', () => {
    const twins = compareScenarios(THIS_BUILD, ['baseline-ws', 'tacit-drain', 'tacit-same-gateway']);
    assert.deepEqual(twins.map((s) => s.name).sort(), ['tacit-drain@compare', 'tacit-same-gateway@compare']);
    const drain = twins.find((s) => s.name === 'tacit-drain@compare')!;
    assert.deepEqual(drain.ratios, { toMeshWhisper: { row: 'meshwhisper-offline-drain' } });
    assert.match(drain.description, /the --compare build/);
    assert.ok(drain.estimateMs!(settingsLike) > 0 && drain.budgetMs(settingsLike) > 0);
    assert.deepEqual(compareScenarios(THIS_BUILD, ['baseline-ws']), []);
  });
});
