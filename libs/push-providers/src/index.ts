// @tacit/push-providers: senders of content-free wakes to APNs, FCM and Web Push behind one contract.
// (Placeholder entry point so services/push builds against the contract; the providers' own work
// replaces this file.)
export type { WakeOutcome, WakeProvider, WakeSender, WakeTarget } from './sender.js';
