import { Inject, Injectable } from '@nestjs/common';
import type { Logger, Metrics } from '@tacit/kit';
import { LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { PREKEY_CLIENT, type PrekeyClient } from '@tacit/prekey-client';
import {
  decodePrekeyFetch,
  encodePrekeyErrorBody,
  encodePrekeyUploadReply,
  MAX_PREKEY_UPLOAD_BYTES,
  PREKEY_FETCH_LEN,
  PREKEY_PATH,
  PrekeyError,
} from '@tacit/protocol';
import { ClientAddresses } from './client-address.js';
import type { GatewayConfig } from './config.js';
import type { EndpointLimiter } from './endpoint-limiter.js';
import { HttpEndpoints, type EndpointErrors } from './http-endpoints.js';
import { GatewayShutdown } from './shutdown.js';
import { PREKEY_LIMITER } from './tokens.js';

/** How the shell makes and answers PrekeyErrors (protocol.md §13.6). */
const _ERRORS = Object.freeze<EndpointErrors<PrekeyError>>({
  is: (err: unknown): err is PrekeyError => err instanceof PrekeyError,
  make: (code, field, message) => new PrekeyError(code, field, message),
  status: (err: PrekeyError) => err.status,
  body: encodePrekeyErrorBody,
  unknownPath: 'NOT_FOUND',
  unavailable: { field: 'prekey', message: 'the prekey service cannot answer now; retry' },
});

/**
 * The prekey endpoints (docs/protocol.md §13) on the client listener: POST
 * `/v1/prekeys/challenge`, `/upload`, `/fetch`, each a body in and a body out, passed to the prekey
 * service through its client library. What an anonymous client can spend here is the shell's
 * ({@link HttpEndpoints}): body bytes and time, requests in flight, per-requester windows across
 * replicas (fetches apart from uploads: a fetch hands out one of someone's one-time keys). Errors are
 * {@link PrekeyError}s: status and JSON body. HTTP and not a frame: the v1 frame set is closed
 * (protocol.md §5), and a prekey request has no business on a connection that claims mailboxes (it
 * would link the two).
 */
@Injectable()
export class PrekeyEndpoint extends HttpEndpoints<PrekeyError> {
  constructor(
    @Inject(PREKEY_CLIENT) client: PrekeyClient,
    @Inject(PREKEY_LIMITER) limiter: EndpointLimiter,
    @Inject(ClientAddresses) addresses: ClientAddresses,
    @Inject(GatewayShutdown) shutdown: GatewayShutdown,
    @Inject(LOGGER) log: Logger,
    @Inject(METRICS) metrics: Metrics,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    const uploads = { limit: 'upload', perMinute: config.GATEWAY_PREKEY_UPLOADS_PER_MINUTE, what: 'upload requests' };
    super(
      {
        prefix: PREKEY_PATH,
        label: 'prekey',
        endpoints: {
          challenge: { maxBody: 0, ...uploads, serve: () => client.challenge() },
          upload: { maxBody: MAX_PREKEY_UPLOAD_BYTES, ...uploads, serve: async (body) => encodePrekeyUploadReply(await client.upload(body)) },
          fetch: { maxBody: PREKEY_FETCH_LEN, limit: 'fetch', perMinute: config.GATEWAY_PREKEY_FETCHES_PER_MINUTE, what: 'fetch requests', serve: (body) => client.fetch(decodePrekeyFetch(body)) },
        },
        contentType: 'application/octet-stream',
        metric: { name: 'prekey_requests_total', help: 'Prekey endpoint requests, by endpoint and outcome (ok or the error code answered)' },
        errors: _ERRORS,
        maxInflight: config.GATEWAY_PREKEY_MAX_INFLIGHT,
        bodyTimeoutMs: config.GATEWAY_PREKEY_BODY_TIMEOUT_MS,
      },
      { limiter, addresses, shutdown, log, metrics, config },
    );
  }
}
