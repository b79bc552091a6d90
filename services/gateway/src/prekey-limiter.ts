// The endpoint limiter's first name, when only the prekey endpoints had one. Kept so specs and
// callers written against it run unchanged; new code names EndpointLimiter.
export { EndpointLimiter as PrekeyLimiter, type LimitAnswer } from './endpoint-limiter.js';
