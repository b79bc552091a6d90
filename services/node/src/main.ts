// `npm start`: the one-container node. Prints its URL; SIGTERM/SIGINT drain it gracefully (exit 0);
// a bad setting stops it with one line naming every bad variable (exit 78).
import { runService } from '@tacit/platform';
import { GatewayEdge } from '@tacit/gateway';
import { nodeService } from './node.js';

await runService(nodeService, {
  onStarted: (node) => process.stdout.write(`Tacit node listening on ${node.get(GatewayEdge).url} (health: ${node.opsUrl}/healthz)\n`),
});
