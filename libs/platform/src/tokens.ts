// Injection tokens of what the shell gives every service module. Symbols: a service cannot ask for
// one by a string that another package happens to use too.

/** The kit `Bus` (NatsBus in the cluster, InProcessBus in the node). */
export const BUS = Symbol('tacit.bus');
/** The kit `Logger` of the service (pino underneath). */
export const LOGGER = Symbol('tacit.logger');
/** The kit `Metrics` of the process (one prom-client registry, served on /metrics). */
export const METRICS = Symbol('tacit.metrics');
/** The kit `HealthRegistry` behind /readyz and /healthz. */
export const HEALTH = Symbol('tacit.health');
/** The validated settings of the process (every service's schema, merged). */
export const SETTINGS = Symbol('tacit.settings');
