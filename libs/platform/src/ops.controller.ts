import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { HealthRegistry, HealthReport, Metrics } from '@tacit/kit';
import { HEALTH, METRICS } from './tokens.js';

/**
 * The ops surface every service mounts the same way, on its own listener (OPS_HOST:OPS_PORT, never
 * the public port): /healthz — the process runs (liveness); /readyz — it may take traffic (every
 * readiness check passes, and it is not shutting down); /metrics — Prometheus text. Answers name
 * checks and their state only, never an error's text (a prober is not the place for it).
 */
@Controller()
export class OpsController {
  constructor(
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  @Get('healthz')
  @HealthCheck()
  live() {
    return this.#report(this.health.liveness());
  }

  @Get('readyz')
  @HealthCheck()
  async ready() {
    return this.#report(await this.health.readiness());
  }

  @Get('metrics')
  @Header('cache-control', 'no-store')
  async scrape(@Res({ passthrough: true }) res: ServerResponse): Promise<string> {
    const text = await this.metrics.text();
    res.setHeader('content-type', this.metrics.contentType);
    return text;
  }

  /** Terminus's answer (200, or 503 with the failing checks) for a report of the kit's registry. */
  #report(report: HealthReport) {
    const results: HealthIndicatorResult[] = report.checks.map((c) => {
      const session = this.indicators.check(c.name);
      return c.ok ? session.up() : session.down();
    });
    return this.terminus.check(results.map((r) => () => r));
  }
}
