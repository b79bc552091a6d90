/** Mailboxes whose replica this one remembers (the oldest learned is forgotten first). */
export const ROUTES_MAX = 65_536;

/**
 * Mailbox → the replica that last answered for it (learned from MailboxEventReply.replica), so the
 * mailbox's next packets go to that replica directly. Bounded: the oldest route learned goes first.
 */
export class RouteTable {
  private readonly routes = new Map<string, string>();
  /** How many routes name each replica. */
  private readonly counts = new Map<string, number>();

  constructor(private readonly max = ROUTES_MAX) {}

  get size(): number {
    return this.routes.size;
  }

  /** The replica holding the mailbox, as last learned. */
  get(key: string): string | undefined {
    return this.routes.get(key);
  }

  learn(key: string, replica: string): void {
    if (this.routes.get(key) === replica) return;
    this.drop(key);
    if (this.routes.size >= this.max) this.drop(this.routes.keys().next().value!);
    this.routes.set(key, replica);
    this.counts.set(replica, (this.counts.get(replica) ?? 0) + 1);
  }

  drop(key: string): void {
    const replica = this.routes.get(key);
    if (replica === undefined) return;
    this.routes.delete(key);
    const left = this.counts.get(replica)! - 1;
    if (left === 0) this.counts.delete(replica);
    else this.counts.set(replica, left);
  }

  /**
   * Forgets every mailbox routed to `replica` (it is gone, or failed to answer). A replica with no
   * routes left costs nothing: its other failing batches, arriving after the first, scan nothing.
   */
  forgetReplica(replica: string): void {
    if (!this.counts.has(replica)) return;
    for (const [key, r] of this.routes) if (r === replica) this.drop(key);
  }
}
