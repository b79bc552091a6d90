/**
 * Waits until every `host:port` accepts a TCP connection: the chart's dev mode runs it as an init
 * container, so a service starts once its in-cluster dependencies listen instead of crash-looping
 * through Kubernetes' growing restart back-off (the image has no shell to loop in).
 * @module
 */
import { connect } from 'node:net';

/** One endpoint, parsed from `host:port`. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Parses `host:port[,host:port…]`; throws a TypeError naming the bad entry. */
export function parseEndpoints(list: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65_535) throw new TypeError(`"WAIT_FOR" expected host:port entries, got ${JSON.stringify(raw)}`);
    out.push({ host: m[1]!, port });
  }
  if (out.length === 0) throw new TypeError('"WAIT_FOR" expected at least one host:port');
  return out;
}

/** True when `e` accepts a connection within `ms`. */
export function accepts(e: Endpoint, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: e.host, port: e.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves once every endpoint accepts; rejects with the ones still closed after `timeoutMs`. */
export async function waitForEndpoints(endpoints: readonly Endpoint[], timeoutMs: number, onWait?: (closed: Endpoint[]) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let closed = [...endpoints];
  for (;;) {
    const open = await Promise.all(closed.map((e) => accepts(e)));
    closed = closed.filter((_, i) => !open[i]);
    if (closed.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`still closed after ${timeoutMs} ms: ${closed.map((e) => `${e.host}:${e.port}`).join(', ')}`);
    onWait?.(closed);
    await new Promise((r) => setTimeout(r, 500));
  }
}
