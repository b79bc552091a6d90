import { Metrics, type CounterCell } from '@tacit/kit';

/** The gateway's metrics: counts by frame type, path and error code — never by mailbox, key or client. */
export function gatewayMetrics(m: Metrics) {
  return {
    connections: m.gauge({ name: 'connections', help: 'Open client WebSocket connections' }),
    bufferedBytes: m.gauge({ name: 'buffered_bytes', help: 'Bytes written to client connections and not yet handed to the kernel (all connections)' }),
    rejectedConnections: m.counter({
      name: 'rejected_connections_total',
      help: 'Upgrades refused, by reason: replica_full (GATEWAY_MAX_CONNECTIONS), address_full (GATEWAY_MAX_CONNECTIONS_PER_IP), connect_rate (GATEWAY_IP_CONNECT_RATE), draining',
      labelNames: ['reason'] as const,
    }),
    closed: m.counter({
      name: 'closed_connections_total',
      help: 'Client connections closed, by WebSocket close code (1006: cut off without a close frame, e.g. past the unsent-bytes bound; 4429: kept flooding)',
      labelNames: ['code'] as const,
    }),
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
    pushEvents: m.counter({
      name: 'push_events_total',
      help: 'Queued events published for the push service (a packet queued for a mailbox nobody held), by outcome: published, failed (the bus refused the publish)',
      labelNames: ['outcome'] as const,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;

/**
 * The gateway's metrics and its hot-path counters, bound to their labels once: cells are plain
 * adds taken in at a scrape (a prom-client `inc` hashes its labels every call, ~4 % of a gateway).
 */
export class GatewayMeters {
  readonly m: GatewayMetrics;
  readonly frames: Record<'hello' | 'claim' | 'send' | 'ack' | 'ping', CounterCell>;
  readonly acceptedDuplicate: CounterCell;
  readonly acceptedLiveLocal: CounterCell;
  readonly acceptedLiveRemote: CounterCell;
  readonly acceptedQueued: CounterCell;
  readonly drained: CounterCell;
  readonly remoteByMailbox: CounterCell;
  readonly remoteByReplica: CounterCell;
  readonly rerouted: CounterCell;
  readonly pushEventsPublished: CounterCell;
  readonly pushEventsFailed: CounterCell;

  constructor(metrics: Metrics) {
    const m = (this.m = gatewayMetrics(metrics));
    const frames = (type: string) => Metrics.cell(m.frames, { type });
    const accepted = (path: string) => Metrics.cell(m.accepted, { path });
    this.frames = { hello: frames('hello'), claim: frames('claim'), send: frames('send'), ack: frames('ack'), ping: frames('ping') };
    this.acceptedDuplicate = accepted('duplicate');
    this.acceptedLiveLocal = accepted('live_local');
    this.acceptedLiveRemote = accepted('live_remote');
    this.acceptedQueued = accepted('queued');
    this.drained = Metrics.cell(m.drained);
    this.remoteByMailbox = Metrics.cell(m.remoteRequests, { route: 'mailbox' });
    this.remoteByReplica = Metrics.cell(m.remoteRequests, { route: 'replica' });
    this.rerouted = Metrics.cell(m.rerouted);
    this.pushEventsPublished = Metrics.cell(m.pushEvents, { outcome: 'published' });
    this.pushEventsFailed = Metrics.cell(m.pushEvents, { outcome: 'failed' });
  }
}
