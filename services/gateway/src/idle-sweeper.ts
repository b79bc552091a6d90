import { Inject, Injectable } from '@nestjs/common';
import { SETTINGS } from '@tacit/platform';
import { ErrorCode, GoawayReason } from '@tacit/protocol';
import type { GatewayConfig } from './config.js';
import { Connections } from './connections.js';
import { Replies } from './replies.js';
import { GATEWAY_CLOCK, type Clock } from './tokens.js';

/**
 * Closes connections that sent nothing for GATEWAY_IDLE_TIMEOUT_MS (a ping counts): GOAWAY
 * IDLE_TIMEOUT, ERROR IDLE_TIMEOUT, close 4408. One sweep for all connections instead of a timer
 * each: idle connections must stay cheap.
 */
@Injectable()
export class IdleSweeper {
  private timer: NodeJS.Timeout | undefined;
  private readonly idleMs: number;

  constructor(
    @Inject(Connections) private readonly connections: Connections,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(GATEWAY_CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.idleMs = config.GATEWAY_IDLE_TIMEOUT_MS;
  }

  /** Sweeps every quarter of the timeout (between 250 ms and 5 s), so a connection overstays by at most that. */
  start(): void {
    this.stop();
    this.timer = setInterval(() => this.sweep(), Math.min(5000, Math.max(250, this.idleMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Closes the connections idle past the timeout now. */
  sweep(): void {
    const deadline = this.clock.now() - this.idleMs;
    for (const conn of this.connections) {
      if (conn.lastActivity < deadline && conn.state !== 'closing') {
        conn.send({ type: 'goaway', reason: GoawayReason.IDLE_TIMEOUT, retryAfterMs: 0 });
        this.replies.fail(conn, ErrorCode.IDLE_TIMEOUT, `no frame for ${this.idleMs} ms`);
      }
    }
  }
}
