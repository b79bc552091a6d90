// A driver is the only system-specific part of a load run: how a client connects and registers,
// how it wraps a payload into the system's frame, how it unwraps a received frame and acks it.
// Drivers run inside the load-generator child process, so they are named by module URL and get
// JSON options, never closures.

/** How a client opens its socket (the idle harness spreads source addresses over 127.0.0.x). */
export interface ConnectOptions {
  /** Source address to bind, e.g. "127.0.0.2"; default lets the OS choose. */
  localAddress?: string;
}

/** Something that can be closed; close must not throw. */
export interface DriverClient {
  close(): void;
}

/** The sending half of a pair. */
export interface DriverSender extends DriverClient {
  /**
   * True when the system confirms each accepted send; the driver then calls the `onAccepted`
   * given to `openSender` once per confirmed send, in any order, with the time from the send to
   * its confirmation (ms) as the client saw it.
   */
  readonly acknowledges: boolean;
  /** Sends one 256-byte bench payload to the receiver of this sender's pair. */
  send(payload: Uint8Array): void;
}

/** The system-specific client side, created in the load child by `createDriver(options)`. */
export interface LoadDriver {
  /**
   * Connects the receiver of pair `pair` to `url` and registers (or claims) its address. Resolves
   * when the system has accepted the registration, or, when it does not confirm one, once it is
   * sent; the load generator then calls `awaitReceivers` if present. `onPayload` gets the bench
   * payload of each delivered packet; acking deliveries is the driver's business.
   */
  openReceiver(
    pair: number,
    url: string,
    onPayload: (payload: Uint8Array) => void,
    options?: ConnectOptions,
  ): Promise<DriverClient>;
  /** Connects the sender of pair `pair` to `url`. */
  openSender(pair: number, url: string, onAccepted: (ms: number) => void, options?: ConnectOptions): Promise<DriverSender>;
  /** For systems that do not confirm registration: resolves once `count` receivers are live. */
  awaitReceivers?(count: number, timeoutMs: number): Promise<void>;
  /** For systems that do not confirm sends: how many packets the server holds queued now. */
  queuedCount?(): Promise<number>;
}

/** What a driver module exports. `options` is the target's `driverOptions` (JSON). */
export type CreateDriver = (options: Record<string, unknown>) => LoadDriver;

/** A driver named by module URL (loaded in the child) plus the JSON options it is created with. */
export interface DriverRef {
  module: string;
  options?: Record<string, unknown>;
}
