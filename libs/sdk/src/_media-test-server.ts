/**
 * For specs only (`@tacit/sdk/_media-test-server`): a stand-in media service on 127.0.0.1 that
 * speaks the contract of docs/media.md — tus 1.0.0 at `/v1/media/uploads` (the real `@tus/server`
 * on `@tus/file-store`, ids of 18 random bytes in base64url) and `GET`/`HEAD /v1/media/blobs/{id}`
 * with one HTTP Range, served from the file store's folder — with hooks the specs use to cut an
 * upload's connection and to count what the server saw.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';

/** A running stand-in media service. */
export interface MediaTestServer {
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** The file store's folder. */
  readonly dir: string;
  /** What reached it: tus creations, PATCH requests with their `Upload-Offset` and `Content-Length` (-1: none), GETs with their Range. */
  readonly seen: { creations: number; patchOffsets: number[]; patchLengths: number[]; ranges: string[] };
  /** When set, called as an upload's bytes are stored (every ~10 ms) with its offset and length. */
  onReceive: ((offset: number, size: number) => void) | undefined;
  /** Destroys the connections of the PATCH requests in flight (a cut link), without stopping the server. */
  cutUploads(): void;
  /** When set, called as each PATCH arrives with its `Upload-Offset` and a function that cuts its connection. */
  onPatch: ((offset: number, cut: () => void) => void) | undefined;
  /** When true, the next PATCH is taken but never read nor answered (a link that stalls); then false again. */
  stallNextPatch: boolean;
  /** Destroys every open connection. */
  cutAll(): void;
  stop(): Promise<void>;
}

const _ID = /^[A-Za-z0-9_-]{24}$/;
// Downloads from a page of another origin (the browser spec): the ranged GET and its Content-Range.
const _CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-range, content-length, accept-ranges' };

/** Starts one on a free port of 127.0.0.1, storing under a fresh temporary folder (removed by `stop`). */
export async function startMediaTestServer(o: { maxSize?: number } = {}): Promise<MediaTestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tacit-media-test-'));
  const tus = new TusServer({
    path: '/v1/media/uploads',
    datastore: new FileStore({ directory: dir }),
    relativeLocation: true,
    namingFunction: () => randomBytes(18).toString('base64url'),
    postReceiveInterval: 10,
    ...(o.maxSize !== undefined ? { maxSize: o.maxSize } : {}),
  });
  // @tus/utils' EVENTS.POST_RECEIVE, by value: that package is only @tus/server's dependency.
  tus.on('POST_RECEIVE', (_req: unknown, upload: { offset: number; size?: number }) => self.onReceive?.(upload.offset, upload.size ?? 0));
  const sockets = new Set<Socket>();
  const patching = new Set<Socket>();
  const seen = { creations: 0, patchOffsets: [] as number[], patchLengths: [] as number[], ranges: [] as string[] };
  const self: MediaTestServer = {
    url: '',
    dir,
    seen,
    onReceive: undefined,
    stallNextPatch: false,
    onPatch: undefined,
    cutUploads: () => patching.forEach((s) => s.destroy()),
    cutAll: () => sockets.forEach((s) => s.destroy()),
    stop: async () => {
      self.cutAll();
      await new Promise<void>((r) => http.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };

  async function blob(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const refuse = (status: number, code: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ..._CORS, ...extra });
      res.end(JSON.stringify({ code, field: code === 'NOT_FOUND' ? 'id' : 'range', message: code }));
    };
    if (!_ID.test(id)) return refuse(404, 'NOT_FOUND');
    let size: number;
    try {
      const info = JSON.parse(await readFile(path.join(dir, `${id}.json`), 'utf8')) as { size?: number; offset?: number };
      const have = (await stat(path.join(dir, id))).size;
      // Incomplete uploads are not blobs yet.
      if (typeof info.size !== 'number' || have !== info.size) return refuse(404, 'NOT_FOUND');
      size = info.size;
    } catch {
      return refuse(404, 'NOT_FOUND');
    }
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', ..._CORS };
    const range = req.headers.range;
    seen.ranges.push(range ?? '');
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (range !== undefined) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (m === null) return refuse(400, 'MALFORMED');
      start = Number(m[1]);
      if (start >= size) return refuse(416, 'RANGE_NOT_SATISFIABLE', { 'content-range': `bytes */${size}` });
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
      if (end < start) return refuse(416, 'RANGE_NOT_SATISFIABLE', { 'content-range': `bytes */${size}` });
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = String(end - start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    createReadStream(path.join(dir, id), { start, end }).pipe(res);
  }

  const http: HttpServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v1\/media\/blobs\/([^/]+)$/.exec(url.pathname);
    if (m !== null && req.method === 'OPTIONS') {
      res.writeHead(204, { ..._CORS, 'access-control-allow-methods': 'GET, HEAD', 'access-control-allow-headers': 'range' }).end();
      return;
    }
    if (m !== null && (req.method === 'GET' || req.method === 'HEAD')) {
      void blob(req, res, decodeURIComponent(m[1]!)).catch(() => res.destroy());
      return;
    }
    if (req.method === 'POST') seen.creations++;
    if (req.method === 'PATCH' && self.stallNextPatch) {
      self.stallNextPatch = false;
      seen.patchOffsets.push(-1);
      return;
    }
    if (req.method === 'PATCH') {
      const offset = Number(req.headers['upload-offset']);
      seen.patchOffsets.push(offset);
      seen.patchLengths.push(req.headers['content-length'] === undefined ? -1 : Number(req.headers['content-length']));
      const socket = req.socket;
      self.onPatch?.(offset, () => socket.destroy());
      patching.add(socket);
      res.on('close', () => patching.delete(socket));
    }
    void tus.handle(req, res).catch(() => res.destroy());
  });
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  (self as { url: string }).url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return self;
}

/**
 * Run as a script (`node _media-test-server.js [maxSize]`), it serves from its own process — so a
 * spec can measure the client's memory alone — prints `{"url","dir"}` as one line, and stops when
 * its stdin closes.
 */
async function _main(): Promise<void> {
  const arg = process.argv[2];
  const s = await startMediaTestServer(arg ? { maxSize: Number(arg) } : {});
  process.stdout.write(`${JSON.stringify({ url: s.url, dir: s.dir })}\n`);
  process.stdin.resume();
  process.stdin.on('close', () => void s.stop().then(() => process.exit(0)));
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) void _main();
