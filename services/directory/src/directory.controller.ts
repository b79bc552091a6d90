/**
 * The directory's bus API: thin handlers that take the decoded request, call one
 * {@link DirectoryService} method and return the reply. A refused request is an outcome (status,
 * field, message in the reply), so callers get the same typed DirectoryError; bus errors are left
 * for an unavailable database and bugs.
 * @module
 */
import { Controller, Inject } from '@nestjs/common';
import { DirectoryError, type DirectoryErrorCode, type OwnershipPolicy } from '@tacit/directory-core';
import { BusHandle } from '@tacit/platform';
import { DIRECTORY_ROUTES, directoryV1 } from '@tacit/proto';
import { DirectoryService } from './directory.service.js';

const S = directoryV1.DirectoryStatus;

/** Wire status of each error code the service refuses with. */
export const CODE_TO_STATUS: Readonly<Partial<Record<DirectoryErrorCode, directoryV1.DirectoryStatus>>> = Object.freeze({
  MALFORMED: S.MALFORMED,
  BAD_PROOF: S.BAD_PROOF,
  BAD_SIGNATURE: S.BAD_SIGNATURE,
  NOT_OWNER: S.NOT_OWNER,
  EXPIRED: S.EXPIRED,
  REPLAYED: S.REPLAYED,
  TAKEN: S.TAKEN,
  NOT_FOUND: S.NOT_FOUND,
  STALE_CHALLENGE: S.STALE_CHALLENGE,
  RATE_LIMITED: S.RATE_LIMITED,
});

/** The policy a wire policy names; anything else is refused (the policy is part of the address). */
function _policy(p: directoryV1.DirectoryPolicy): OwnershipPolicy {
  if (p === directoryV1.DirectoryPolicy.SIGNED) return 'signed';
  if (p === directoryV1.DirectoryPolicy.LAST_WRITER_WINS) return 'last_writer_wins';
  throw new DirectoryError('MALFORMED', 'policy', '"policy" expected SIGNED or LAST_WRITER_WINS');
}

/** The refusal `err` is as reply fields, or undefined for anything else (rethrown: a bus error). */
function _refusal(err: unknown): { status: directoryV1.DirectoryStatus; field: string; message: string } | undefined {
  if (!(err instanceof DirectoryError)) return undefined;
  const status = CODE_TO_STATUS[err.code];
  return status === undefined ? undefined : { status, field: err.field, message: err.message };
}

const _WRITE = { $typeName: 'tacit.directory.v1.WriteReply', field: '', message: '', sequence: 0n } as const;

async function _write(f: () => Promise<{ sequence: number }>): Promise<directoryV1.WriteReply> {
  try {
    const r = await f();
    return { ..._WRITE, status: S.OK, sequence: BigInt(r.sequence) };
  } catch (err) {
    const refused = _refusal(err);
    if (!refused) throw err;
    return { ..._WRITE, ...refused };
  }
}

@Controller()
export class DirectoryController {
  constructor(@Inject(DirectoryService) private readonly directory: DirectoryService) {}

  @BusHandle(DIRECTORY_ROUTES.challenge)
  challenge(): directoryV1.ChallengeReply {
    return { $typeName: 'tacit.directory.v1.ChallengeReply', challenge: this.directory.challenge() };
  }

  @BusHandle(DIRECTORY_ROUTES.register)
  register(req: directoryV1.RegisterRequest): Promise<directoryV1.WriteReply> {
    return _write(() =>
      this.directory.register({ policy: _policy(req.policy), lookupKey: req.lookupKey, record: req.record, controlKey: req.controlKey, challenge: req.challenge, proof: req.proof, requester: req.requester }),
    );
  }

  @BusHandle(DIRECTORY_ROUTES.lookup)
  async lookup(req: directoryV1.LookupRequest): Promise<directoryV1.LookupReply> {
    const base = { $typeName: 'tacit.directory.v1.LookupReply', field: '', message: '', record: new Uint8Array(0), sequence: 0n } as const;
    try {
      const r = await this.directory.lookup({ policy: _policy(req.policy), lookupKey: req.lookupKey, requester: req.requester });
      return { ...base, status: S.OK, record: r.record, sequence: BigInt(r.sequence) };
    } catch (err) {
      const refused = _refusal(err);
      if (!refused) throw err;
      return { ...base, ...refused };
    }
  }

  @BusHandle(DIRECTORY_ROUTES.transfer)
  transfer(req: directoryV1.TransferRequest): Promise<directoryV1.WriteReply> {
    return _write(() =>
      this.directory.transfer({ policy: _policy(req.policy), lookupKey: req.lookupKey, grant: req.grant, record: req.record, challenge: req.challenge, proof: req.proof, requester: req.requester }),
    );
  }

  @BusHandle(DIRECTORY_ROUTES.release)
  release(req: directoryV1.ReleaseRequest): Promise<directoryV1.WriteReply> {
    return _write(() => this.directory.release({ policy: _policy(req.policy), lookupKey: req.lookupKey, grant: req.grant, requester: req.requester }));
  }
}
