// The gateway alone, as the cluster runs it: NATS to reach the queue and other replicas, Redis for
// limits and dedup shared by all replicas. (The single node is services/node.)
import { createLogger, HealthRegistry, loadConfigOrExit, Metrics, NatsBus } from '@tacit/kit';
import { gatewayConfigSchema } from './config.js';
import { runGateway } from './wiring.js';

const config = loadConfigOrExit(gatewayConfigSchema);
const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL, logClientIps: config.GATEWAY_LOG_CLIENT_IPS });
if (!config.NATS_URL || !config.REDIS_URL) {
  log.error('config_invalid', { missing: [!config.NATS_URL && 'NATS_URL', !config.REDIS_URL && 'REDIS_URL'].filter(Boolean) });
  process.exit(78);
}
const metrics = new Metrics({ service: 'gateway' });
const health = new HealthRegistry();
const bus = await NatsBus.connect({ url: config.NATS_URL, name: 'tacit-gateway', waitOnFirstConnect: true });
health.addReadiness('nats', () => bus.check());
const gw = await runGateway({ config, bus, log, metrics, health });
log.info('gateway_listening', { url: gw.url });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info('gateway_draining', { signal, connections: gw.gateway.connectionCount });
    void gw
      .stop()
      .then(() => bus.close())
      .finally(() => process.exit(0));
  });
}
