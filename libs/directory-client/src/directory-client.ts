/**
 * How other services (the gateway) call the directory: {@link DirectoryClient}, and
 * {@link BusDirectoryClient}, its implementation over the bus (NATS in the cluster, in process in the
 * node). A refusal in a reply comes back as the same {@link DirectoryError} the service refused with;
 * bus failures as kit's typed errors (UnavailableError, TimeoutError, NoRespondersError, …).
 * @module
 */
import { DirectoryError, type DirectoryErrorCode, type OwnershipPolicy } from '@tacit/directory-core';
import { InternalError } from '@tacit/kit';
import type { BusClientProxy } from '@tacit/platform';
import { DIRECTORY_ROUTES, directoryV1 } from '@tacit/proto';

/** Which entry a request is about, and who asks. */
export interface DirectoryAddress {
  readonly policy: OwnershipPolicy;
  /** 32 bytes (directory-core's `deriveHandleKeys`). */
  readonly lookupKey: Uint8Array;
  /** Who asks (the client's address, as the gateway names it): rate limits count per requester. */
  readonly requester: string;
}

/** A registration: the record, the control key and its proof over a fresh challenge. */
export interface DirectoryRegister extends DirectoryAddress {
  readonly record: Uint8Array;
  readonly controlKey: Uint8Array;
  readonly challenge: Uint8Array;
  readonly proof: Uint8Array;
}

/** A transfer: the owner's grant (encoded), the new owner's record and proof. */
export interface DirectoryTransfer extends DirectoryAddress {
  readonly grant: Uint8Array;
  readonly record: Uint8Array;
  readonly challenge: Uint8Array;
  readonly proof: Uint8Array;
}

/** A release: the owner's grant (encoded). */
export interface DirectoryRelease extends DirectoryAddress {
  readonly grant: Uint8Array;
}

/** What a lookup finds. */
export interface DirectoryLookup {
  readonly record: Uint8Array;
  readonly sequence: number;
}

/** The directory service as its callers see it. Every method throws DirectoryError when refused. */
export interface DirectoryClient {
  /** A fresh registration challenge (40 bytes). */
  challenge(): Promise<Uint8Array>;
  /** Stores a record; the entry's sequence now. */
  register(req: DirectoryRegister): Promise<number>;
  /** The record and sequence of an entry (NOT_FOUND when none). */
  lookup(req: DirectoryAddress): Promise<DirectoryLookup>;
  /** Hands an entry to the grant's new key; the entry's sequence now. */
  transfer(req: DirectoryTransfer): Promise<number>;
  /** Releases an entry; the tombstone's sequence. */
  release(req: DirectoryRelease): Promise<number>;
}

const S = directoryV1.DirectoryStatus;
const _CODES: Readonly<Record<number, DirectoryErrorCode>> = Object.freeze({
  [S.MALFORMED]: 'MALFORMED',
  [S.BAD_PROOF]: 'BAD_PROOF',
  [S.BAD_SIGNATURE]: 'BAD_SIGNATURE',
  [S.NOT_OWNER]: 'NOT_OWNER',
  [S.EXPIRED]: 'EXPIRED',
  [S.REPLAYED]: 'REPLAYED',
  [S.TAKEN]: 'TAKEN',
  [S.NOT_FOUND]: 'NOT_FOUND',
  [S.STALE_CHALLENGE]: 'STALE_CHALLENGE',
  [S.RATE_LIMITED]: 'RATE_LIMITED',
});

const _POLICY: Readonly<Record<OwnershipPolicy, directoryV1.DirectoryPolicy>> = Object.freeze({
  signed: directoryV1.DirectoryPolicy.SIGNED,
  last_writer_wins: directoryV1.DirectoryPolicy.LAST_WRITER_WINS,
});

/** The error a refused reply stands for: the DirectoryError, or an InternalError for a status this client does not know. */
function _refused(reply: { status: directoryV1.DirectoryStatus; field: string; message: string }): Error {
  const code = _CODES[reply.status];
  if (code === undefined) return new InternalError(`the directory answered status ${reply.status}`);
  return new DirectoryError(code, reply.field, reply.message);
}

function _written(r: directoryV1.WriteReply): number {
  if (r.status !== S.OK) throw _refused(r);
  return Number(r.sequence);
}

/** {@link DirectoryClient} over the platform's client proxy. */
export class BusDirectoryClient implements DirectoryClient {
  constructor(private readonly proxy: BusClientProxy) {}

  async challenge(): Promise<Uint8Array> {
    const r = await this.proxy.call(DIRECTORY_ROUTES.challenge, { $typeName: 'tacit.directory.v1.ChallengeRequest' });
    return r.challenge;
  }

  async register(req: DirectoryRegister): Promise<number> {
    return _written(
      await this.proxy.call(DIRECTORY_ROUTES.register, {
        $typeName: 'tacit.directory.v1.RegisterRequest',
        policy: _POLICY[req.policy],
        lookupKey: req.lookupKey,
        record: req.record,
        controlKey: req.controlKey,
        challenge: req.challenge,
        proof: req.proof,
        requester: req.requester,
      }),
    );
  }

  async lookup(req: DirectoryAddress): Promise<DirectoryLookup> {
    const r = await this.proxy.call(DIRECTORY_ROUTES.lookup, {
      $typeName: 'tacit.directory.v1.LookupRequest',
      policy: _POLICY[req.policy],
      lookupKey: req.lookupKey,
      requester: req.requester,
    });
    if (r.status !== S.OK) throw _refused(r);
    if (r.record.length === 0) throw new InternalError('the directory answered OK without a record');
    return { record: r.record, sequence: Number(r.sequence) };
  }

  async transfer(req: DirectoryTransfer): Promise<number> {
    return _written(
      await this.proxy.call(DIRECTORY_ROUTES.transfer, {
        $typeName: 'tacit.directory.v1.TransferRequest',
        policy: _POLICY[req.policy],
        lookupKey: req.lookupKey,
        grant: req.grant,
        record: req.record,
        challenge: req.challenge,
        proof: req.proof,
        requester: req.requester,
      }),
    );
  }

  async release(req: DirectoryRelease): Promise<number> {
    return _written(
      await this.proxy.call(DIRECTORY_ROUTES.release, {
        $typeName: 'tacit.directory.v1.ReleaseRequest',
        policy: _POLICY[req.policy],
        lookupKey: req.lookupKey,
        grant: req.grant,
        requester: req.requester,
      }),
    );
  }
}
