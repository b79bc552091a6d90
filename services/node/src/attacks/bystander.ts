// A bystander: an ordinary client on an address of its own, timing round trips while someone else
// attacks the relay. PING→PONG is the gateway's event loop; SEND→ACCEPTED to a recipient who is not
// online adds the queue's commit (the database every sender shares).
import { randomBytes } from 'node:crypto';
import { currentEpoch, ServerFrameType } from '@tacit/protocol';
import { pingFrame, RawWs, sendFrame } from './wire.js';

/** A sample that got no answer in this long counts as this long (and fails any bound). */
const _SAMPLE_TIMEOUT_MS = 5000;

export interface RoundTrips {
  ping: number[];
  send: number[];
  /** SENDs refused (an ERROR instead of ACCEPTED): a bystander must never be. */
  refused: number;
}

export class Bystander {
  private waiting: { type: number; resolve: () => void } | undefined;
  refused = 0;

  private constructor(
    private readonly raw: RawWs,
    private readonly ns: Uint8Array,
  ) {
    raw.onMessage = (msg) => {
      if (msg[0] === ServerFrameType.ERROR) this.refused++;
      const w = this.waiting;
      if (w && (msg[0] === w.type || msg[0] === ServerFrameType.ERROR)) {
        this.waiting = undefined;
        w.resolve();
      }
    };
  }

  static async connect(port: number, ns: Uint8Array, from = '127.0.0.1'): Promise<Bystander> {
    const raw = await RawWs.open(port, from);
    await raw.hello();
    return new Bystander(raw, ns);
  }

  /** One round trip of `frame` until a frame of `type` (or an ERROR) comes back, ms. */
  private async roundTrip(frame: Uint8Array, type: number): Promise<number> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.waiting = { type, resolve };
      timer = setTimeout(resolve, _SAMPLE_TIMEOUT_MS);
      this.raw.send(frame);
    });
    clearTimeout(timer);
    this.waiting = undefined;
    return performance.now() - t0;
  }

  /**
   * Up to `samples` PING→PONG and SEND→ACCEPTED pairs, one after the other with `gapMs` between
   * pairs, for at most `maxMs`.
   */
  async measure(samples: number, maxMs: number, gapMs = 10): Promise<RoundTrips> {
    const out: RoundTrips = { ping: [], send: [], refused: 0 };
    const refusedBefore = this.refused;
    const end = performance.now() + maxMs;
    const epoch = currentEpoch(Date.now());
    // One recipient nobody holds: every send is queued and committed, as for any offline recipient.
    const recipient = randomBytes(32);
    const payload = new Uint8Array(256);
    for (let i = 0; i < samples && performance.now() < end && this.raw.open; i++) {
      out.ping.push(await this.roundTrip(pingFrame(i), ServerFrameType.PONG));
      out.send.push(await this.roundTrip(sendFrame(this.ns, recipient, epoch, payload), ServerFrameType.ACCEPTED));
      await new Promise((r) => setTimeout(r, gapMs));
    }
    out.refused = this.refused - refusedBefore;
    return out;
  }

  close(): void {
    this.raw.destroy();
  }
}
