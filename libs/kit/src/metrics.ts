/**
 * Prometheus metrics: a registry per process, metric names prefixed `tacit_<service>_`, and the
 * default process metrics (CPU, memory, event-loop lag, GC). Labels never carry user data:
 * no hashes, keys or addresses, only bounded sets (subject, outcome, code).
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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
    return this.#getOrCreate(cfg.name, Counter, () => new Counter<L>(this.#base(cfg)));
  }

  /** A gauge named `<prefix><name>`; returns the existing one if already registered. */
  gauge<L extends string = string>(cfg: MetricConfig<L>): Gauge<L> {
    return this.#getOrCreate(cfg.name, Gauge, () => new Gauge<L>(this.#base(cfg)));
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

  /** Every metric in Prometheus text exposition format. */
  text(): Promise<string> {
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
