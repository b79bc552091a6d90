import { request } from 'node:http';

/** An HTTP answer: status and body text. */
export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * GET `url` on a fresh connection, closed after the answer (no keep-alive pool). For specs that
 * poll an ops endpoint of a server in their own process: there, a stall of the shared event loop
 * longer than the server's keep-alive timeout (5 s) lets the server close a pooled idle socket in
 * the same turn the client reuses it, and the reuse fails with ECONNRESET (seen under CPU load:
 * stalls of up to 15 s). A fresh connection per request has nothing to race.
 */
export function httpGet(url: string, timeoutMs = 30_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
