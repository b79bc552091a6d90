// The chart's own checks against the real API server: helm lint and a server-side dry run of every
// object `helm template` renders from each values file in charts/tacit/ci, and the bad values files
// refused with the chart's message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHART, helm, kubectl, must, run, valuesFile } from './kube.js';

const ns = 'tacit-validate';

describe('charts/tacit: lint, server-side validation, bad values', { timeout: 300_000 }, () => {
  let kubeVersion = '';
  before(async () => {
    await kubectl('delete', 'namespace', ns, '--ignore-not-found', '--wait');
    await must('kubectl', ['create', 'namespace', ns]);
    kubeVersion = (JSON.parse(await must('kubectl', ['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
  });
  after(async () => {
    await kubectl('delete', 'namespace', ns, '--ignore-not-found', '--wait=false');
  });

  for (const name of ['minimal', 'production', 'node', 'dev']) {
    it(`${name}-values.yaml: helm lint passes and every rendered object passes the API server's validation`, async () => {
      const lint = await helm('lint', CHART, '--strict', '-f', valuesFile(name), '--kube-version', kubeVersion);
      assert.equal(lint.code, 0, lint.stdout + lint.stderr);
      const manifest = await must('helm', ['template', 'v', CHART, '-n', ns, '-f', valuesFile(name), '--kube-version', kubeVersion]);
      const kinds = [...manifest.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
      assert.ok(kinds.length >= 5, `rendered ${kinds.join(', ')}`);
      const res = await run('kubectl', ['apply', '--dry-run=server', '-n', ns, '-f', '-'], { input: manifest });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.split('\n').filter((l) => l.includes('(server dry run)')).length, kinds.length, 'every object was validated');
    });
  }

  it('the dry run is the API server\'s: an object the schema allows but Kubernetes does not is refused', async () => {
    const manifest = await must('helm', ['template', 'v', CHART, '-n', ns, '-f', valuesFile('minimal'), '--kube-version', kubeVersion, '--show-only', 'templates/queue.yaml']);
    const broken = manifest.replace(/replicas: 2/, 'replicas: -2');
    assert.notEqual(broken, manifest);
    const res = await run('kubectl', ['apply', '--dry-run=server', '-n', ns, '-f', '-'], { input: broken });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /spec\.replicas: Invalid value: -2/);
  });

  // [file, message, refused by helm lint too]: lint reports a template's `fail` as INFO and passes
  // (a chart linted without its required values must not fail), so the guard shows at install.
  const bad: [string, RegExp, boolean][] = [
    ['wrong-type', /at '\/gateway\/replicaCount': got string, want integer/, true],
    ['unknown-key', /additional properties 'gatway' not allowed/, true],
    ['no-database', /tacit: this release cannot be installed as configured:\s+- no database configured: set postgresql\.url or postgresql\.existingSecret/, false],
    ['redis-cluster', /tacit: this release cannot be installed as configured:\s+- redis\.mode=cluster is not supported by the gateway yet; use standalone or sentinel/, false],
  ];
  for (const [name, message, byLint] of bad) {
    it(`bad/${name}-values.yaml is refused with the chart's message before anything reaches the cluster`, async () => {
      if (byLint) {
        const lint = await helm('lint', CHART, '-f', valuesFile(`bad/${name}`), '--kube-version', kubeVersion);
        assert.notEqual(lint.code, 0);
        assert.match(lint.stdout + lint.stderr, message);
      }
      const template = await helm('template', 'bad', CHART, '-f', valuesFile(`bad/${name}`), '--kube-version', kubeVersion);
      assert.notEqual(template.code, 0);
      assert.match(template.stderr, message);
      const install = await helm('install', `bad-${name}`, CHART, '-n', ns, '-f', valuesFile(`bad/${name}`), '--dry-run=server');
      assert.notEqual(install.code, 0);
      assert.match(install.stderr, message);
      assert.equal((await helm('list', '-n', ns, '-a', '-q')).stdout.trim(), '', 'no release was recorded');
    });
  }
});
