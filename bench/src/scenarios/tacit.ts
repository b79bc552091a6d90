// The five Tacit rows, ready to register once the gateway exists: give them how to start a node
// (one gateway) and a set of >= 2 gateway replicas, and the Tacit driver module. Ratios point at
// the reference rows of the same run.
import { REF } from '../rows.js';
import type { Scenario, System } from '../scenario.js';
import { idleRow, liveRow, offlineRow } from './factories.js';

/** How to start Tacit for the bench. */
export interface TacitSystems {
  /** One gateway (the `npm start` node, or a cluster with one replica). */
  single: System;
  /** Two or more gateway replicas sharing a bus; RunningTarget.urls holds one URL per replica. */
  replicas: System;
}

/** Sends in flight per sender in `tacit-enqueue-deep`. */
export const DEEP_WINDOW = 64;

/** tacit-same-gateway, tacit-cross-replica, tacit-enqueue, tacit-enqueue-deep, tacit-drain, tacit-idle-connections. */
export function tacitScenarios(t: TacitSystems): Scenario[] {
  const live = { toBaseline: { row: REF.baseline }, toMeshWhisper: { row: REF.meshWhisper } };
  return [
    liveRow({ name: 'tacit-same-gateway', description: 'Tacit, sender and receiver on one gateway', system: t.single, ratios: live }),
    liveRow({
      name: 'tacit-cross-replica',
      description: 'Tacit, sender and receiver on different gateway replicas',
      system: t.replicas,
      topology: 'cross',
      ratios: live,
    }),
    // The same store with 64 sends in flight per sender (1 024 in all) instead of 16: the rate at
    // which the relay makes packets durable when senders keep enough in flight to fill its group
    // commits. With 16, tacit-enqueue measures the round trip (every ACCEPTED waits for a commit:
    // 256 in flight / ~10 ms), not the store. MeshWhisper's senders have no window at all (its
    // relay confirms nothing: every packet is sent at once), so its enqueue is compared here too.
    // Listed before tacit-enqueue: of the three rows divided by MeshWhisper's offline row, the plan
    // (plan.ts) puts tacit-enqueue and tacit-drain right beside it and this one a row away.
    offlineRow({
      name: 'tacit-enqueue-deep',
      description: 'Tacit, recipients offline, 64 sends in flight per sender: accepted (acked) sends per second',
      system: t.single,
      primary: 'enqueue',
      window: DEEP_WINDOW,
      ratios: { toMeshWhisper: { row: REF.meshWhisperOffline, figure: 'enqueueMsgsPerSec', ownFigure: 'msgsPerSec' } },
    }),
    offlineRow({
      name: 'tacit-enqueue',
      description: 'Tacit, recipients offline: accepted (acked) sends per second',
      system: t.single,
      primary: 'enqueue',
      ratios: { toMeshWhisper: { row: REF.meshWhisperOffline, figure: 'enqueueMsgsPerSec', ownFigure: 'msgsPerSec' } },
    }),
    offlineRow({
      name: 'tacit-drain',
      description: 'Tacit, recipients reconnect: queued packets delivered and acked per second',
      system: t.single,
      primary: 'drain',
      ratios: { toMeshWhisper: { row: REF.meshWhisperOffline } },
    }),
    idleRow({
      name: 'tacit-idle-connections',
      description: 'Tacit gateway: idle connections with a claimed mailbox each',
      system: t.single,
      ratios: {
        toBaseline: { row: REF.baselineIdle, figure: 'bytesPerConnection' },
        toMeshWhisper: { row: REF.meshWhisperIdle, figure: 'bytesPerConnection' },
      },
    }),
  ];
}
