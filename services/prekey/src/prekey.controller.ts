/**
 * The prekey service's bus API: thin handlers that take the decoded request, call one
 * {@link PrekeyService} method and return the reply. A refused request is an outcome (status, field,
 * message in the reply), so the gateway can hand the client its typed error; bus errors are left
 * for an unavailable database and bugs.
 * @module
 */
import { Controller, Inject } from '@nestjs/common';
import { BusHandle } from '@tacit/platform';
import { PREKEY_ROUTES, prekeyV1 } from '@tacit/proto';
import { PrekeyError, type PrekeyErrorCode } from '@tacit/protocol';
import { PrekeyService } from './prekey.service.js';

/** Wire status of each error code the service refuses with (TOO_LARGE: the body is malformed for the bus too). */
export const CODE_TO_STATUS: Readonly<Partial<Record<PrekeyErrorCode, prekeyV1.PrekeyStatus>>> = Object.freeze({
  MALFORMED: prekeyV1.PrekeyStatus.MALFORMED,
  TOO_LARGE: prekeyV1.PrekeyStatus.MALFORMED,
  BAD_KEY: prekeyV1.PrekeyStatus.BAD_KEY,
  BAD_SIGNATURE: prekeyV1.PrekeyStatus.BAD_SIGNATURE,
  BAD_PROOF: prekeyV1.PrekeyStatus.BAD_PROOF,
  STALE_CHALLENGE: prekeyV1.PrekeyStatus.STALE_CHALLENGE,
  INCOMPLETE: prekeyV1.PrekeyStatus.INCOMPLETE,
  TOO_MANY_PREKEYS: prekeyV1.PrekeyStatus.TOO_MANY_PREKEYS,
  NOT_FOUND: prekeyV1.PrekeyStatus.NOT_FOUND,
});

/** The refusal `err` is as reply fields, or undefined for anything else (rethrown: a bus error). */
function _refusal(err: unknown): { status: prekeyV1.PrekeyStatus; field: string; message: string } | undefined {
  if (!(err instanceof PrekeyError)) return undefined;
  const status = CODE_TO_STATUS[err.code];
  return status === undefined ? undefined : { status, field: err.field, message: err.message };
}

@Controller()
export class PrekeyController {
  constructor(@Inject(PrekeyService) private readonly prekeys: PrekeyService) {}

  @BusHandle(PREKEY_ROUTES.challenge)
  challenge(): prekeyV1.ChallengeReply {
    return { $typeName: 'tacit.prekey.v1.ChallengeReply', challenge: this.prekeys.challenge() };
  }

  @BusHandle(PREKEY_ROUTES.upload)
  async upload(req: prekeyV1.UploadRequest): Promise<prekeyV1.UploadReply> {
    const base = { $typeName: 'tacit.prekey.v1.UploadReply', field: '', message: '', preKeys: 0, kyberPreKeys: 0, signedPreKey: false, lastResortKyberPreKey: false } as const;
    try {
      const r = await this.prekeys.upload(req.upload);
      return { ...base, status: prekeyV1.PrekeyStatus.OK, ...r };
    } catch (err) {
      const refused = _refusal(err);
      if (!refused) throw err;
      return { ...base, ...refused };
    }
  }

  @BusHandle(PREKEY_ROUTES.fetch)
  async fetch(req: prekeyV1.FetchRequest): Promise<prekeyV1.FetchReply> {
    const base = { $typeName: 'tacit.prekey.v1.FetchReply', field: '', message: '', bundle: new Uint8Array(0) } as const;
    try {
      const r = await this.prekeys.fetch(req.address);
      return { ...base, status: prekeyV1.PrekeyStatus.OK, bundle: r.bundle };
    } catch (err) {
      const refused = _refusal(err);
      if (!refused) throw err;
      return { ...base, ...refused };
    }
  }
}
