// mode=node on a real cluster: the one-pod node with its embedded database on a persistent volume
// passes helm test, and helm uninstall removes everything but the volume's claim, which the chart
// keeps as asked (node.persistence.keep).
import assert from 'node:assert/strict';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CHART, getJson, helm, kubectl, leftovers, must, mustBecomeReady, pods, secondsSince, until, valuesFile } from './kube.js';

const ns = 'tacit-node';
// The container's peak memory as its cgroup counts it: cgroup v2's memory.peak, else v1's max usage.
const _READ_PEAK = "const fs = require('fs'); const f = ['/sys/fs/cgroup/memory.peak', '/sys/fs/cgroup/memory/memory.max_usage_in_bytes'].find((p) => fs.existsSync(p)); process.stdout.write(fs.readFileSync(f, 'utf8'))";
const release = 'solo';
const pv = 'tacit-suite-node-data';

describe('tacit mode=node: install, helm test, uninstall keeps only the data', { timeout: 600_000 }, () => {
  let dir = '';
  before(async () => {
    await kubectl('delete', 'namespace', ns, '--ignore-not-found', '--wait');
    await kubectl('delete', 'pv', pv, '--ignore-not-found', '--wait');
    await must('kubectl', ['create', 'namespace', ns]);
    // The bare cluster has no volume provisioner: a local volume for the claim to bind, owned by
    // the image's user (hostPath ignores fsGroup).
    dir = mkdtempSync('/var/tmp/tacit-suite-node-');
    chownSync(dir, 10001, 10001);
    const volume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pv },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: dir, type: 'Directory' } },
    };
    await must('kubectl', ['apply', '-f', '-'], { input: JSON.stringify(volume) });
  });
  after(async () => {
    await kubectl('delete', 'namespace', ns, '--ignore-not-found', '--wait');
    await kubectl('delete', 'pv', pv, '--ignore-not-found', '--wait=false');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs, becomes ready on its volume, and passes helm test', async (t) => {
    const t0 = performance.now();
    await mustBecomeReady(ns, ['install', release, CHART, '-n', ns, '-f', valuesFile('node'), '--wait', '--timeout', '3m']);
    t.diagnostic(`node ready in ${secondsSince(t0)} s`);
    // A first boot creates the embedded database (initdb): the process's peak. It once went past the
    // limit (one PGlite per service) and the pod was OOM-killed in a loop; keep a fifth to spare.
    const deployment = await getJson<{ spec: { template: { spec: { containers: { resources: { limits: { memory: string } } }[] } } } }>('deployment', '-n', ns, `${release}-tacit-node`);
    const limit = deployment.spec.template.spec.containers[0]!.resources.limits.memory;
    const limitMib = Number(/^(\d+)Mi$/.exec(limit)?.[1] ?? Number(/^(\d+)Gi$/.exec(limit)?.[1]) * 1024);
    const peak = await must('kubectl', ['exec', '-n', ns, `deploy/${release}-tacit-node`, '--', 'node', '-e', _READ_PEAK]);
    const peakMib = Math.round(Number(peak) / 2 ** 20);
    t.diagnostic(`node's memory peak through its first boot: ${peakMib} MiB (cgroup, page cache included) of its ${limit} limit`);
    assert.ok(peakMib > 0 && peakMib < 0.8 * limitMib, `peak ${peakMib} MiB, limit ${limitMib} MiB`);
    const test = await helm('test', release, '-n', ns, '--timeout', '2m');
    assert.equal(test.code, 0, test.stderr || test.stdout);
    assert.match(test.stdout, /Phase:\s+Succeeded/);
  });

  it('helm uninstall leaves only the data volume\'s claim, as node.persistence.keep asks', async () => {
    await must('helm', ['uninstall', release, '-n', ns, '--wait', '--timeout', '2m']);
    await until(async () => (await pods(ns, `app.kubernetes.io/instance=${release}`)).length === 0, 120_000, 'the node pod to go');
    assert.deepEqual(await leftovers(ns), [`persistentvolumeclaim/${release}-tacit-node`]);
  });
});
