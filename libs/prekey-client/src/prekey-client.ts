/**
 * How other services (the gateway) call the prekey service: {@link PrekeyClient}, and
 * {@link BusPrekeyClient}, its implementation over the bus (NATS in the cluster, in process in the
 * node). A refusal in a reply comes back as the same {@link PrekeyError} the service refused with;
 * bus failures as kit's typed errors (UnavailableError, TimeoutError, NoRespondersError, …).
 * @module
 */
import { InternalError } from '@tacit/kit';
import type { BusClientProxy } from '@tacit/platform';
import { PREKEY_LIMITS, PREKEY_ROUTES, prekeyV1 } from '@tacit/proto';
import { PrekeyError, type PrekeyErrorCode, type PrekeyUploadReply } from '@tacit/protocol';

/** The prekey service as its callers see it. */
export interface PrekeyClient {
  /** A fresh upload challenge (40 bytes). */
  challenge(): Promise<Uint8Array>;
  /** Stores an upload (protocol.md §13.3 bytes); what the identity holds now. Throws PrekeyError when refused. */
  upload(upload: Uint8Array): Promise<PrekeyUploadReply>;
  /** The bundle at a 32-byte address (protocol.md §13.5 bytes). Throws PrekeyError (NOT_FOUND, MALFORMED). */
  fetch(address: Uint8Array): Promise<Uint8Array>;
}

const _CODES: Readonly<Record<number, PrekeyErrorCode>> = Object.freeze({
  [prekeyV1.PrekeyStatus.MALFORMED]: 'MALFORMED',
  [prekeyV1.PrekeyStatus.BAD_KEY]: 'BAD_KEY',
  [prekeyV1.PrekeyStatus.BAD_SIGNATURE]: 'BAD_SIGNATURE',
  [prekeyV1.PrekeyStatus.BAD_PROOF]: 'BAD_PROOF',
  [prekeyV1.PrekeyStatus.STALE_CHALLENGE]: 'STALE_CHALLENGE',
  [prekeyV1.PrekeyStatus.INCOMPLETE]: 'INCOMPLETE',
  [prekeyV1.PrekeyStatus.TOO_MANY_PREKEYS]: 'TOO_MANY_PREKEYS',
  [prekeyV1.PrekeyStatus.NOT_FOUND]: 'NOT_FOUND',
});

/** The PrekeyError a refused reply stands for. */
function _refused(reply: { status: prekeyV1.PrekeyStatus; field: string; message: string }): PrekeyError {
  const code = _CODES[reply.status];
  if (code === undefined) return new PrekeyError('INTERNAL', 'status', `the prekey service answered status ${reply.status}`);
  return new PrekeyError(code, reply.field, reply.message);
}

/** {@link PrekeyClient} over the platform's client proxy. */
export class BusPrekeyClient implements PrekeyClient {
  constructor(private readonly proxy: BusClientProxy) {}

  async challenge(): Promise<Uint8Array> {
    const r = await this.proxy.call(PREKEY_ROUTES.challenge, { $typeName: 'tacit.prekey.v1.ChallengeRequest' });
    return r.challenge;
  }

  async upload(upload: Uint8Array): Promise<PrekeyUploadReply> {
    if (upload.length > PREKEY_LIMITS.maxUploadBytes)
      throw new PrekeyError('TOO_LARGE', 'upload', `"upload" expected at most ${PREKEY_LIMITS.maxUploadBytes} bytes, got ${upload.length}`);
    const r = await this.proxy.call(PREKEY_ROUTES.upload, { $typeName: 'tacit.prekey.v1.UploadRequest', upload });
    if (r.status !== prekeyV1.PrekeyStatus.OK) throw _refused(r);
    return { preKeys: r.preKeys, kyberPreKeys: r.kyberPreKeys, signedPreKey: r.signedPreKey, lastResortKyberPreKey: r.lastResortKyberPreKey };
  }

  async fetch(address: Uint8Array): Promise<Uint8Array> {
    const r = await this.proxy.call(PREKEY_ROUTES.fetch, { $typeName: 'tacit.prekey.v1.FetchRequest', address });
    if (r.status !== prekeyV1.PrekeyStatus.OK) throw _refused(r);
    if (r.bundle.length === 0) throw new InternalError('the prekey service answered OK without a bundle');
    return r.bundle;
  }
}
