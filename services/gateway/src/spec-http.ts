// For the HTTP endpoint specs: one request on a connection of its own, and raw bytes on a TCP
// connection (for what a well-behaved client would never send).
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';

/** An HTTP answer as the endpoint specs read it. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request to 127.0.0.1:`port` on a connection of its own (POST with `body` unless `method` says otherwise). */
export function httpPost(port: number, path: string, body?: Uint8Array | string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: opts.method ?? 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes `head` (and then `chunks`) on a raw TCP connection; resolves to all that came back once the server closes it. */
export function rawHttp(port: number, head: string, chunks: Buffer[] = []): Promise<string> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1', () => {
      s.write(head);
      for (const c of chunks) if (!s.destroyed) s.write(c);
    });
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
  });
}
