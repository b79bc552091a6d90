import type { Metrics } from '@tacit/kit';

/** The gateway's metrics: counts by frame type, path and error code — never by mailbox, key or client. */
export function gatewayMetrics(m: Metrics) {
  return {
    connections: m.gauge({ name: 'connections', help: 'Open client WebSocket connections' }),
    bufferedBytes: m.gauge({ name: 'buffered_bytes', help: 'Bytes written to client connections and not yet handed to the kernel (all connections)' }),
    rejectedConnections: m.counter({ name: 'rejected_connections_total', help: 'Upgrades refused by the per-IP connection rate limit' }),
    frames: m.counter({ name: 'frames_total', help: 'Client frames received, by type', labelNames: ['type'] as const }),
    accepted: m.counter({
      name: 'accepted_total',
      help: 'Packets made safe, by path: live_local, live_remote, queued, duplicate',
      labelNames: ['path'] as const,
    }),
    errors: m.counter({ name: 'errors_total', help: 'ERROR frames sent, by wire error code', labelNames: ['code'] as const }),
    claims: m.counter({ name: 'claims_total', help: 'Mailboxes claimed with a valid proof' }),
    drained: m.counter({ name: 'drained_total', help: 'Queued packets handed to clients' }),
    remoteRequests: m.counter({
      name: 'remote_requests_total',
      help: 'Requests handing packets to other replicas, by route: mailbox (its subject) or replica (its id, many mailboxes at once)',
      labelNames: ['route'] as const,
    }),
    rerouted: m.counter({ name: 'rerouted_total', help: 'Packets sent by replica that went again by mailbox (the mailbox moved, or the replica is gone)' }),
  };
}

export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
