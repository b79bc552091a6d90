// Which rows exist, in the order they are printed. Reference rows (baseline, MeshWhisper, the
// libsignal session rows) are measured in every full run so every ratio compares figures from the
// same machine and minute.
import { REF, compareName } from './rows.js';
import type { RunSettings, Scenario, System } from './scenario.js';
import { idleRow, liveRow, offlineRow } from './scenarios/factories.js';
import { baselineSystem } from './targets/baseline.js';
import { meshWhisperSystem, startMeshWhisper } from './targets/meshwhisper.js';
import { directoryRow } from './scenarios/directory.js';
import { mediaScenarios } from './scenarios/media.js';
import { pushWakesRow } from './scenarios/push.js';
import { prekeyFetchRow } from './scenarios/prekey.js';
import { sessionScenarios } from './scenarios/session.js';
import { tacitScenarios } from './scenarios/tacit.js';
import { tacitReplicasSystem, tacitSingleSystem, tacitSystemsOf, type TacitMains } from './targets/tacit.js';

// Offline rows queue offlineMessages / offlinePairs packets per recipient; MeshWhisper drops the
// oldest past MAX_BLOBS_PER_HASH (default 500), so the cap is raised to exactly that many.
const meshWhisperOffline: System = {
  start: (ctx) =>
    startMeshWhisper(ctx, {
      MAX_BLOBS_PER_HASH: String(Math.ceil(ctx.settings.offlineMessages / ctx.settings.offlinePairs)),
    }),
  driver: meshWhisperSystem().driver,
};

/** Every implemented row, fresh instances, in print order (fixed rows first, then extras). */
export function allScenarios(): Scenario[] {
  return [
    liveRow({
      name: REF.baseline,
      description: 'minimal ws relay (register, forward, no persistence): the yardstick',
      system: baselineSystem,
    }),
    liveRow({
      name: REF.meshWhisper,
      description: 'MeshWhisper node 0.2.1, sender and receiver on one relay',
      system: meshWhisperSystem(),
      ratios: { toBaseline: { row: REF.baseline } },
    }),
    offlineRow({
      name: REF.meshWhisperOffline,
      description: 'MeshWhisper: K packets queued in SQLite for offline recipients, then drained on hello',
      system: meshWhisperOffline,
      primary: 'drain',
    }),
    idleRow({
      name: REF.baselineIdle,
      description: 'idle-connection harness against the baseline relay (sanity row)',
      system: baselineSystem,
    }),
    idleRow({
      name: REF.meshWhisperIdle,
      description: 'idle-connection harness against MeshWhisper (each client registered by hello)',
      system: meshWhisperSystem(),
      ratios: { toBaseline: { row: REF.baselineIdle, figure: 'bytesPerConnection' } },
    }),
    ...tacitScenarios({ single: tacitSingleSystem, replicas: tacitReplicasSystem }),
    prekeyFetchRow(),
    directoryRow('lookup'),
    directoryRow('register'),
    pushWakesRow(),
    ...mediaScenarios(),
    ...sessionScenarios(),
  ];
}

/** `s` under another name and description; everything else is `s`'s own. */
function renamed(s: Scenario, name: string, description: string): Scenario {
  return {
    name,
    description,
    ...(s.ratios ? { ratios: s.ratios } : {}),
    budgetMs: (settings) => s.budgetMs(settings),
    ...(s.estimateMs ? { estimateMs: (settings: RunSettings) => s.estimateMs!(settings) } : {}),
    setup: (ctx) => s.setup(ctx),
    run: (ctx) => s.run(ctx),
    teardown: (ctx) => s.teardown(ctx),
  };
}

/**
 * The Tacit rows among `names`, on the services of another build (`--compare`), as
 * `<row>@compare`: fresh instances, with the same references as the rows they stand beside.
 */
export function compareScenarios(mains: TacitMains, names: readonly string[]): Scenario[] {
  return tacitScenarios(tacitSystemsOf(mains))
    .filter((s) => names.includes(s.name))
    .map((s) => renamed(s, compareName(s.name), `${s.description} (the --compare build)`));
}
