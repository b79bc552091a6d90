/**
 * Clients through the gateway's Service, as the cluster suite drives them: sender → receiver pairs
 * whose every packet is checked to arrive exactly once once the sender saw it ACCEPTED, while pods
 * come and go. Bounded in count and time.
 * @module
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newMailboxIdentity, RelayClient, type MailboxIdentity, type ReceivedMessage, type WebSocketLike } from '@tacit/sdk';
import { until } from './kube.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A sender, its receiver, what was ACCEPTED and what arrived. */
export interface Pair {
  sender: RelayClient;
  receiver: RelayClient;
  receiverIdentity: MailboxIdentity;
  /** What the receiver got. */
  inbox: ReceivedMessage[];
  /** What the sender got (see {@link Load.reversed}). */
  senderInbox: ReceivedMessage[];
  accepted: string[];
}

/** Clients of one test: opened through `url`, all closed by {@link Load.close}. */
export class Load {
  readonly pairs: Pair[] = [];
  readonly #clients: RelayClient[] = [];
  readonly #namespaceId = new Uint8Array(randomBytes(32));

  constructor(private readonly url: string) {}

  #client(inbox?: ReceivedMessage[], identity: MailboxIdentity = newMailboxIdentity()): RelayClient {
    const c = new RelayClient({
      urls: [this.url],
      namespaceId: this.#namespaceId,
      identity,
      webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
      onMessage: inbox ? (m) => void inbox.push(m) : undefined,
      receive: inbox !== undefined,
      // The gateway's Service address, on this machine's pod bridge: plain ws, as inside a cluster.
      allowInsecure: true,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
    });
    this.#clients.push(c);
    return c;
  }

  /**
   * Opens `n` pairs, each client its own connection through the Service, and connects them; with
   * `receiversOnline: false` only the senders (their packets wait in the queue until
   * {@link Load.connectReceivers}).
   */
  async open(n: number, opts: { receiversOnline?: boolean } = {}): Promise<void> {
    for (let i = 0; i < n; i++) {
      const inbox: ReceivedMessage[] = [];
      const senderInbox: ReceivedMessage[] = [];
      const receiverIdentity = newMailboxIdentity();
      this.pairs.push({ sender: this.#client(senderInbox), receiver: this.#client(inbox, receiverIdentity), receiverIdentity, inbox, senderInbox, accepted: [] });
    }
    const online = opts.receiversOnline ?? true;
    await Promise.all(this.pairs.flatMap((p) => (online ? [p.sender.connect(), p.receiver.connect()] : [p.sender.connect()])));
  }

  /** The same clients, each pair the other way round (receivers send to their senders). */
  reversed(): Load {
    const back = new Load(this.url);
    // (receiverIdentity is only used by stuck-packet recovery, which reversed loads do not need.)
    back.pairs.push(...this.pairs.map((p) => ({ sender: p.receiver, receiver: p.sender, receiverIdentity: p.receiverIdentity, inbox: p.senderInbox, senderInbox: p.inbox, accepted: [] })));
    return back;
  }

  /** Connects the receivers that {@link Load.open} left offline. */
  async connectReceivers(): Promise<void> {
    await Promise.all(this.pairs.map((p) => p.receiver.connect()));
  }

  /**
   * Every pair sends a packet each `intervalMs`, without waiting for the previous ones, for at least
   * `rounds` rounds; resolves when every packet was ACCEPTED (the SDK resends until then). `during`
   * starts once `afterRounds` rounds have gone out, and sending goes on until 10 rounds after it ended
   * (at most 4 × `rounds`): the disruption happens under load, not after it. Returns the packets sent
   * and whether `during` ended while packets still flowed.
   */
  async send(tag: string, rounds: number, intervalMs: number, during?: { afterRounds: number; action: () => Promise<void> }): Promise<{ sent: number; actionEndedUnderLoad: boolean }> {
    const sends: Promise<void>[] = [];
    let action: Promise<void> | undefined;
    let endedAt: number | undefined;
    let k = 0;
    for (; k < rounds * 4; k++) {
      if (k >= rounds && (!during || (endedAt !== undefined && k >= endedAt + 10))) break;
      for (const [i, p] of this.pairs.entries()) {
        const body = `${tag}-${i}-${k}`;
        sends.push(p.sender.send(p.receiver.peerKey, enc(body)).then(() => void p.accepted.push(body)));
      }
      if (during && k + 1 === during.afterRounds) {
        action = during.action().then(() => {
          endedAt = k;
        });
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    await Promise.all([...sends, action]);
    return { sent: k * this.pairs.length, actionEndedUnderLoad: endedAt !== undefined && k >= endedAt + 10 };
  }

  /**
   * Waits up to `onlineMs` for every receiver, online all along, to hold everything ACCEPTED for it.
   * Packets still missing then are counted as stuck; their receivers reconnect (a new client with
   * the same identity, as an app restarting would) and get `reconnectMs` more. Then each receiver
   * must hold exactly what was accepted for it, each packet once: nothing accepted was lost.
   */
  async assertEachAcceptedOnce(onlineMs: number, reconnectMs = 30_000): Promise<{ received: number; stuck: number; stuckDetail: string }> {
    const missing = () => this.pairs.map((p) => p.accepted.filter((a) => !p.inbox.some((m) => dec(m.payload) === a)));
    const describe = () =>
      JSON.stringify(
        missing()
          .map((m, i) => ({ pair: i, missing: m.length, first: m[0], receiver: this.pairs[i]!.receiver.stats, sender: this.pairs[i]!.sender.stats }))
          .filter((r) => r.missing > 0),
      );
    let stuck = 0;
    let stuckDetail = '';
    try {
      await until(() => missing().every((m) => m.length === 0), onlineMs, 'every accepted packet to reach its online receiver');
    } catch {
      stuck = missing().reduce((n, m) => n + m.length, 0);
      // Counts only (client stats), to tell a lost packet from one waiting for its receiver.
      stuckDetail = describe();
      for (const [i, m] of missing().entries()) {
        if (m.length === 0) continue;
        const p = this.pairs[i]!;
        p.receiver.close();
        p.receiver = this.#client(p.inbox, p.receiverIdentity);
        await p.receiver.connect();
      }
      try {
        await until(() => missing().every((m) => m.length === 0), reconnectMs, 'every accepted packet to arrive once its receiver reconnected');
      } catch (err) {
        throw new Error(`${(err as Error).message}: ${describe()}`);
      }
    }
    let n = 0;
    for (const p of this.pairs) {
      const got = p.inbox.map((m) => dec(m.payload));
      assert.equal(new Set(got).size, got.length, 'no packet surfaced twice');
      assert.deepEqual(new Set(got), new Set(p.accepted), 'each receiver got exactly what was accepted for it');
      n += got.length;
    }
    return { received: n, stuck, stuckDetail };
  }

  close(): void {
    for (const c of this.#clients.splice(0)) c.close();
  }
}
