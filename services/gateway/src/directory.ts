import { Inject, Injectable } from '@nestjs/common';
import { DIRECTORY_CLIENT, type DirectoryClient } from '@tacit/directory-client';
import {
  decodeDirectoryRequest,
  DIRECTORY_PATH,
  DirectoryError,
  directoryHttpStatus,
  encodeDirectoryErrorBody,
  MAX_DIRECTORY_BODY_BYTES,
  toBase64Url,
  type DirectoryOperation,
} from '@tacit/directory-core';
import type { Logger, Metrics } from '@tacit/kit';
import { LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { AddressSalt } from './address-salt.js';
import { ClientAddresses } from './client-address.js';
import type { GatewayConfig } from './config.js';
import type { EndpointLimiter } from './endpoint-limiter.js';
import { HttpEndpoints, type Endpoint, type EndpointErrors } from './http-endpoints.js';
import { GatewayShutdown } from './shutdown.js';
import { DIRECTORY_LIMITER } from './tokens.js';

/** How the shell makes and answers DirectoryErrors (directory-core's http.ts). */
const _ERRORS = Object.freeze<EndpointErrors<DirectoryError>>({
  is: (err: unknown): err is DirectoryError => err instanceof DirectoryError,
  make: (code, field, message) => new DirectoryError(code, field, message),
  status: (err: DirectoryError) => directoryHttpStatus(err.code),
  body: encodeDirectoryErrorBody,
  unknownPath: 'BAD_METHOD',
  unavailable: { field: 'directory', message: 'the directory cannot answer now; retry' },
  serviceRetryAfterS: 60,
});

/**
 * The directory endpoints (docs/directory.md "Through the gateway") on the client listener: POST
 * `/v1/directory/challenge`, `/register`, `/lookup`, `/transfer`, `/release`, JSON in and out
 * (directory-core's http.ts), passed to the directory service through its client library. The shell
 * ({@link HttpEndpoints}) owns the body's size and time, requests in flight on this replica, and
 * per-address windows across replicas (lookups apart from writes). This unit names the requester the
 * service counts: the client's address key (the IPv4 address or IPv6 /64, hashed with the salt
 * every replica shares), never the address and never a name the client gives.
 */
@Injectable()
export class DirectoryEndpoint extends HttpEndpoints<DirectoryError> {
  constructor(
    @Inject(DIRECTORY_CLIENT) client: DirectoryClient,
    @Inject(DIRECTORY_LIMITER) limiter: EndpointLimiter,
    @Inject(AddressSalt) salt: AddressSalt,
    @Inject(ClientAddresses) addresses: ClientAddresses,
    @Inject(GatewayShutdown) shutdown: GatewayShutdown,
    @Inject(LOGGER) log: Logger,
    @Inject(METRICS) metrics: Metrics,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    const writes = { limit: 'write', perMinute: config.GATEWAY_DIRECTORY_WRITES_PER_MINUTE, what: 'directory writes' };
    const op = (name: DirectoryOperation, maxBody: number, window: Pick<Endpoint, 'limit' | 'perMinute' | 'what'>): Endpoint => ({
      maxBody,
      ...window,
      serve: (body, address) => _serve(client, name, body, salt.key(address)),
    });
    super(
      {
        prefix: DIRECTORY_PATH,
        label: 'directory',
        endpoints: {
          challenge: op('challenge', 0, writes),
          register: op('register', MAX_DIRECTORY_BODY_BYTES, writes),
          lookup: op('lookup', 256, { limit: 'lookup', perMinute: config.GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE, what: 'lookups' }),
          transfer: op('transfer', MAX_DIRECTORY_BODY_BYTES, writes),
          release: op('release', 1024, writes),
        },
        contentType: 'application/json',
        metric: { name: 'directory_requests_total', help: 'Directory endpoint requests, by endpoint and outcome (ok or the error code answered)' },
        errors: _ERRORS,
        maxInflight: config.GATEWAY_DIRECTORY_MAX_INFLIGHT,
        bodyTimeoutMs: config.GATEWAY_DIRECTORY_BODY_TIMEOUT_MS,
      },
      { limiter, addresses, shutdown, log, metrics, config },
    );
  }
}

/**
 * One directory request: the body decoded, passed on with `requester` (the service's own limits
 * count this key, whatever the body says), the answer as JSON.
 */
async function _serve(client: DirectoryClient, op: DirectoryOperation, body: Uint8Array, requester: string): Promise<string> {
  let out: Record<string, string | number>;
  if (op === 'challenge') {
    out = { challenge: toBase64Url(await client.challenge()) };
  } else {
    const r = decodeDirectoryRequest(op, new TextDecoder('utf-8', { fatal: false }).decode(body));
    const policy = r.policy;
    const lookupKey = r.lookupKey;
    switch (op) {
      case 'register':
        out = { sequence: await client.register({ policy, lookupKey, requester, record: r.record!, controlKey: r.controlKey!, challenge: r.challenge!, proof: r.proof! }) };
        break;
      case 'lookup': {
        const found = await client.lookup({ policy, lookupKey, requester });
        out = { record: toBase64Url(found.record), sequence: found.sequence };
        break;
      }
      case 'transfer':
        out = { sequence: await client.transfer({ policy, lookupKey, requester, grant: r.grant!, record: r.record!, challenge: r.challenge!, proof: r.proof! }) };
        break;
      default:
        out = { sequence: await client.release({ policy, lookupKey, requester, grant: r.grant! }) };
    }
  }
  return JSON.stringify(out);
}
