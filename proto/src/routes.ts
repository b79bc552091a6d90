// A request/reply API on the bus, named once: its subject, the queue group its servers share, and
// the protobuf message each way. The server (a @MessagePattern handler through the platform's bus
// transport) decodes requests and encodes replies with it; the client library does the reverse, so
// neither side can name a subject or a message the other does not expect.
import type { DescMessage } from '@bufbuild/protobuf';

/** One request/reply subject of a service. */
export interface BusRoute<Req extends DescMessage = DescMessage, Rep extends DescMessage = DescMessage> {
  /** The subject requests are sent to, e.g. `tacit.queue.v1.enqueue`. */
  readonly subject: string;
  /** Queue group the service's replicas serve it in (each request reaches one), or none (all). */
  readonly queue: string | undefined;
  /** The request message. */
  readonly request: Req;
  /** The reply message. */
  readonly reply: Rep;
}

/** Defines a {@link BusRoute}. */
export function busRoute<Req extends DescMessage, Rep extends DescMessage>(
  subject: string,
  request: Req,
  reply: Rep,
  queue?: string,
): BusRoute<Req, Rep> {
  return Object.freeze({ subject, queue, request, reply });
}
