export * from './errors.js';
export * from './bus.js';
export * from './in-process-bus.js';
export * from './nats-bus.js';
export * from './config.js';
export * from './logger.js';
