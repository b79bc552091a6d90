export * from './relay-client.js';
