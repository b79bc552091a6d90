/**
 * How queued events reach {@link PushService.onQueued}. A gateway publishes QueuedEvent on
 * tacit.push.v1.queued as a plain NATS publish, never awaited on its send path. On NATS a JetStream
 * stream keeps the events and a durable pull consumer, shared by every replica, hands them out; an
 * event is acknowledged only once its wake state is in the database, so a push service that stops
 * (or crashes) with events in the stream finds them there when it starts again. On the in-process bus
 * (the one-container node) the events come through the Bus; the wake state they lead to lives in the
 * database, so a node restart keeps pending wakes.
 * @module
 */
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg, StreamConfig } from '@nats-io/jetstream';
import type { Bus, BusSubscription } from '@tacit/kit';
import { fromBinary, PUSH_GROUP, PUSH_SUBJECTS, pushV1 } from '@tacit/proto';
import { MAILBOX_ID_LEN } from '@tacit/protocol';

/** Told what the intake could not do (never ids). */
export interface IntakeLog {
  warn(event: string, fields?: Record<string, unknown>): void;
}

/** Counts of an intake (metrics read them). */
export interface IntakeStats {
  /** Events recorded (and, on JetStream, acknowledged). */
  taken: number;
  /** Events that did not decode or name no mailbox id: dropped. */
  malformed: number;
  /** Events whose record failed (JetStream: redelivered after a delay; in process: lost). */
  failed: number;
  /** In-process events dropped because the intake queue was full. */
  dropped: number;
}

/** Takes queued events from the bus or a stream. */
export interface PushIntake {
  start(): Promise<void>;
  /** Stops taking events and waits for those being recorded. */
  stop(): Promise<void>;
  stats(): IntakeStats;
}

/** The QueuedEvent's mailbox id, or undefined when it does not decode. */
function _mailboxId(data: Uint8Array): Uint8Array | undefined {
  try {
    return fromBinary(pushV1.QueuedEventSchema, data).mailboxId;
  } catch {
    return undefined;
  }
}

/**
 * What an intake hands a page of events to: resolves once their wake state is recorded, with how
 * many of the ids were malformed (skipped).
 */
export type QueuedPageHandler = (mailboxIds: Uint8Array[]) => Promise<{ malformed: number }>;

/**
 * Items waiting for pages: up to `parallel` workers each take up to `page` of them at a time and
 * hand them to `record` (which must not throw), until none wait. A worker ending starts another if
 * items arrived meanwhile, so none is left behind.
 */
class _PagePump<T> {
  readonly #queue: T[] = [];
  readonly #workers = new Set<Promise<void>>();
  constructor(
    private readonly parallel: number,
    private readonly page: number,
    private readonly record: (page: T[]) => Promise<void>,
  ) {}

  get length(): number {
    return this.#queue.length;
  }

  push(item: T): void {
    this.#queue.push(item);
    this.#kick();
  }

  #kick(): void {
    if (this.#queue.length === 0 || this.#workers.size >= this.parallel) return;
    const w = this.#work().finally(() => {
      this.#workers.delete(w);
      this.#kick();
    });
    this.#workers.add(w);
  }

  async #work(): Promise<void> {
    for (let page = this.#queue.splice(0, this.page); page.length > 0; page = this.#queue.splice(0, this.page)) await this.record(page);
  }

  /** Resolves once every waiting item has been recorded. */
  async drained(): Promise<void> {
    while (this.#workers.size > 0) await Promise.allSettled([...this.#workers]);
  }
}

/** Options of {@link BusIntake}. */
export interface BusIntakeOptions {
  /** Events waiting to be recorded at most; more are dropped and counted (default 10 000). */
  maxQueued?: number;
  /** Pages recorded at once (default 4). */
  parallel?: number;
  /** Events per page, each page one database statement (default 256). */
  page?: number;
  log?: IntakeLog;
}

