/**
 * `@tacit/platform/testing`: spec helpers for services built on the platform (they import node:test,
 * so they are not in the main entry).
 * @module
 */
export { describeBusController, type BusControllerSuite, type SpecService } from './controller-suite.js';
