/**
 * Prometheus metrics: a registry per process, metric names prefixed `tacit_<service>_`, and the
 * default process metrics (CPU, memory, event-loop lag, GC). Labels never carry user data:
 * no hashes, keys or addresses, only bounded sets (subject, outcome, code).
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client';

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Service name: metric names get the prefix `tacit_<service>_`, every series the label `service`. */
  service: string;
  /** Collect the default process metrics (default true); they keep their standard unprefixed names. */
  defaultMetrics?: boolean;
  /** Registry to use (default: a new one, so tests and co-hosted processes never collide). */
  registry?: Registry;
}

/** Shape of a metric's definition; `name` is without the service prefix. */
export interface MetricConfig<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** Histogram definition; `buckets` in the metric's unit (seconds for durations). */
export interface HistogramConfig<L extends string> extends MetricConfig<L> {
  buckets?: readonly number[];
}

/**
 * One labelled series of a counter, for hot paths: {@link CounterCell.inc} adds to a plain number,
 * which the counter takes in whenever it is read (a scrape, `get()`). A prom-client `inc` hashes
 * and checks the labels on every call: ~4% of a gateway's CPU when counting every frame and packet.
 */
export interface CounterCell {
  inc(value?: number): void;
}

interface _Cell {
  labels: LabelValues<string> | undefined;
  pending: number;
}

const _cells = new WeakMap<object, _Cell[]>();

// A counter's `collect`: moves what its cells counted into it (prom-client calls it with the counter as `this`).
function _drainCells(this: Counter<string>): void {
  for (const c of _cells.get(this) ?? []) {
    if (c.pending === 0) continue;
    const n = c.pending;
    c.pending = 0;
    if (c.labels) this.inc(c.labels, n);
    else this.inc(n);
  }
}

const _samplers = new WeakMap<object, () => number>();
// Per registry, so every Metrics made by forService() on it shares the hooks.
const _collectHooks = new WeakMap<Registry, Array<() => void>>();

// A gauge's `collect`: sets it from its sampler, if it has one.
function _sampleGauge(this: Gauge<string>): void {
  const sample = _samplers.get(this);
  if (sample) this.set(sample());
}

/** Builds prefixed counters, gauges and histograms on one registry. */
export class Metrics {
  /** The prom-client registry, for anything the helpers do not cover. */
  readonly registry: Registry;
  /** Prefix put before every metric name, e.g. `tacit_queue_`. */
  readonly prefix: string;

  constructor(opts: MetricsOptions) {
    this.registry = opts.registry ?? new Registry();
    this.prefix = _prefixFor(opts.service);
    if (!opts.registry) {
      this.registry.setDefaultLabels({ service: opts.service });
      if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    }
  }

  /**
   * Metrics for another service on the same registry: in the single-process node, every service
   * keeps the metric names it has in the cluster.
   */
  forService(service: string): Metrics {
    return new Metrics({ service, registry: this.registry, defaultMetrics: false });
  }

  /** A counter named `<prefix><name>`; returns the existing one if already registered. */
  counter<L extends string = string>(cfg: MetricConfig<L>): Counter<L> {
    return this.#getOrCreate(cfg.name, Counter, () => {
      const counter = new Counter<L>({ ...this.#base(cfg), collect: _drainCells });
      _cells.set(counter, []);
      return counter;
    });
  }

  /**
   * A {@link CounterCell} of `counter` (made by {@link counter}) for the series `labels`: counts that
   * reach the counter when it is read. Make cells once and keep them; each stays registered.
   */
  static cell<L extends string>(counter: Counter<L>, labels?: LabelValues<L>): CounterCell {
    const cells = _cells.get(counter);
    if (!cells) throw new TypeError('"counter" expected a counter made by Metrics.counter()');
    const cell: _Cell = { labels: labels as LabelValues<string> | undefined, pending: 0 };
    // Labels are checked now, once: a wrong name would otherwise only fail at a scrape.
    if (labels) counter.inc(labels, 0);
    cells.push(cell);
    return {
      inc(value = 1): void {
        cell.pending += value;
      },
    };
  }

  /** A gauge named `<prefix><name>`; returns the existing one if already registered. */
  gauge<L extends string = string>(cfg: MetricConfig<L>): Gauge<L> {
    return this.#getOrCreate(cfg.name, Gauge, () => new Gauge<L>({ ...this.#base(cfg), collect: _sampleGauge }));
  }

  /**
   * Makes `gauge` (made by {@link gauge}, without labels) read `sample()` whenever it is read (a
   * scrape, `get()`): for a figure that is cheaper to compute when asked than to keep current.
   */
  static sample(gauge: Gauge<string>, sample: () => number): void {
    _samplers.set(gauge, sample);
  }

  /** A histogram named `<prefix><name>`; returns the existing one if already registered. */
  histogram<L extends string = string>(cfg: HistogramConfig<L>): Histogram<L> {
    return this.#getOrCreate(
      cfg.name,
      Histogram,
      () => new Histogram<L>({ ...this.#base(cfg), ...(cfg.buckets ? { buckets: [...cfg.buckets] } : {}) }),
    );
  }

  /** Content-Type of {@link Metrics.text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Runs `collect` before every {@link text}: for figures a service keeps as plain counters and
   * hands over when scraped (the queue's stats). Returns the function that removes it.
   */
  onCollect(collect: () => void): () => void {
    const hooks = _collectHooks.get(this.registry) ?? [];
    _collectHooks.set(this.registry, hooks);
    hooks.push(collect);
    return () => hooks.splice(hooks.indexOf(collect) >>> 0, 1);
  }

  /** Every metric in Prometheus text exposition format. */
  text(): Promise<string> {
    for (const hook of _collectHooks.get(this.registry) ?? []) hook();
    return this.registry.metrics();
  }

  #base<L extends string>(cfg: MetricConfig<L>): { name: string; help: string; labelNames: L[]; registers: Registry[] } {
    return { name: this.prefix + cfg.name, help: cfg.help, labelNames: [...(cfg.labelNames ?? [])], registers: [this.registry] };
  }

  #getOrCreate<M>(name: string, Kind: abstract new (...args: never[]) => M, create: () => M): M {
    const existing = this.registry.getSingleMetric(this.prefix + name);
    if (existing === undefined) return create();
    if (existing instanceof Kind) return existing;
    throw new TypeError(`"${this.prefix + name}" is already registered as another metric type`);
  }
}

function _prefixFor(service: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(service)) {
    throw new RangeError(`"service" expected lowercase letters, digits and _, got ${JSON.stringify(service)}`);
  }
  return `tacit_${service}_`;
}