/** The in-process bus's events, through a bounded queue, so a burst never grows memory without end. */
export class BusIntake implements PushIntake {
  readonly #maxQueued: number;
  readonly #log: IntakeLog;
  readonly #pages: _PagePump<Uint8Array>;
  readonly #stats: IntakeStats = { taken: 0, malformed: 0, failed: 0, dropped: 0 };
  #sub: BusSubscription | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly handler: QueuedPageHandler,
    opts: BusIntakeOptions = {},
  ) {
    this.#maxQueued = opts.maxQueued ?? 10_000;
    this.#log = opts.log ?? { warn: () => undefined };
    this.#pages = new _PagePump(opts.parallel ?? 4, opts.page ?? 256, (page) => this.#record(page));
  }

  async start(): Promise<void> {
    // In a queue group: replicas on a plain NATS bus take each event once between them.
    this.#sub = this.bus.subscribe(PUSH_SUBJECTS.queued, (data) => this.#take(data), { queue: PUSH_GROUP });
    await this.bus.settled();
  }

  #take(data: Uint8Array): void {
    const id = _mailboxId(data);
    if (!id || id.length === 0) {
      this.#stats.malformed++;
      return;
    }
    if (this.#pages.length >= this.#maxQueued) {
      this.#stats.dropped++;
      return;
    }
    this.#pages.push(id.slice());
  }

  // Pages, not events: one statement records what queued meanwhile, so a burst of packets costs the
  // event loop and database they share with the queue a statement per page (the bench's durable
  // enqueue with a provider configured: PUSH_INTAKE_PAGE in docs/benchmarks.md).
  async #record(page: Uint8Array[]): Promise<void> {
    try {
      const { malformed } = await this.handler(page);
      this.#stats.taken += page.length - malformed;
      this.#stats.malformed += malformed;
    } catch (err) {
      this.#stats.failed += page.length;
      this.#log.warn('push_event_failed', { error: err instanceof Error ? err.name : 'unknown' });
    }
  }

  async stop(): Promise<void> {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    await this.#pages.drained();
  }

  stats(): IntakeStats {
    return { ...this.#stats };
  }

  /** Events waiting to be recorded. */
  get queued(): number {
    return this.#pages.length;
  }
}

/** The push service's stream and consumer names and bounds. */
export interface JetStreamIntakeOptions {
  /** Stream name (default TACIT_PUSH). */
  stream?: string;
  /** Durable consumer name, shared by every replica (default push). */
  consumer?: string;
  /** Events older than this are dropped by the server (default 1 h: a wake that late is pointless). */
  maxAgeMs?: number;
  /** Events kept at most; the oldest go first (default 1 000 000). */
  maxMsgs?: number;
  /** Bytes kept at most; the oldest go first (default 256 MiB). */
  maxBytes?: number;
  /** An event not acknowledged in this long is delivered again (default 30 s). */
  ackWaitMs?: number;
  /** Events pulled at once (default 64). */
  batch?: number;
  /** Wait before an event whose record failed is delivered again (default 1 s). */
  retryDelayMs?: number;
  /** Pages recorded at once (default 4). */
  parallel?: number;
  /** Events per page, each page one database statement, acknowledged once it is recorded (default 256). */
  page?: number;
  log?: IntakeLog;
}

const _NS_PER_MS = 1_000_000;

