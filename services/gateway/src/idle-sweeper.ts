import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS } from '@tacit/platform';
import { CloseCode, ErrorCode, GoawayReason } from '@tacit/protocol';
import type { GatewayConfig } from './config.js';
import type { ClientConnection } from './connection.js';
import { Connections } from './connections.js';
import { Replies } from './replies.js';
import { GATEWAY_CLOCK, type Clock } from './tokens.js';

/**
 * Closes connections that hold the gateway without using it, in one sweep for all connections (a
 * timer each would cost every idle connection): silent for GATEWAY_IDLE_TIMEOUT_MS (GOAWAY
 * IDLE_TIMEOUT, ERROR IDLE_TIMEOUT, 4408); no HELLO after GATEWAY_HELLO_TIMEOUT_MS (4408); holding an
 * unfinished frame when no frame completed for GATEWAY_FRAME_TIMEOUT_MS (4408); and, while the
 * unfinished frames of all connections hold more than GATEWAY_MAX_PARTIAL_BYTES, the connections
 * holding the most (1009).
 */
@Injectable()
export class IdleSweeper {
  private timer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  private readonly helloMs: number;
  private readonly frameMs: number;
  private readonly maxPartialBytes: number;

  constructor(
    @Inject(Connections) private readonly connections: Connections,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(GATEWAY_CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.idleMs = config.GATEWAY_IDLE_TIMEOUT_MS;
    this.helloMs = config.GATEWAY_HELLO_TIMEOUT_MS;
    this.frameMs = config.GATEWAY_FRAME_TIMEOUT_MS;
    this.maxPartialBytes = config.GATEWAY_MAX_PARTIAL_BYTES;
  }

  /**
   * Sweeps every quarter of the shortest timeout (between 250 ms and 5 s), so a connection overstays
   * by at most that.
   */
  start(): void {
    this.stop();
    const shortest = Math.min(this.idleMs, this.helloMs, this.frameMs);
    this.timer = setInterval(() => this.sweep(), Math.min(5000, Math.max(250, shortest / 4)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Closes now what overstayed, and the largest holders of unfinished frames while over the budget. */
  sweep(): void {
    const now = this.clock.now();
    const holders: ClientConnection[] = [];
    let partial = 0;
    for (const conn of this.connections) {
      if (conn.state === 'closing') continue;
      const quiet = now - conn.lastActivity;
      if (conn.state === 'hello' && quiet > this.helloMs) {
        this.replies.fail(conn, ErrorCode.IDLE_TIMEOUT, `no HELLO within ${this.helloMs} ms`);
      } else if (conn.ws.receiving && quiet > this.frameMs) {
        this.replies.fail(conn, ErrorCode.IDLE_TIMEOUT, `a frame unfinished for over ${this.frameMs} ms`);
      } else if (quiet > this.idleMs) {
        conn.send({ type: 'goaway', reason: GoawayReason.IDLE_TIMEOUT, retryAfterMs: 0 });
        this.replies.fail(conn, ErrorCode.IDLE_TIMEOUT, `no frame for ${this.idleMs} ms`);
      } else if (conn.ws.receiving) {
        holders.push(conn);
        partial += conn.ws.receivingBytes;
      }
    }
    if (partial <= this.maxPartialBytes) return;
    // Over the budget: the connections holding the most go first, until it fits again.
    holders.sort((a, b) => b.ws.receivingBytes - a.ws.receivingBytes);
    for (const conn of holders) {
      if (partial <= this.maxPartialBytes) break;
      partial -= conn.ws.receivingBytes;
      this.replies.close(conn, CloseCode.FRAME_TOO_LARGE, 'the relay holds too many unfinished frames');
    }
  }
}
