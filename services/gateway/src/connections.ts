import { Inject, Injectable } from '@nestjs/common';
import { Metrics } from '@tacit/kit';
import { SETTINGS } from '@tacit/platform';
import { AddressSalt, requesterOf } from './address-salt.js';
import type { GatewayConfig } from './config.js';
import type { ClientAddress, ConnectionLimits } from './connection-limits.js';
import { ClientConnection } from './connection.js';
import { GatewayMeters } from './metrics.js';
import { Presence } from './presence.js';
import { GATEWAY_CLOCK, type Clock } from './tokens.js';
import type { WsSocket } from './wsock/index.js';

/** A client address with its connect-rate and byte-budget keys. */
export type AddressKeys = ClientAddress & { readonly connectKey: string; readonly byteKey: string };

/** Why an upgrade is refused: this replica is full, or this address holds its share. */
export type AdmitRefusal = 'replica_full' | 'address_full';

/** What one client address holds on this replica right now. */
interface _Holdings {
  conns: number;
  claims: number;
}

/** Client addresses remembered at most (then all are forgotten; connections keep what they hold). */
const _ADDRESSES_MAX = 4096;

/**
 * The client connections of this replica: attached on upgrade, detached on close (their claims
 * released, their live deliveries failed so senders queue them), and the per-address limit keys
 * they share.
 */
@Injectable()
export class Connections implements Iterable<ClientConnection> {
  /** Per-connection limits: one object for all connections. */
  readonly limits: ConnectionLimits;
  private readonly all = new Set<ClientConnection>();
  /** Client addresses seen lately, so connections from one address share their limit keys. */
  private readonly addresses = new Map<string, AddressKeys>();
  /** The salt generation the remembered addresses were keyed with. */
  private saltGeneration = 0;
  private readonly logClientIps: boolean;
  /** Live connections and claims per address key; an entry goes with the address's last connection. */
  private readonly holdings = new Map<string, _Holdings>();
  private claimsHere = 0;
  private readonly caps: { conns: number; connsPerIp: number; claimsPerIp: number; claims: number };

  constructor(
    @Inject(Presence) private readonly presence: Presence,
    @Inject(GatewayMeters) private readonly meters: GatewayMeters,
    @Inject(GATEWAY_CLOCK) private readonly clock: Clock,
    @Inject(SETTINGS) config: GatewayConfig,
    @Inject(AddressSalt) private readonly salt: AddressSalt,
  ) {
    this.logClientIps = config.GATEWAY_LOG_CLIENT_IPS;
    this.caps = {
      conns: config.GATEWAY_MAX_CONNECTIONS,
      connsPerIp: config.GATEWAY_MAX_CONNECTIONS_PER_IP,
      claimsPerIp: config.GATEWAY_MAX_CLAIMS_PER_IP,
      claims: config.GATEWAY_MAX_CLAIMS_TOTAL,
    };
    this.limits = {
      maxBufferedBytes: config.GATEWAY_MAX_BUFFERED_BYTES,
      deliveryWindow: config.GATEWAY_DELIVERY_WINDOW,
      liveAckTimeoutMs: config.GATEWAY_LIVE_ACK_TIMEOUT_MS,
      connRate: config.GATEWAY_CONN_RATE,
      connBurst: config.GATEWAY_CONN_BURST,
      byteRate: config.GATEWAY_CONN_BYTE_RATE,
      byteBurst: config.GATEWAY_CONN_BYTE_BURST,
      maxInflight: config.GATEWAY_MAX_INFLIGHT_SENDS,
      deliveryAckTimeoutMs: config.GATEWAY_DELIVERY_ACK_TIMEOUT_MS,
    };
    Metrics.sample(meters.m.bufferedBytes, () => {
      let bytes = 0;
      for (const conn of this.all) bytes += conn.ws.bufferedAmount;
      return bytes;
    });
  }

  /** Open connections on this replica. */
  get size(): number {
    return this.all.size;
  }

  [Symbol.iterator](): Iterator<ClientConnection> {
    return this.all.values();
  }

  /**
   * The limit keys of a client address (its IPv4 address or IPv6 /64, hashed with the salt every
   * replica shares: {@link AddressSalt}), made once per address seen lately (not once per connection).
   */
  address(ip: string): AddressKeys {
    if (this.salt.generation !== this.saltGeneration) {
      // The shared salt changed (Redis restarted empty): keys made with the old one count elsewhere now.
      this.addresses.clear();
      this.saltGeneration = this.salt.generation;
    }
    let a = this.addresses.get(ip);
    if (!a) {
      if (this.addresses.size >= _ADDRESSES_MAX) this.addresses.clear();
      const ipKey = this.logClientIps ? requesterOf(ip) : this.salt.key(ip);
      a = { ipKey, frameKey: `f:${ipKey}`, connectKey: `c:${ipKey}`, byteKey: `b:${ipKey}`, claimKey: `n:${ipKey}`, queueKey: `q:${ipKey}`, drainKey: `d:${ipKey}` };
      this.addresses.set(ip, a);
    }
    return a;
  }

  /** Whether a new connection from `address` fits: the replica's cap, then the address's share. */
  admit(address: ClientAddress): AdmitRefusal | undefined {
    if (this.all.size >= this.caps.conns) return 'replica_full';
    if ((this.holdings.get(address.ipKey)?.conns ?? 0) >= this.caps.connsPerIp) return 'address_full';
    return undefined;
  }

  /** A new client connection on `ws` (admitted first: {@link admit}). */
  attach(ws: WsSocket<ClientConnection>, address: ClientAddress): ClientConnection {
    const conn = new ClientConnection(ws, address, this.limits, this.clock.now());
    this.all.add(conn);
    const h = this.holdings.get(address.ipKey);
    if (h) h.conns++;
    else this.holdings.set(address.ipKey, { conns: 1, claims: 0 });
    this.meters.m.connections.inc();
    return conn;
  }

  /** Whether `n` new claims of `conn` would fit its address's share and the replica's total (nothing charged). */
  claimsFit(conn: ClientConnection, n: number): boolean {
    const h = this.holdings.get(conn.ipKey);
    return h !== undefined && h.claims + n <= this.caps.claimsPerIp && this.claimsHere + n <= this.caps.claims;
  }

  /**
   * Charges `n` new claims of `conn` against its address's share and the replica's total; false (and
   * nothing charged) when they do not fit. Released when the connection closes.
   */
  chargeClaims(conn: ClientConnection, n: number): boolean {
    if (!this.claimsFit(conn, n)) return false;
    const h = this.holdings.get(conn.ipKey)!;
    h.claims += n;
    this.claimsHere += n;
    return true;
  }

  /** Mailboxes claimed on this replica, all connections. */
  get claims(): number {
    return this.claimsHere;
  }

  /** The connection closed: its claims go, and senders waiting on its live deliveries queue them. */
  detach(conn: ClientConnection): void {
    if (!this.all.delete(conn)) return;
    conn.state = 'closing';
    this.meters.m.connections.dec();
    const h = this.holdings.get(conn.ipKey);
    if (h) {
      h.conns--;
      h.claims -= conn.claimed.size;
      this.claimsHere -= conn.claimed.size;
      if (h.conns === 0) this.holdings.delete(conn.ipKey);
    }
    this.presence.releaseAll(conn);
    conn.failPending();
  }
}
