import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineConfig, int, url } from '@tacit/kit';
import { expectedDocs, settingsTable } from './settings-docs.js';

describe('settings tables in the docs', () => {
  it('list every setting of the gateway, the queue, the node, the shell and tracing, with its default, as the code has them', () => {
    for (const [path, { actual, expected }] of expectedDocs()) {
      assert.equal(actual, expected, `${path} is out of date: run npm run build && node services/node/dist/settings-docs.js --write`);
    }
  });

  it('marks required settings and never prints a secret default', () => {
    const table = settingsTable(defineConfig({ A_URL: url({ description: 'x' }), N: int({ default: 2_592_000, description: 'y | z' }) }));
    assert.match(table, /\| `A_URL` \| required \| x \|/);
    assert.match(table, /\| `N` \| 2\u202f592\u202f000 \| y \\\| z \|/);
  });
});
