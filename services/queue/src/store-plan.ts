// How one enqueue batch goes to queue_store_live and how its answer comes back: each (mailbox,
// packet) pair once, grouped by mailbox, and the statuses mapped back to the caller's order.
import { ID_BYTES, type EnqueueStatus, type NewPacket } from './model.js';
import { _key } from './sql-bytes.js';

/**
 * The packets of a batch as the store takes them, and the way back. Repeats inside the batch are
 * sent once and get the first occurrence's fate (stored → duplicate). The rest are grouped by mailbox
 * (each mailbox's packets in batch order, the mailboxes in order of first appearance): inserted in
 * this order, a mailbox's packets of one batch share heap pages, so a drain's index scan and an ack's
 * range delete read a page once for its run of packets instead of once per packet, as when a batch
 * interleaved its senders' mailboxes (docs/queue.md, "A batch goes in mailbox by mailbox"). A Map,
 * not a sort: one lookup per packet, before the database's lock.
 */
export class StorePlan {
  /** The packets to store, each pair once, grouped by mailbox. */
  readonly unique: readonly NewPacket[];
  /** Position in the batch of each packet of {@link unique}. */
  readonly #uniqueAt: readonly number[];
  readonly #keys: readonly string[];
  readonly #firstOf = new Map<string, number>();

  constructor(packets: readonly NewPacket[]) {
    this.#keys = packets.map((p) => _key(p.mailboxId, p.packetId));
    const runs = new Map<string, number[]>();
    this.#keys.forEach((k, i) => {
      if (this.#firstOf.has(k)) return;
      this.#firstOf.set(k, i);
      // A key starts with the mailbox id's bytes (latin1, one char each): its first ID_BYTES chars.
      const mailbox = k.slice(0, ID_BYTES);
      const run = runs.get(mailbox);
      if (run) run.push(i);
      else runs.set(mailbox, [i]);
    });
    const unique: NewPacket[] = [];
    const uniqueAt: number[] = [];
    for (const run of runs.values()) {
      for (const i of run) {
        unique.push(packets[i]!);
        uniqueAt.push(i);
      }
    }
    this.unique = unique;
    this.#uniqueAt = uniqueAt;
  }

  /**
   * One status per packet of the batch, in its order, from the store's answer: the 1-based positions
   * in {@link unique} it did not store because they were stored already or their mailbox was full.
   */
  statuses(duplicateAt: readonly number[], fullAt: readonly number[]): EnqueueStatus[] {
    const uniqueAt = this.#uniqueAt;
    const statuses = new Array<EnqueueStatus>(this.#keys.length);
    for (const i of uniqueAt) statuses[i] = 'stored';
    for (const i of duplicateAt) statuses[uniqueAt[i - 1]!] = 'duplicate';
    for (const i of fullAt) statuses[uniqueAt[i - 1]!] = 'mailbox_full';
    this.#keys.forEach((k, i) => {
      const first = this.#firstOf.get(k)!;
      if (first !== i) statuses[i] = statuses[first] === 'stored' ? 'duplicate' : statuses[first]!;
    });
    return statuses;
  }
}
