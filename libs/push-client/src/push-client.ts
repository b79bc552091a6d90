/**
 * How other services (the gateway) call the push service: {@link PushClient}, and
 * {@link BusPushClient}, its implementation over the bus (NATS in the cluster, in process in the
 * node). A refusal in a reply (a PushStatus other than OK) comes back as a typed {@link PushError}
 * whose code is the status's name without its prefix; bus failures as kit's typed errors
 * (UnavailableError, TimeoutError, NoRespondersError, …). And the one event a gateway publishes:
 * {@link PushClient.publishQueued}.
 * @module
 */
import type { Bus } from '@tacit/kit';
import type { BusClientProxy } from '@tacit/platform';
import { PUSH_ROUTES, PUSH_SUBJECTS, pushV1 } from '@tacit/proto';
import { MAILBOX_ID_LEN, PushError, type PushErrorCode } from '@tacit/protocol';

/** The push service as its callers see it. */
export interface PushClient {
  /** Binds the request's mailboxes to its target; the service's reply. Throws PushError when refused. */
  register(req: pushV1.RegisterRequest): Promise<pushV1.RegisterReply>;
  /** Removes what the peer key registered. Throws PushError when refused (NOT_FOUND: nothing was). */
  unregister(req: pushV1.UnregisterRequest): Promise<pushV1.UnregisterReply>;
  /**
   * Tells the push service a packet was queued for `mailboxId` (16 bytes) while nobody held it:
   * published without a reply, never waited for (a bus publish is a write into the connection's
   * buffer). Throws only what the bus throws at once (a closed connection), or RangeError for a
   * mailbox id of the wrong length.
   */
  publishQueued(mailboxId: Uint8Array): void;
}

const _CODES: Readonly<Record<number, PushErrorCode>> = Object.freeze({
  [pushV1.PushStatus.MALFORMED]: 'MALFORMED',
  [pushV1.PushStatus.BAD_PROOF]: 'BAD_PROOF',
  [pushV1.PushStatus.STALE]: 'STALE',
  [pushV1.PushStatus.RATE_LIMITED]: 'RATE_LIMITED',
  [pushV1.PushStatus.NOT_FOUND]: 'NOT_FOUND',
  [pushV1.PushStatus.UNSUPPORTED]: 'UNSUPPORTED',
});

/** The PushError a refused reply stands for (a status this version does not know is INTERNAL). */
function _refused(reply: { status: pushV1.PushStatus; field: string; message: string }): PushError {
  const code = _CODES[reply.status];
  if (code === undefined) return new PushError('INTERNAL', 'status', `the push service answered status ${reply.status}`);
  return new PushError(code, reply.field, reply.message);
}

/** Tag of QueuedEvent.mailbox_id (field 1, length-delimited) and the length byte of a 16-byte id. */
const _QUEUED_HEAD = Uint8Array.of((1 << 3) | 2, MAILBOX_ID_LEN);

/**
 * The protobuf encoding of `QueuedEvent{mailbox_id}`, written by hand: a send path calls it, and
 * toBinary's reflection costs microseconds for what is two bytes and a copy (the spec pins it
 * against toBinary).
 */
export function encodeQueuedEvent(mailboxId: Uint8Array): Uint8Array {
  if (mailboxId.length !== MAILBOX_ID_LEN) throw new RangeError(`"mailboxId" expected ${MAILBOX_ID_LEN} bytes, got ${mailboxId.length}`);
  const out = new Uint8Array(2 + MAILBOX_ID_LEN);
  out.set(_QUEUED_HEAD, 0);
  out.set(mailboxId, 2);
  return out;
}

/** {@link PushClient} over the platform's client proxy (and its bus, for the event). */
export class BusPushClient implements PushClient {
  readonly #bus: Bus;

  constructor(private readonly proxy: BusClientProxy) {
    this.#bus = proxy.unwrap<Bus>();
  }

  async register(req: pushV1.RegisterRequest): Promise<pushV1.RegisterReply> {
    const r = await this.proxy.call(PUSH_ROUTES.register, req);
    if (r.status !== pushV1.PushStatus.OK) throw _refused(r);
    return r;
  }

  async unregister(req: pushV1.UnregisterRequest): Promise<pushV1.UnregisterReply> {
    const r = await this.proxy.call(PUSH_ROUTES.unregister, req);
    if (r.status !== pushV1.PushStatus.OK) throw _refused(r);
    return r;
  }

  publishQueued(mailboxId: Uint8Array): void {
    this.#bus.publish(PUSH_SUBJECTS.queued, encodeQueuedEvent(mailboxId));
  }
}
