// What a client connection is held to: the limits every connection shares (from the gateway's
// config) and its address's budget keys (shared by every connection from the address). Shapes
// only; the buckets that spend them live on ClientConnection and the gateway's RateLimiter.

/** Per-connection limits, from the gateway config (one object shared by all connections). */
export interface ConnectionLimits {
  maxBufferedBytes: number;
  deliveryWindow: number;
  liveAckTimeoutMs: number;
  connRate: number;
  connBurst: number;
  /** Bytes of frames per second, and the burst. */
  byteRate: number;
  byteBurst: number;
  /** SENDs not yet answered, at most. */
  maxInflight: number;
  /** A queued delivery left unacked this long leaves the delivery window (the queue keeps it). */
  deliveryAckTimeoutMs: number;
}

/** A client address as the limits know it; one object shared by every connection from the address. */
export interface ClientAddress {
  /** Key of the client's address for limits (a hash unless IP logging is opted in). */
  readonly ipKey: string;
  /** The per-address frame budget's key. */
  readonly frameKey: string;
  /** The per-address byte budget's key. */
  readonly byteKey: string;
  /** The per-address budget of claimed destinations per second: its key. */
  readonly claimKey: string;
  /** The per-address budget of queued bytes per second: its key. */
  readonly queueKey: string;
  /** The per-address budget of mailboxes drained per second: its key. */
  readonly drainKey: string;
}
