// An unacked delivery of a ClientConnection, kept apart so the connection reads in one screen.
import type { QueueAckRef } from '@tacit/queue-client';
import { keyBytes } from './keys.js';

/**
 * A delivery handed to a connection and not yet acked by the client. Queued: the reference its
 * ack hands to the queue (mailbox, expiry day and seq its drain reported; the packet id is made from
 * the key when the ack is packed, so an unacked delivery holds no view of it); live: zero mailbox,
 * day 0, seq 0. It lives until the client acks, often across collections: small on purpose.
 */
export class PendingDelivery implements QueueAckRef {
  constructor(
    readonly key: string,
    /** Live: resolves the sender's wait; queued: undefined (the ack deletes from the queue). */
    public resolve: ((acked: boolean) => void) | undefined,
    public timer: NodeJS.Timeout | undefined,
    public mailboxId: Uint8Array,
    public expiryDay: number,
    /** A hint for the queue's range delete (a number: exact below 2^53, and never trusted). */
    public seq: number,
    /** When it was handed out (ms since the connection module's epoch). */
    readonly at: number,
  ) {}

  get packetId(): Uint8Array {
    return keyBytes(this.key);
  }
}

/** What an idle connection reports as its unacked deliveries: one shared empty map. */
export const NO_PENDING: ReadonlyMap<string, PendingDelivery> = new Map();
