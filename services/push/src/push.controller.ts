/**
 * The push service's bus API: thin handlers that take the decoded request, call one
 * {@link PushService} method and return the reply. A refused request is an outcome (status, field,
 * message in the reply), so the gateway can hand the client its typed error; bus errors are left for
 * an unavailable database and bugs.
 * @module
 */
import { Controller, Inject } from '@nestjs/common';
import { BusHandle } from '@tacit/platform';
import { PUSH_ROUTES, pushV1 } from '@tacit/proto';
import { PushError, type PushErrorCode, type PushProviderName, type PushTargetFields } from '@tacit/protocol';
import { PushService } from './push.service.js';

/** Wire status of each error code the service refuses with. */
export const CODE_TO_STATUS: Readonly<Partial<Record<PushErrorCode, pushV1.PushStatus>>> = Object.freeze({
  MALFORMED: pushV1.PushStatus.MALFORMED,
  BAD_PROOF: pushV1.PushStatus.BAD_PROOF,
  STALE: pushV1.PushStatus.STALE,
  RATE_LIMITED: pushV1.PushStatus.RATE_LIMITED,
  NOT_FOUND: pushV1.PushStatus.NOT_FOUND,
  UNSUPPORTED: pushV1.PushStatus.UNSUPPORTED,
});

const _PROVIDER: Readonly<Partial<Record<pushV1.PushProvider, PushProviderName>>> = {
  [pushV1.PushProvider.APNS]: 'apns',
  [pushV1.PushProvider.FCM]: 'fcm',
  [pushV1.PushProvider.WEB_PUSH]: 'webpush',
};

/** The wire target with its provider named; an unknown or missing provider is named '' (refused as MALFORMED). */
export function targetFields(t: pushV1.PushTarget | undefined): PushTargetFields {
  return {
    provider: (t ? _PROVIDER[t.provider] : undefined) ?? ('' as PushProviderName),
    token: t?.token ?? '',
    endpoint: t?.endpoint ?? '',
    p256dh: t?.p256dh ?? '',
    auth: t?.auth ?? '',
  };
}

/** `ms` as a number, or -1 (refused as STALE) when it cannot be one exactly. */
function _ms(ms: bigint): number {
  return ms <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ms) : -1;
}

/** The refusal `err` is as reply fields, or undefined for anything else (rethrown: a bus error). */
function _refusal(err: unknown): { status: pushV1.PushStatus; field: string; message: string } | undefined {
  if (!(err instanceof PushError)) return undefined;
  const status = CODE_TO_STATUS[err.code];
  return status === undefined ? undefined : { status, field: err.field, message: err.message };
}

@Controller()
export class PushController {
  constructor(@Inject(PushService) private readonly push: PushService) {}

  @BusHandle(PUSH_ROUTES.register)
  async register(req: pushV1.RegisterRequest): Promise<pushV1.RegisterReply> {
    const base = { $typeName: 'tacit.push.v1.RegisterReply', field: '', message: '', mailboxes: 0, expiresAtMs: 0n } as const;
    try {
      const r = await this.push.register({
        peerKey: req.peerKey,
        dests: req.dests,
        target: targetFields(req.target),
        issuedAtMs: _ms(req.issuedAtMs),
        signature: req.signature,
        requester: req.requester,
      });
      return { ...base, status: pushV1.PushStatus.OK, mailboxes: r.mailboxes, expiresAtMs: BigInt(r.expiresAtMs) };
    } catch (err) {
      const refused = _refusal(err);
      if (!refused) throw err;
      return { ...base, ...refused };
    }
  }

  @BusHandle(PUSH_ROUTES.unregister)
  async unregister(req: pushV1.UnregisterRequest): Promise<pushV1.UnregisterReply> {
    const base = { $typeName: 'tacit.push.v1.UnregisterReply', field: '', message: '' } as const;
    try {
      await this.push.unregister({ peerKey: req.peerKey, issuedAtMs: _ms(req.issuedAtMs), signature: req.signature, requester: req.requester });
      return { ...base, status: pushV1.PushStatus.OK };
    } catch (err) {
      const refused = _refusal(err);
      if (!refused) throw err;
      return { ...base, ...refused };
    }
  }
}