/** Queued events from a JetStream work-queue stream through a durable pull consumer. */
export class JetStreamIntake implements PushIntake {
  readonly #opts: Required<Omit<JetStreamIntakeOptions, 'log'>>;
  readonly #log: IntakeLog;
  readonly #stats: IntakeStats = { taken: 0, malformed: 0, failed: 0, dropped: 0 };
  /** Events pulled and waiting for a page; at most max_ack_pending (the server holds back the rest). */
  readonly #pages: _PagePump<{ m: JsMsg; id: Uint8Array }>;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly handler: QueuedPageHandler,
    opts: JetStreamIntakeOptions = {},
  ) {
    this.#opts = {
      stream: opts.stream ?? 'TACIT_PUSH',
      consumer: opts.consumer ?? 'push',
      maxAgeMs: opts.maxAgeMs ?? 3_600_000,
      maxMsgs: opts.maxMsgs ?? 1_000_000,
      maxBytes: opts.maxBytes ?? 256 * 2 ** 20,
      ackWaitMs: opts.ackWaitMs ?? 30_000,
      batch: opts.batch ?? 64,
      retryDelayMs: opts.retryDelayMs ?? 1000,
      parallel: opts.parallel ?? 4,
      page: opts.page ?? 256,
    };
    this.#log = opts.log ?? { warn: () => undefined };
    this.#pages = new _PagePump(this.#opts.parallel, this.#opts.page, (page) => this.#record(page));
  }

  /** The stream's settings (created, or updated to these, at start). */
  streamConfig(): Partial<StreamConfig> & { name: string } {
    return {
      name: this.#opts.stream,
      subjects: [PUSH_SUBJECTS.queued],
      retention: 'workqueue',
      storage: 'file',
      discard: 'old',
      max_age: this.#opts.maxAgeMs * _NS_PER_MS,
      max_msgs: this.#opts.maxMsgs,
      max_bytes: this.#opts.maxBytes,
    };
  }

  async start(): Promise<void> {
    const cfg = this.streamConfig();
    try {
      await this.jsm.streams.info(cfg.name);
      await this.jsm.streams.update(cfg.name, cfg);
    } catch (err) {
      if (!/not found/i.test((err as Error).message ?? '')) throw err;
      await this.jsm.streams.add(cfg);
    }
    const consumerConfig = {
      durable_name: this.#opts.consumer,
      ack_policy: 'explicit',
      ack_wait: this.#opts.ackWaitMs * _NS_PER_MS,
      max_ack_pending: this.#opts.batch * 16,
    } as const;
    try {
      await this.jsm.consumers.info(cfg.name, this.#opts.consumer);
      // Another version's settings (a new ack wait, say): the durable keeps its place in the stream.
      await this.jsm.consumers.update(cfg.name, this.#opts.consumer, { ack_wait: consumerConfig.ack_wait, max_ack_pending: consumerConfig.max_ack_pending });
    } catch (err) {
      if (!/not found/i.test((err as Error).message ?? '')) throw err;
      await this.jsm.consumers.add(cfg.name, consumerConfig);
    }
    const consumer = await this.js.consumers.get(cfg.name, this.#opts.consumer);
    const messages = await consumer.consume({ max_messages: this.#opts.batch });
    this.#messages = messages;
    this.#loop = this.#run(messages);
  }

  async #run(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) this.#take(m);
  }

  #take(m: JsMsg): void {
    const id = _mailboxId(m.data);
    // A mailbox id of the wrong length will never record: it is not kept, nor redelivered.
    if (!id || id.length !== MAILBOX_ID_LEN) {
      this.#stats.malformed++;
      m.term();
      return;
    }
    this.#pages.push({ m, id });
  }

  // Pages, as BusIntake: what was pulled meanwhile is one statement. Acknowledged after the record: a
  // stop or a crash before the acks redelivers the page, and marking it again only finds the wake
  // already pending.
  async #record(page: Array<{ m: JsMsg; id: Uint8Array }>): Promise<void> {
    let malformed: number;
    try {
      ({ malformed } = await this.handler(page.map((e) => e.id)));
    } catch (err) {
      this.#stats.failed += page.length;
      this.#log.warn('push_event_failed', { error: err instanceof Error ? err.name : 'unknown' });
      for (const e of page) e.m.nak(this.#opts.retryDelayMs);
      return;
    }
    this.#stats.malformed += malformed;
    await Promise.all(page.map((e) => e.m.ackAck().catch(() => e.m.ack())));
    this.#stats.taken += page.length - malformed;
  }

  async stop(): Promise<void> {
    await this.#messages?.close().catch(() => undefined);
    await this.#loop?.catch(() => undefined);
    await this.#pages.drained();
    this.#messages = undefined;
    this.#loop = undefined;
  }

  stats(): IntakeStats {
    return { ...this.#stats };
  }
}
