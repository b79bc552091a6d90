/**
 * A provider that opens its own listener (the gateway's client port) once the service is whole:
 * every module initialised, bus handlers serving, ops listener up. Nest's onApplicationBootstrap
 * comes before the bus transport listens, so a client could otherwise arrive before the service
 * could answer it. Stop it in beforeApplicationShutdown (the drain) and after.
 */
export interface OnServiceStart {
  onServiceStart(): Promise<void> | void;
}

/** True when `x` implements {@link OnServiceStart}. */
export function hasServiceStart(x: unknown): x is OnServiceStart {
  return typeof (x as Partial<OnServiceStart> | null)?.onServiceStart === 'function';
}
