export * from './blake3.js';
