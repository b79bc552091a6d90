/**
 * `@tacit/sdk/node`: what only runs on Node (the file store). Everything else is in `@tacit/sdk`.
 * @module
 */
export { FileStore } from './session/file-store.js';
