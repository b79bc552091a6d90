/**
 * The cluster suite's hands: helm and kubectl as a person would type them (against the cluster in
 * KUBECONFIG), the chart's paths, and the pods' ops endpoints, which this machine reaches on the
 * pod bridge that scripts/cluster-up.sh made.
 * @module
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** charts/tacit in this checkout. */
export const CHART = fileURLToPath(new URL('../../../charts/tacit', import.meta.url));
/** A values file of charts/tacit/ci. */
export const valuesFile = (name: string) => `${CHART}/ci/${name}-values.yaml`;

/** What a command printed and how it ended. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell), input on stdin if given; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Runs a command that must succeed; throws with its output otherwise. */
export async function must(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * What a person looks at when a release does not become ready: each pod's containers (restarts, the
 * last termination's reason — OOMKilled, Error — and exit code), the namespace's warning events,
 * and the last lines each container printed, of its previous run too.
 */
export async function whyNotReady(ns: string): Promise<string> {
  const out: string[] = [];
  const pods = await run('kubectl', ['get', 'pods', '-n', ns, '-o', 'json']);
  type _C = { name: string; restartCount: number; ready: boolean; state?: object; lastState?: { terminated?: { reason?: string; exitCode?: number } } };
  const items = pods.code === 0 ? ((JSON.parse(pods.stdout) as { items: { metadata: { name: string }; status: { phase: string; containerStatuses?: _C[] } }[] }).items) : [];
  for (const p of items) {
    for (const c of p.status.containerStatuses ?? []) {
      const last = c.lastState?.terminated;
      out.push(`pod ${p.metadata.name} (${p.status.phase}) container ${c.name}: ready=${c.ready} restarts=${c.restartCount} state=${Object.keys(c.state ?? {}).join(',')}` + (last ? ` last=${last.reason ?? '?'} exit ${last.exitCode ?? '?'}` : ''));
      for (const previous of c.restartCount > 0 ? [true, false] : [false]) {
        const logs = await run('kubectl', ['logs', '-n', ns, p.metadata.name, '-c', c.name, '--tail', '15', ...(previous ? ['--previous'] : [])]);
        out.push(`  ${previous ? 'previous run' : 'current run'}:`, ...`${logs.stdout}${logs.stderr}`.trim().split('\n').map((l) => `    ${l}`));
      }
    }
  }
  const events = await run('kubectl', ['get', 'events', '-n', ns, '--field-selector', 'type=Warning', '--sort-by=.lastTimestamp']);
  out.push('warning events:', ...`${events.stdout}${events.stderr}`.trim().split('\n').slice(-20).map((l) => `  ${l}`));
  return out.join('\n');
}

/** `helm install|upgrade … --wait` that must succeed; on failure the error carries {@link whyNotReady}. */
export async function mustBecomeReady(ns: string, args: readonly string[]): Promise<string> {
  const r = await run('helm', args);
  if (r.code === 0) return r.stdout;
  throw new Error(`helm ${args.join(' ')} exited ${r.code}:\n${r.stderr || r.stdout}\n${await whyNotReady(ns)}`);
}

export const helm = (...args: string[]) => run('helm', args);
export const kubectl = (...args: string[]) => run('kubectl', args);

/** A kubectl get as JSON. */
export async function getJson<T = { items: unknown[] }>(...args: string[]): Promise<T> {
  return JSON.parse(await must('kubectl', ['get', ...args, '-o', 'json'])) as T;
}

/** The pods of one component of a release, running or not. */
export interface PodInfo {
  name: string;
  ip: string;
  phase: string;
  ready: boolean;
  deleting: boolean;
}

interface _Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { podIP?: string; phase: string; conditions?: { type: string; status: string }[] };
}

export async function pods(ns: string, selector: string): Promise<PodInfo[]> {
  const list = await getJson<{ items: _Pod[] }>('pods', '-n', ns, '-l', selector);
  return list.items.map((p) => ({
    name: p.metadata.name,
    ip: p.status.podIP ?? '',
    phase: p.status.phase,
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: p.metadata.deletionTimestamp !== undefined,
  }));
}

/** A gauge or counter summed over its series, read from a pod's /metrics. */
export async function metric(podIp: string, name: string): Promise<number> {
  const text = await (await fetch(`http://${podIp}:9090/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) sum += Number(m[3]);
  }
  return sum;
}

/** Polls `cond` every 200 ms until it is true; throws naming `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Seconds since `t0` (performance.now()), one decimal, for the log of what took how long. */
export const secondsSince = (t0: number) => Math.round((performance.now() - t0) / 100) / 10;

/**
 * Every object in the namespace but what Kubernetes itself puts there (the default ServiceAccount,
 * the root CA ConfigMap) and events.
 */
export async function leftovers(namespace: string): Promise<string[]> {
  const kinds = (await must('kubectl', ['api-resources', '--verbs=list', '--namespaced', '-o', 'name']))
    .split('\n')
    .filter((k) => k && !/^events(\.events\.k8s\.io)?$/.test(k));
  const out = await must('kubectl', ['get', kinds.join(','), '-n', namespace, '-o', 'name', '--ignore-not-found']);
  return out
    .split('\n')
    .filter(Boolean)
    .filter((n) => n !== 'serviceaccount/default' && n !== 'configmap/kube-root-ca.crt');
}
