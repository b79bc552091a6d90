export * from './errors.js';
export * from './bus.js';
export * from './in-process-bus.js';
export * from './nats-bus.js';
export * from './config.js';
export * from './logger.js';
export * from './metrics.js';
export * from './tracing.js';
