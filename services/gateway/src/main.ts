// The gateway alone, as the cluster runs it: NATS to reach the queue and other replicas, Redis for
// limits and dedup shared by all replicas. (The node composes the same GatewayModule in one process.)
import { runService } from '@tacit/platform';
import { gatewayService } from './service.js';

await runService(gatewayService);
