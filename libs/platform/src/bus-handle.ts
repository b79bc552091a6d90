import { MessagePattern } from '@nestjs/microservices';
import type { BusHeaders } from '@tacit/kit';
import type { BusRoute } from '@tacit/proto';
import { BaseRpcContext } from '@nestjs/microservices';

/** The `extras` a {@link BusHandle} leaves on its handler, read by the bus transport. */
export interface BusHandleExtras {
  readonly route: BusRoute;
  readonly queue: string | undefined;
}

/**
 * Serves `route` on the bus: a `@MessagePattern` on the route's subject and queue group. The bus
 * transport decodes the request into the route's message before the handler runs and encodes the
 * reply it returns; a typed error the handler throws reaches the caller as the same class.
 */
export function BusHandle(route: BusRoute): MethodDecorator {
  const extras: BusHandleExtras = { route, queue: route.queue };
  return MessagePattern(route.subject, extras);
}

/** The context of one bus request, as `@Ctx()` gives it: the subject it came on and its headers. */
export class BusContext extends BaseRpcContext<[string, BusHeaders | undefined]> {
  /** The subject the request came on. */
  getSubject(): string {
    return this.args[0];
  }

  /** Its headers (trace context), if any. */
  getHeaders(): BusHeaders | undefined {
    return this.args[1];
  }
}
