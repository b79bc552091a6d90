// A bare WebSocket client for specs that speak frames by hand (bad input, privacy): no SDK between
// the test and the gateway.
import { decodeServerFrame, encodeClientFrame, type ServerFrame } from '@tacit/protocol';

const hello = encodeClientFrame({ type: 'hello', minVersion: 1, maxVersion: 1 });

/** A raw WebSocket that records server frames and the close code. */
export class Raw {
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  private readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'arraybuffer';
    this.opened = new Promise((r) => this.ws.addEventListener('open', () => r()));
    this.closed = new Promise((r) =>
      this.ws.addEventListener('close', (ev) => {
        this.closeCode = ev.code;
        r(ev.code);
      }),
    );
    this.ws.addEventListener('message', (ev) => this.frames.push(decodeServerFrame(new Uint8Array(ev.data as ArrayBuffer))));
  }
  send(data: Uint8Array | string): void {
    this.ws.send(data);
  }
  async next(type: ServerFrame['type'], ms = 3000): Promise<ServerFrame> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.frames.find((x) => x.type === type);
      if (f) return f;
      if (Date.now() > end) throw new Error(`no ${type} frame within ${ms} ms; got ${this.frames.map((x) => x.type).join(',')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  async error(ms = 3000): Promise<Extract<ServerFrame, { type: 'error' }>> {
    return (await this.next('error', ms)) as Extract<ServerFrame, { type: 'error' }>;
  }
  close(): void {
    this.ws.close();
  }
}

/** A raw connection to `url`, open and (unless told not to) past HELLO/WELCOME. */
export async function openRaw(url: string, sayHello = true): Promise<Raw> {
  const raw = new Raw(url);
  await raw.opened;
  if (sayHello) {
    raw.send(hello);
    await raw.next('welcome');
  }
  return raw;
}
