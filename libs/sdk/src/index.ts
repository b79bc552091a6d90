export * from './relay-client.js';
export * from './session/index.js';
export * from './messenger/index.js';
export * from './push.js';
export * from './media/index.js';
