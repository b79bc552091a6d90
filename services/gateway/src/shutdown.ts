import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS } from '@tacit/platform';
import { CloseCode, GoawayReason } from '@tacit/protocol';
import { AckBatcher } from './ack-batcher.js';
import type { GatewayConfig } from './config.js';
import { Connections } from './connections.js';
import { IdleSweeper } from './idle-sweeper.js';
import { Presence } from './presence.js';
import { ReplicaLink } from './replica-link.js';
import { Replies } from './replies.js';
import { GATEWAY_CLOCK, type Clock } from './tokens.js';

/** Shutdown waits at least this long for the last acks to reach the queue, even past the grace. */
const _SHUTDOWN_ACK_WAIT_MS = 2000;
/** How often the drain looks whether in-flight sends are done. */
const _POLL_MS = 20;

/**
 * The graceful drain (SIGTERM): stop taking connections, tell clients to reconnect elsewhere
 * (GOAWAY DRAINING, a random retry delay so they do not return at once), let in-flight sends finish
 * within the grace, close with 1012, then hand the queue the acks that arrived last and wait for
 * them, and stop serving this replica's mailboxes and subjects.
 */
@Injectable()
export class GatewayShutdown {
  /** False once the drain began: new upgrades are refused with 503. */
  accepting = true;
  /** Time in-flight sends get to finish (GATEWAY_DRAIN_GRACE_MS; a test may shorten it before stopping). */
  graceMs: number;

  constructor(
    @Inject(Connections) private readonly connections: Connections,
    @Inject(IdleSweeper) private readonly sweeper: IdleSweeper,
    @Inject(AckBatcher) private readonly acks: AckBatcher,
    @Inject(Presence) private readonly presence: Presence,
    @Inject(ReplicaLink) private readonly link: ReplicaLink,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(GATEWAY_CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.graceMs = config.GATEWAY_DRAIN_GRACE_MS;
  }

  async run(graceMs = this.graceMs): Promise<void> {
    this.accepting = false;
    this.sweeper.stop();
    for (const conn of this.connections) {
      conn.send({ type: 'goaway', reason: GoawayReason.DRAINING, retryAfterMs: Math.floor(Math.random() * 1000) });
    }
    const deadline = this.clock.now() + graceMs;
    while (this.clock.now() < deadline && [...this.connections].some((c) => c.inflight > 0)) {
      await new Promise((r) => setTimeout(r, _POLL_MS));
    }
    for (const conn of [...this.connections]) {
      this.replies.close(conn, CloseCode.SERVICE_RESTART, 'going away');
      this.connections.detach(conn);
    }
    // The clients' last acks go to the queue now and are waited for (within the grace, and at least
    // a moment): a packet acked here is not delivered again after the client reconnects elsewhere.
    await this.acks.settle(Math.max(deadline - this.clock.now(), _SHUTDOWN_ACK_WAIT_MS));
    this.presence.close();
    this.link.close();
  }
}
