import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { DEFAULT_REQUEST_TIMEOUT_MS, SpanKind, tracingEnabled, withSpan, type Bus } from '@tacit/kit';
import { create, encodeMessage, fromBinary, type BusRoute, type MessageInitShape, type MessageShape } from '@tacit/proto';
import { lastValueFrom } from 'rxjs';

/** Options of {@link BusClientProxy}. */
export interface BusClientProxyOptions {
  /** Per-request timeout (default the bus's, 5000 ms). */
  timeoutMs?: number;
}

/**
 * The `@nestjs/microservices` client proxy on the kit Bus: `send(subject, bytes)` is a bus request
 * (a typed error arrives as the observable's error, the same class), `emit` a bus publish. Client
 * libraries use {@link call}, which takes and returns the route's protobuf messages.
 */
export class BusClientProxy extends ClientProxy {
  readonly #bus: Bus;
  readonly #timeoutMs: number;

  constructor(bus: Bus, opts: BusClientProxyOptions = {}) {
    super();
    this.#bus = bus;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The bus is connected by the shell before any client exists. */
  connect(): Promise<Bus> {
    return Promise.resolve(this.#bus);
  }

  /** The bus belongs to the shell, which closes it last. */
  close(): void {}

  unwrap<T>(): T {
    return this.#bus as T;
  }

  /**
   * Sends `request` on `route` and resolves to its decoded reply; rejects with the typed error the
   * server threw. A message literal with `$typeName` is encoded as is (create() would first copy
   * every field by reflection, which a batch of hundreds of packets notices).
   */
  call<Req extends BusRoute['request'], Rep extends BusRoute['reply']>(
    route: BusRoute<Req, Rep>,
    request: MessageShape<Req> | MessageInitShape<Req>,
  ): Promise<MessageShape<Rep>> {
    const send = async (): Promise<MessageShape<Rep>> => {
      const message = '$typeName' in request ? (request as MessageShape<Req>) : create(route.request, request);
      const bytes = await lastValueFrom(this.send<Uint8Array, Uint8Array>(route.subject, encodeMessage(route.request, message)));
      return fromBinary(route.reply, bytes);
    };
    return tracingEnabled() ? withSpan(route.subject, send, { kind: SpanKind.CLIENT, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': route.subject } }) : send();
  }

  protected publish(packet: ReadPacket<Uint8Array>, callback: (packet: WritePacket) => void): () => void {
    this.#bus.request(String(packet.pattern), packet.data, { timeoutMs: this.#timeoutMs }).then(
      (response) => callback({ response, isDisposed: true }),
      (err: unknown) => callback({ err, isDisposed: true }),
    );
    // A bus request cannot be withdrawn once published: unsubscribing only drops its answer.
    return () => {};
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket<Uint8Array>): Promise<T> {
    this.#bus.publish(String(packet.pattern), packet.data);
    return undefined as T;
  }
}
