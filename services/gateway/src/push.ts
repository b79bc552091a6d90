import { Inject, Injectable } from '@nestjs/common';
import type { Logger, Metrics } from '@tacit/kit';
import { LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { fromBinary, pushV1, toBinary } from '@tacit/proto';
import { encodePushErrorBody, PUSH_PATH, PushError } from '@tacit/protocol';
import { PUSH_CLIENT, type PushClient } from '@tacit/push-client';
import { AddressSalt } from './address-salt.js';
import { ClientAddresses } from './client-address.js';
import type { GatewayConfig } from './config.js';
import type { EndpointLimiter } from './endpoint-limiter.js';
import { HttpEndpoints, type EndpointErrors } from './http-endpoints.js';
import { GatewayShutdown } from './shutdown.js';
import { PUSH_LIMITER } from './tokens.js';

/** How the shell makes and answers PushErrors (protocol's push-errors.ts). */
const _ERRORS = Object.freeze<EndpointErrors<PushError>>({
  is: (err: unknown): err is PushError => err instanceof PushError,
  make: (code, field, message) => new PushError(code, field, message),
  status: (err: PushError) => err.status,
  body: encodePushErrorBody,
  unknownPath: 'NOT_FOUND',
  unavailable: { field: 'push', message: 'the push service cannot answer now; retry' },
  serviceRetryAfterS: 60,
});

/** An unregistration's most: a peer key, a time, a signature and their tags (~120 bytes), with room. */
const _MAX_UNREGISTER_BODY = 1024;

/**
 * A request body as its message, refused as MALFORMED when it does not decode or names a requester
 * itself: the requester is the gateway's to name (the push service's limits count it), so a client
 * cannot pick whose limit it spends.
 */
function _decode<T extends pushV1.RegisterRequest | pushV1.UnregisterRequest>(schema: typeof pushV1.RegisterRequestSchema | typeof pushV1.UnregisterRequestSchema, body: Uint8Array, requester: string): T {
  let req: T;
  try {
    req = fromBinary(schema, body) as T;
  } catch (err) {
    throw new PushError('MALFORMED', 'body', `"body" is not a binary ${schema.typeName}`, { cause: err });
  }
  if (req.requester !== '') throw new PushError('MALFORMED', 'requester', '"requester" is the gateway\'s to set; send it empty');
  req.requester = requester;
  return req;
}

/**
 * The push registration endpoints (docs/push.md, docs/gateway.md) on the client listener: POST
 * `/v1/push/register` and `/v1/push/unregister`, a binary `tacit.push.v1` request in and its binary
 * reply out, passed to the push service through its client library. The shell
 * ({@link HttpEndpoints}) owns the body's size and time, requests in flight on this replica, and
 * per-address windows across replicas (registrations apart from unregistrations). This unit fills in
 * the requester the service counts: the client's address key (hashed with the salt every replica
 * shares), never the address. The signed fields pass through untouched: the service checks them.
 */
@Injectable()
export class PushEndpoint extends HttpEndpoints<PushError> {
  constructor(
    @Inject(PUSH_CLIENT) client: PushClient,
    @Inject(PUSH_LIMITER) limiter: EndpointLimiter,
    @Inject(AddressSalt) salt: AddressSalt,
    @Inject(ClientAddresses) addresses: ClientAddresses,
    @Inject(GatewayShutdown) shutdown: GatewayShutdown,
    @Inject(LOGGER) log: Logger,
    @Inject(METRICS) metrics: Metrics,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    super(
      {
        prefix: PUSH_PATH,
        label: 'push',
        endpoints: {
          register: {
            maxBody: config.GATEWAY_PUSH_MAX_BODY_BYTES,
            limit: 'register',
            perMinute: config.GATEWAY_PUSH_REGISTERS_PER_MINUTE,
            what: 'push registrations',
            serve: async (body, address) => {
              const req = _decode<pushV1.RegisterRequest>(pushV1.RegisterRequestSchema, body, salt.key(address));
              return toBinary(pushV1.RegisterReplySchema, await client.register(req));
            },
          },
          unregister: {
            maxBody: _MAX_UNREGISTER_BODY,
            limit: 'unregister',
            perMinute: config.GATEWAY_PUSH_UNREGISTERS_PER_MINUTE,
            what: 'push unregistrations',
            serve: async (body, address) => {
              const req = _decode<pushV1.UnregisterRequest>(pushV1.UnregisterRequestSchema, body, salt.key(address));
              return toBinary(pushV1.UnregisterReplySchema, await client.unregister(req));
            },
          },
        },
        contentType: 'application/octet-stream',
        metric: { name: 'push_requests_total', help: 'Push endpoint requests, by endpoint and outcome (ok or the error code answered)' },
        errors: _ERRORS,
        maxInflight: config.GATEWAY_PUSH_MAX_INFLIGHT,
        bodyTimeoutMs: config.GATEWAY_PUSH_BODY_TIMEOUT_MS,
      },
      { limiter, addresses, shutdown, log, metrics, config },
    );
  }
}
