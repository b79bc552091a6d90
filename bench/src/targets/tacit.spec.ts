import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TACIT_GATEWAY_NODE_FLAGS, TACIT_NODE_FLAGS } from './tacit.js';

describe('Tacit bench target', () => {
  it('runs the node with the flags `npm start` runs it with', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
    const start = pkg.scripts.start;
    const flags = start.slice(start.lastIndexOf('&& node ') + 8, start.indexOf(' services/node/dist/main.js')).split(' ');
    assert.deepEqual(TACIT_NODE_FLAGS, flags);
  });

  it('runs gateway replicas with the flags `npm run start:gateway` runs one with', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    const start = pkg.scripts['start:gateway']!;
    const flags = start.slice(start.indexOf('node ') + 5, start.indexOf(' services/gateway/dist/main.js')).split(' ');
    assert.deepEqual(TACIT_GATEWAY_NODE_FLAGS, flags);
  });
});
