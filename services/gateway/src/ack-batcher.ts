import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@tacit/kit';
import { LOGGER } from '@tacit/platform';
import { ACK_IDS_AT, ErrorCode } from '@tacit/protocol';
import { QUEUE_CLIENT, type QueueAckRef, type QueueClient } from '@tacit/queue-client';
import type { ClientConnection } from './connection.js';
import { keyAt } from './keys.js';
import { Replies } from './replies.js';

/**
 * Client ACKs: each settles a delivery on its connection (a live one answers the sender's wait); the
 * acks of queued packets from all connections in one tick go to the queue together (the client
 * splits them into requests the queue takes), each naming the partition and seq its drain reported.
 */
@Injectable()
export class AckBatcher {
  private batch: QueueAckRef[] = [];
  private scheduled = false;
  /** Ack requests on their way to the queue. */
  private readonly acking = new Set<Promise<unknown>>();

  constructor(
    @Inject(QUEUE_CLIENT) private readonly queue: QueueClient,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** An ACK frame's `count` ids, read where they lie (no view or frame object per id). */
  onAck(conn: ClientConnection, frame: Uint8Array, count: number): void {
    let unknown = -1;
    for (let i = 0, at = ACK_IDS_AT; i < count; i++, at += 16) {
      const settled = conn.settle(keyAt(frame, at), true);
      if (settled === undefined) unknown = at;
      else if (settled) this.add(settled);
    }
    if (unknown >= 0) {
      this.replies.error(conn, ErrorCode.UNKNOWN_PACKET, '"packetIds" names a packet not delivered on this connection', frame.subarray(unknown, unknown + 16));
    }
  }

  /** Queues the delete of an acked queued packet with this tick's others. */
  add(ref: QueueAckRef): void {
    this.batch.push(ref);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends the acks batched so far to the queue. A failed ack leaves the packet queued: delivered again later, dropped by the SDK. */
  flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const sent: Promise<unknown> = this.queue
      .ack(batch)
      .catch((err: unknown) => {
        this.log.warn('queue_ack_failed', { packets: batch.length, error: err instanceof Error ? err.name : 'unknown' });
      })
      .finally(() => this.acking.delete(sent));
    this.acking.add(sent);
  }

  /** Acks still on their way to the queue. */
  get inFlight(): number {
    return this.acking.size;
  }

  /** Flushes, then waits up to `waitMs` for every ack on its way to be answered (shutdown). */
  async settle(waitMs: number): Promise<void> {
    this.flush();
    if (this.acking.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.acking]), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }
}
