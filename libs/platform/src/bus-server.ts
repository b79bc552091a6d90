import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { encodeMessage, fromBinary } from '@tacit/proto';
import {
  InvalidArgumentError,
  SpanKind,
  tracingEnabled,
  withSpan,
  type Bus,
  type BusHeaders,
  type BusSubscription,
} from '@tacit/kit';
import { lastValueFrom } from 'rxjs';
import { BusContext, type BusHandleExtras } from './bus-handle.js';

/** Transport id of {@link BusServer} (for `@MessagePattern(pattern, BUS_TRANSPORT)` if ever needed). */
export const BUS_TRANSPORT = Symbol('tacit.bus-transport');

/**
 * The `@nestjs/microservices` server strategy on the kit Bus: each `@MessagePattern` (through
 * {@link BusHandle}) is served on its subject and queue group, over NATS in the cluster and in
 * process in the node. Payloads are the protobuf messages of the handler's route; typed errors
 * travel back typed (the bus puts them in reply headers); each request runs in a span that
 * continues the caller's trace.
 */
export class BusServer extends Server implements CustomTransportStrategy {
  override readonly transportId = BUS_TRANSPORT;
  readonly #bus: Bus;
  readonly #subs: BusSubscription[] = [];
  readonly #inflight = new Set<Promise<unknown>>();

  /** Untyped handler failures (bugs) reach the bus's own onError, which the shell logs. */
  constructor(bus: Bus) {
    super();
    this.#bus = bus;
  }

  /** Serves every registered pattern; `callback` runs once all are subscribed on the bus. */
  listen(callback: (err?: unknown) => void): void {
    try {
      for (const [pattern, handler] of this.messageHandlers) {
        // A @BusHandle leaves its route and queue group; a plain @MessagePattern(subject, { queue }) its queue.
        const extras = handler.extras as Partial<BusHandleExtras> | undefined;
        const queue = extras?.queue;
        if (handler.isEventHandler) {
          this.#subs.push(
            this.#bus.subscribe(pattern, (data, subject, headers) => {
              this.#track(this.#run(handler, extras?.route, data, subject, headers)).catch(() => undefined);
            }, { queue }),
          );
        } else {
          this.#subs.push(
            this.#bus.serve(pattern, (data, subject, headers) => this.#track(this.#run(handler, extras?.route, data, subject, headers)), { queue }),
          );
        }
      }
    } catch (err) {
      return callback(err);
    }
    callback();
  }

  /** Stops serving, then waits for the requests already taken to be answered. */
  async close(): Promise<void> {
    for (const sub of this.#subs.splice(0)) sub.unsubscribe();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  on(): void {
    // The bus reports its own status (NatsBus.onStatus); the transport has no events of its own.
  }

  unwrap<T>(): T {
    return this.#bus as T;
  }

  #track<T>(work: Promise<T>): Promise<T> {
    const p = work.finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
    return p;
  }

  async #run(
    handler: MessageHandler,
    route: BusHandleExtras['route'] | undefined,
    data: Uint8Array,
    subject: string,
    headers: BusHeaders | undefined,
  ): Promise<Uint8Array> {
    const call = async (): Promise<Uint8Array> => {
      let payload: unknown = data;
      if (route) {
        try {
          payload = fromBinary(route.request, data);
        } catch (err) {
          // A decode failure describes the bytes, not a bug: the caller sent garbage.
          throw new InvalidArgumentError(`malformed ${route.request.name}`, { cause: err });
        }
      }
      const result = await lastValueFrom(this.transformToObservable(await handler(payload, new BusContext([subject, headers]))));
      if (!route) return result as Uint8Array;
      return encodeMessage(route.reply, result as never);
    };
    // The caller's trace context is already active (the bus extracted it): the span continues it.
    return tracingEnabled() ? withSpan(subject, call, { kind: SpanKind.SERVER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': route?.subject ?? subject } }) : call();
  }
}
