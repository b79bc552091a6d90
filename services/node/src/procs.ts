// Service mains as child processes, for specs that run each service as the cluster runs it: the
// process, its environment, what it prints, its exit code; and an SDK client for them.
import { fileURLToPath } from 'node:url';
import { RelayClient, type MailboxIdentity, type ReceivedMessage, type WebSocketLike } from '@tacit/sdk';
import { ChildScript, waitFor } from '@tacit/testing';
import WebSocket from 'ws';

export const main = (service: string) => fileURLToPath(new URL(`../../${service}/dist/main.js`, import.meta.url));
export const ns = new Uint8Array(32).fill(5);
export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A service's process (warn-level logs); its output kept for the assertion messages. */
export class Proc extends ChildScript {
  constructor(script: string, env: Record<string, string>) {
    super(script, env, { logLevel: 'warn' });
  }
}

/** Every process started by {@link start}, to stop at the end. */
export const procs: Proc[] = [];
export function start(service: string, env: Record<string, string>): Proc {
  const p = new Proc(main(service), env);
  procs.push(p);
  return p;
}

export async function ready(url: string, p: Proc): Promise<void> {
  await waitFor(
    async () => {
      if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}: ${p.out}`);
      return (await fetch(url).catch(() => undefined))?.status === 200;
    },
    // A node's first start makes its embedded databases: tens of seconds on a loaded machine.
    { timeoutMs: 90_000, intervalMs: 50 },
  );
}

export function client(url: string, identity: MailboxIdentity, inbox?: ReceivedMessage[]): RelayClient {
  return new RelayClient({
    urls: [url],
    namespaceId: ns,
    identity,
    webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    onMessage: inbox ? (m) => void inbox.push(m) : undefined,
    receive: inbox !== undefined,
  });
}
