/**
 * The messenger's prekeys at its home relay: what the prekey service holds is asked, the one-time
 * pools topped up when low, the signed and last-resort prekeys rotated when due and put back when
 * the service lost them — on a timer, after a session started on our prekeys, and on demand.
 * @module
 */
import { encodePrekeyUpload, MAX_UPLOAD_KYBER_PREKEYS, MAX_UPLOAD_PREKEYS, PrekeyError, prekeyTag, type PrekeyUpload, type PrekeyUploadReply } from '@tacit/protocol';
import { serializeCurveKey } from '../session/keys.js';
import type { PreKeyUpload, SessionManager } from '../session/session-manager.js';
import type { PrekeyHttpClient } from './prekey-http.js';

/** Keeps one identity's prekeys stocked at its home relay. */
export class PrekeyUpkeep {
  #running: Promise<PrekeyUploadReply> | undefined;
  #soon: ReturnType<typeof setTimeout> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(
    private readonly sessions: SessionManager,
    private readonly namespaceId: Uint8Array,
    private readonly home: PrekeyHttpClient,
    private readonly report: (err: unknown) => void,
  ) {}

  /** Runs the upkeep (one run at a time); resolves to what the service holds afterwards. */
  run(): Promise<PrekeyUploadReply> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Runs it, again after a busy or rate-limiting service (250 ms doubling, six tries). */
  async runRetrying(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.run();
        return;
      } catch (err) {
        if (!(err instanceof PrekeyError) || !err.retryable || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  /** Runs it every `everyMs` (0: never), failures reported. */
  every(everyMs: number): void {
    if (everyMs <= 0 || this.#closed) return;
    this.#timer = setInterval(() => void this.run().catch((err: unknown) => this.report(err)), everyMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** After a session started on our prekeys: look at the pools shortly (once, however many start at once). */
  soon(): void {
    if (this.#soon !== undefined || this.#closed) return;
    this.#soon = setTimeout(() => {
      void this.run()
        .catch((err: unknown) => this.report(err))
        .finally(() => {
          this.#soon = undefined;
        });
    }, 1000);
  }

  /** Stops the timers and waits for a run under way. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    await this.#running?.catch(() => undefined);
  }

  async #run(): Promise<PrekeyUploadReply> {
    let held = await this.#upload({});
    const up: PreKeyUpload = await this.sessions.maintain({ preKeys: held.preKeys, kyberPreKeys: held.kyberPreKeys });
    let spk = up.signedPreKey;
    let lastResort = up.lastResortKyberPreKey;
    if (!held.signedPreKey || !held.lastResortKyberPreKey) {
      const b = await this.sessions.bundle();
      spk ??= b.signedPreKey;
      lastResort ??= b.kyberPreKey;
    }
    // At most 100 one-time keys of each kind per upload (protocol.md §13.3); the replaced signed
    // and last-resort keys go with the first.
    const [pre, kyber] = [[...up.preKeys], [...up.kyberPreKeys]];
    const chunks: Array<Partial<PrekeyUpload>> = [];
    do chunks.push({ preKeys: pre.splice(0, MAX_UPLOAD_PREKEYS), kyberPreKeys: kyber.splice(0, MAX_UPLOAD_KYBER_PREKEYS) });
    while (pre.length > 0 || kyber.length > 0);
    Object.assign(chunks[0]!, { signedPreKey: spk, lastResortKyberPreKey: lastResort });
    for (const c of chunks) {
      if (c.signedPreKey || c.lastResortKyberPreKey || c.preKeys!.length > 0 || c.kyberPreKeys!.length > 0) held = await this.#upload(c);
    }
    return held;
  }

  async #upload(parts: Partial<PrekeyUpload>): Promise<PrekeyUploadReply> {
    const ik = serializeCurveKey(this.sessions.identityKey);
    const body = encodePrekeyUpload({
      tag: prekeyTag(this.namespaceId, ik),
      identityKey: ik,
      registrationId: this.sessions.registrationId,
      preKeys: [],
      kyberPreKeys: [],
      ...parts,
      challenge: await this.home.challenge(),
      signature: new Uint8Array(64),
    });
    body.set(this.sessions.signPreKeyUpload(body), body.length - 64);
    return this.home.upload(body);
  }
}
