// The bench's API for wiring new rows (the Tacit rows): a System is a StartTarget plus a driver
// module; the factories turn it into rows; the registry lists them. See docs/benchmarks.md.
export type { Figures, RatioRef, RunContext, RunSettings, RunningTarget, Scenario, StartTarget, System } from './scenario.js';
export type { ConnectOptions, CreateDriver, DriverClient, DriverRef, DriverSender, LoadDriver } from './load/driver.js';
export { PAYLOAD_BYTES, decodePayload, encodePayload, type Stamp } from './load/payload.js';
export { idleRow, liveRow, offlineRow, type RowOptions, type Topology } from './scenarios/factories.js';
export { tacitScenarios, type TacitSystems } from './scenarios/tacit.js';
export { FIXED_ROWS, REF } from './rows.js';
export { allScenarios } from './registry.js';
export { LatencyRecorder, percentileSorted, percentiles, median, type LatencySummary } from './stats.js';
export { freePort, readCpuSeconds, readRssBytes, readTreeCpuSeconds, startNodeProcess, waitForHttp, type StartedProcess } from './proc.js';
