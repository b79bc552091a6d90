// One error class per failure, each with a `name` that survives serialisation and a `cause`.

/** A server binary is not installed; the message names it and says how to install it. */
export class MissingServerError extends Error {
  override readonly name = 'MissingServerError';
  constructor(
    /** The executable that was looked for, e.g. `nats-server`. */
    readonly binary: string,
    /** Every folder that was searched, in order. */
    readonly searched: readonly string[],
    hint = 'bash scripts/setup.sh',
  ) {
    super(`"${binary}" not found (searched ${searched.join(', ') || 'nothing'}); install it with: ${hint}`);
  }
}

/** A server did not become ready in time or exited while starting; the message ends with its log tail. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(
    readonly server: string,
    reason: string,
    /** The last lines of the server's log. */
    readonly logTail: string,
    options?: { cause?: unknown },
  ) {
    super(`${server}: ${reason}\n--- last lines of its log ---\n${logTail}`, options);
  }
}

/** Jaeger's query API answered a request with an error; the message quotes Jaeger's own. */
export class JaegerQueryError extends Error {
  override readonly name = 'JaegerQueryError';
  constructor(
    /** The query URL that failed. */
    readonly url: string,
    /** Its HTTP status. */
    readonly status: number,
    /** Jaeger's error messages (or the start of the body when it was not Jaeger's JSON). */
    readonly messages: readonly string[],
  ) {
    super(`Jaeger query ${url} answered ${status}: ${messages.join('; ') || '(no message)'}`);
  }
}
