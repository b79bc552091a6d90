import { randomBytes } from 'node:crypto';

/** The gateway's clock (ms since the epoch); specs pass a fake one. */
export interface Clock {
  now(): number;
}

/** Token of the gateway's {@link Clock}. */
export const GATEWAY_CLOCK = Symbol('tacit.gateway.clock');
/** Token of the gateway's RateLimiter (Redis-backed across replicas, or in memory). */
export const RATE_LIMITER = Symbol('tacit.gateway.rate-limiter');
/** Token of the storage quota: bytes queued per client address per hour, across replicas (a RateLimiter). */
export const QUEUE_QUOTA = Symbol('tacit.gateway.queue-quota');
/** Token of the gateway's SafeSet (packets already made safe, for RESENDs). */
export const SAFE_SET = Symbol('tacit.gateway.safe-set');
/** Token of the prekey endpoints' EndpointLimiter (per-requester windows, Redis-backed across replicas, or in memory). */
export const PREKEY_LIMITER = Symbol('tacit.gateway.prekey-limiter');

/** Token of the directory endpoints' EndpointLimiter (its own Redis prefix). */
export const DIRECTORY_LIMITER = Symbol('tacit.gateway.directory-limiter');
/** Token of the push endpoints' EndpointLimiter (its own Redis prefix). */
export const PUSH_LIMITER = Symbol('tacit.gateway.push-limiter');
/** Token of the Redis client, or undefined without REDIS_URL. */
export const REDIS = Symbol('tacit.gateway.redis');

/** This replica's id: other replicas hand it packets on `tacit.gw.<id>` (16 lowercase hex digits). */
export class ReplicaIdentity {
  constructor(readonly id: string = randomBytes(8).toString('hex')) {}
}

/**
 * The relay's key pair (X25519): v2 WELCOMEs carry the public key, v2 claim proofs sign it, and each
 * connection's channel key is agreed with it (docs/protocol.md §3.1).
 */
export class RelayKey {
  constructor(
    readonly secretKey: Uint8Array,
    readonly publicKey: Uint8Array,
    /** Where it came from (for the start-up log): the setting, a file, or made for this process. */
    readonly source: 'setting' | 'file' | 'ephemeral',
  ) {}
}
