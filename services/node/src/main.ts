// `npm start`: the one-container node. Prints its URL; SIGTERM/SIGINT drain it gracefully.
import { ConfigError, createLogger } from '@tacit/kit';
import { startNode } from './node.js';

const log = createLogger({ service: 'node' });
let node;
try {
  node = await startNode(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    // As `variable`, not `key`: the logger redacts every field named like a key, and an operator
    // must see which variable to fix.
    log.error('config_invalid', { issues: err.issues.map((i) => ({ variable: i.key, problem: i.problem })) });
    process.exit(78);
  }
  throw err;
}
process.stdout.write(`Tacit node listening on ${node.url} (health: ${node.httpUrl}/healthz)\n`);
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void node.stop().finally(() => process.exit(0));
  });
}
