/**
 * The media listener (MEDIA_HOST:MEDIA_PORT): tus 1.0.0 uploads under /v1/media/uploads (through
 * `@tus/server`), ranged downloads under /v1/media/blobs/{id}. Each request passes the address's
 * limits first; ids are checked for shape before the store is asked; refusals are the JSON bodies
 * of {@link MediaError}.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Server as TusServer } from '@tus/server';
import { EVENTS, type Upload } from '@tus/utils';
import { NodeRequest, sendNodeResponse } from 'srvx/node';
import type { AddressSalt, ClientAddressResolver } from '@tacit/platform';
import type { Logger } from '@tacit/kit';
import { MediaError } from './errors.js';
import { isBlobId, newBlobId } from './ids.js';
import type { MediaService } from './media.service.js';
import type { BlobStore } from './store.js';
import { rawBody } from './raw-body.js';
import { patchInFlight, postInFlight } from './streaming-s3-store.js';

/** Where uploads are created (tus's creation URL). */
export const UPLOADS_PATH = '/v1/media/uploads';
/** Where completed blobs are read. */
export const BLOBS_PATH = '/v1/media/blobs';

// Browsers (the SDK in a web app) read blobs and refusals across origins: nothing here rides on
// cookies or credentials, so any origin may, and the headers a client needs are exposed.
const _CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Content-Range, Content-Length, Accept-Ranges, Retry-After, Location',
};

/** The response tus is answering (its error hook sees only a web Request). */
const _tusResponse = new AsyncLocalStorage<ServerResponse>();

/** Options of {@link MediaEdge}. */
export interface MediaEdgeOptions {
  service: MediaService;
  store: BlobStore;
  addresses: ClientAddressResolver;
  salt: AddressSalt;
  log: Logger;
  host: string;
  port: number;
  /** Prefix a proxy adds before /v1/media/uploads/{id} in Location ('' for none). */
  publicBasePath?: string | undefined;
  /**
   * Set: a GET of a blob is answered 307 to the store's presigned URL, valid this long, once the
   * blob, its expiry, the Range and the limits are checked (MEDIA_DOWNLOADS=redirect). Unset: proxied.
   */
  redirectTtlMs?: number | undefined;
}

/** The HTTP side of the media service. */
export class MediaEdge {
  readonly #tus: TusServer;
  readonly #byConnection = new WeakMap<Socket, string>();
  #server: Server | undefined;
  #http: HttpServer | undefined;
  #address: { host: string; port: number } | undefined;
  #accepting = true;

  constructor(private readonly opts: MediaEdgeOptions) {
    const base = opts.publicBasePath ?? '';
    this.#tus = new TusServer({
      path: UPLOADS_PATH,
      datastore: opts.store.tus,
      maxSize: opts.service.limits.maxBlobBytes,
      relativeLocation: true,
      generateUrl: (_req, { path, id }) => `${base}${path}/${id}`,
      namingFunction: () => newBlobId(),
      // The blob's id is its upload's: whoever was sent the blob knows it, and must not be able to
      // delete it (only an unfinished upload, whose id only its uploader has, may be terminated).
      disableTerminationForFinishedUploads: true,
      // Whatever Upload-Metadata a client sends (tus clients offer a file name and type) is dropped
      // before it is stored: the blob is opaque, and the operator should not learn what it was.
      onUploadCreate: async () => ({ metadata: {} }),
      // A store that fails (S3 unreachable, a disk error) is the service being unavailable, not a
      // bug the client should not retry: tus's plain 500 becomes the contract's 503 UNAVAILABLE.
      onResponseError: (_req, err) => {
        const status = 'status_code' in err ? err.status_code : 500;
        if (status < 500) return undefined;
        // tus writes the answer itself (its body typed text/plain), keeping headers already set on
        // the response: the contract's Retry-After goes there.
        _tusResponse.getStore()?.setHeader('retry-after', '1');
        return { status_code: 503, body: opts.service.refuse(new MediaError('UNAVAILABLE', 'store', 'the blob store did not answer; retry')).body() };
      },
    });
    this.#tus.on(EVENTS.POST_FINISH, (_req: unknown, _res: unknown, upload: Upload) => opts.service.completed(upload.size ?? 0));
  }

  /** `http://host:port` of the listener (loopback when bound to every address). */
  get url(): string {
    const a = this.#address;
    if (!a) throw new Error('the media service is not listening yet');
    return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  }

  /** Whether new requests are taken (false once draining). */
  get accepting(): boolean {
    return this.#accepting;
  }

  /** Opens the listener. */
  async listen(): Promise<void> {
    const http = createHttpServer((req, res) => void this.handle(req, res));
    // A big upload on a slow link may take long as a whole; what is bounded is silence (a tus
    // client resumes from HEAD's offset) and the headers.
    http.requestTimeout = 0;
    http.headersTimeout = 20_000;
    http.timeout = this.opts.service.limits.idleTimeoutMs;
    http.keepAliveTimeout = 5_000;
    // TCP first, HTTP after: a load balancer's PROXY header is read before the HTTP parser sees bytes.
    const server = createNetServer({ noDelay: true }, (socket) => this.opts.addresses.accept(socket, (s) => http.emit('connection', s)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#http = http;
    const host = this.opts.host === '0.0.0.0' || this.opts.host === '::' ? '127.0.0.1' : this.opts.host;
    this.#address = { host, port: (server.address() as AddressInfo).port };
  }

  /** Stops taking requests and closes the listener; requests under way finish (or their sockets go idle). */
  async close(): Promise<void> {
    this.#accepting = false;
    const server = this.#server;
    this.#server = undefined;
    this.#http?.closeIdleConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The key the address's limits count under (a salted hash of the address, an IPv6 /64). */
  #keyOf(req: IncomingMessage): string {
    // With PROXY protocol the resolver hands the named address out once per connection: keep it
    // for the connection's later requests (keep-alive).
    let ip = this.#byConnection.get(req.socket);
    if (ip === undefined) {
      ip = this.opts.addresses.of(req);
      this.#byConnection.set(req.socket, ip);
    }
    return this.opts.salt.key(ip);
  }

  /** Serves one request. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let release: (() => void) | undefined;
    res.once('close', () => release?.());
    try {
      if (!this.#accepting) throw this.opts.service.refuse(new MediaError('UNAVAILABLE', 'request', 'the media service is stopping; retry', { retryAfter: 1 }));
      const path = (req.url ?? '').split('?')[0]!;
      const route = this.#route(path);
      const method = req.method ?? '';
      if (route.kind === 'none') throw this.opts.service.refuse(new MediaError('NOT_FOUND', 'path', 'no such endpoint'));
      if (route.kind !== 'create' && !isBlobId(route.id)) throw this.opts.service.refuse(new MediaError('NOT_FOUND', 'id', 'no blob with this id'));
      const address = this.#keyOf(req);
      const admitted = await this.opts.service.admit(address);
      // A client gone while its limits were checked (a Redis round trip) must not keep its slot.
      if (res.closed) return admitted();
      release = admitted;
      if (route.kind === 'blob') {
        if (method === 'OPTIONS') {
          res.writeHead(204, { ..._CORS, 'access-control-allow-methods': 'GET, HEAD', 'access-control-allow-headers': 'Range', 'access-control-max-age': '86400' });
          res.end();
          return;
        }
        if (method !== 'GET' && method !== 'HEAD') throw this.#badMethod('GET, HEAD, OPTIONS');
        return await this.#download(route.id, req, res);
      }
      if (route.kind === 'create' && method !== 'POST' && method !== 'OPTIONS') throw this.#badMethod('POST, OPTIONS');
      if (route.kind === 'upload' && !['HEAD', 'PATCH', 'DELETE', 'OPTIONS'].includes(method)) throw this.#badMethod('HEAD, PATCH, DELETE, OPTIONS');
      if (method === 'POST' || method === 'PATCH') {
        const releaseUpload = this.opts.service.admitUpload(address);
        res.once('close', releaseUpload);
      }
      if (method === 'PATCH') {
        // The store streams a PATCH of known length part by part (StreamingS3Store); tus passes it
        // only the bytes, so the length and offset ride along in the async context.
        const length = req.headers['content-length'];
        const offset = req.headers['upload-offset'];
        if (typeof length === 'string' && /^\d{1,16}$/.test(length) && typeof offset === 'string' && /^\d{1,16}$/.test(offset)) {
          return await patchInFlight.run({ length: Number(length), offset: Number(offset) }, () => this.#tusHandle(req, res));
        }
      }
      if (method !== 'POST') return await this.#tusHandle(req, res);
      const h = (name: string): string | undefined => {
        const v = req.headers[name];
        return Array.isArray(v) ? v.join(',') : v;
      };
      const { length, refund } = await this.opts.service.reserve(address, h('upload-length'), h('upload-defer-length'));
      try {
        await postInFlight.run({}, () => this.#tusHandle(req, res));
      } finally {
        if (res.statusCode === 201) this.opts.service.created(length);
        else await refund().catch(() => undefined);
      }
    } catch (err) {
      // A refused upload's body is not read: close the connection rather than drain up to a blob's worth.
      this.#refuse(res, err, req.complete ? {} : { connection: 'close' });
    }
  }

  /**
   * tus's handling of `req`, with `res` at hand for its error hook: what `TusServer.handle` does, but
   * a PATCH's body is {@link rawBody} (tus's own way copies every byte of it once more).
   */
  #tusHandle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return _tusResponse.run(res, async () => {
      const request = new NodeRequest({ req, res });
      if (req.method === 'PATCH') Object.defineProperty(request, 'body', { value: rawBody(req) });
      await sendNodeResponse(res, await this.#tus.handleWeb(request));
    });
  }

  #route(path: string): { kind: 'create' } | { kind: 'upload' | 'blob'; id: string } | { kind: 'none' } {
    if (path === UPLOADS_PATH || path === `${UPLOADS_PATH}/`) return { kind: 'create' };
    if (path.startsWith(`${UPLOADS_PATH}/`)) return { kind: 'upload', id: path.slice(UPLOADS_PATH.length + 1) };
    if (path.startsWith(`${BLOBS_PATH}/`)) return { kind: 'blob', id: path.slice(BLOBS_PATH.length + 1) };
    return { kind: 'none' };
  }

  #badMethod(allow: string): MediaError {
    return this.opts.service.refuse(new MediaError('BAD_METHOD', 'method', `this path takes ${allow}`));
  }

  /** GET or HEAD of a completed blob, whole or one range. */
  async #download(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const blob = await this.opts.service.blob(id);
    const headers: Record<string, string> = {
      ..._CORS,
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      'cache-control': 'private, no-transform',
    };
    const range = this.#range(req.headers.range, blob.size);
    if (range === 'unsatisfiable') {
      const err = this.opts.service.refuse(new MediaError('RANGE_NOT_SATISFIABLE', 'Range', `the range starts at or past the blob's end (${blob.size} bytes)`));
      return this.#refuse(res, err, { 'content-range': `bytes */${blob.size}` });
    }
    const [start, end] = range ?? [0, blob.size - 1];
    headers['content-length'] = String(end - start + 1);
    if (range) headers['content-range'] = `bytes ${start}-${end}/${blob.size}`;
    if (req.method === 'HEAD') {
      res.writeHead(range ? 206 : 200, headers);
      res.end();
      return;
    }
    if (this.opts.redirectTtlMs !== undefined && this.opts.store.presign) {
      // The client repeats its Range to S3, which answers the 206 itself. Not cached: the URL expires.
      let location: string;
      try {
        location = await this.opts.store.presign(id, this.opts.redirectTtlMs);
      } catch (err) {
        throw this.opts.service.refuse(new MediaError('UNAVAILABLE', 'store', 'the blob store could not sign a URL; retry', { cause: err, retryAfter: 1 }));
      }
      res.writeHead(307, { ..._CORS, location, 'cache-control': 'no-store', 'content-length': '0' });
      res.end();
      this.opts.service.redirectedDownload();
      return;
    }
    const abort = new AbortController();
    // A client gone before the end stops the store's read (an S3 GetObject, a file stream).
    res.once('close', () => res.writableFinished || abort.abort());
    let body;
    try {
      body = await this.opts.store.read(id, start, end, abort.signal);
    } catch (err) {
      throw this.opts.service.refuse(new MediaError('UNAVAILABLE', 'store', 'the blob store did not answer; retry', { cause: err, retryAfter: 1 }));
    }
    res.writeHead(range ? 206 : 200, headers);
    try {
      await pipeline(body, res, { signal: abort.signal });
      this.opts.service.served(end - start + 1);
    } catch {
      if (res.writableFinished) return this.opts.service.served(end - start + 1);
      // The client went away, or the store's stream broke: the response is cut short, which the
      // client sees by its Content-Length and retries by range.
      res.destroy();
    }
  }

  /**
   * One range of a `Range` header: `bytes=a-b`, `bytes=a-` or `bytes=-n` (the last n). undefined
   * without a header; 'unsatisfiable' when it starts at or past the end; MALFORMED for anything else
   * (several ranges, other units).
   */
  #range(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
    if (header === undefined) return undefined;
    const m = /^bytes=(\d{0,16})-(\d{0,16})$/.exec(header.trim());
    if (!m || (m[1] === '' && m[2] === '')) throw this.opts.service.refuse(new MediaError('MALFORMED', 'Range', 'Range expected one range: bytes=a-b, bytes=a- or bytes=-n'));
    if (m[1] === '') {
      const n = Number(m[2]);
      if (n === 0) return 'unsatisfiable';
      return [Math.max(0, size - n), size - 1];
    }
    const start = Number(m[1]);
    const end = m[2] === '' ? Infinity : Number(m[2]);
    if (end < start) throw this.opts.service.refuse(new MediaError('MALFORMED', 'Range', 'Range expected its end at or after its start'));
    if (start >= size) return 'unsatisfiable';
    return [start, Math.min(end, size - 1)];
  }

  #refuse(res: ServerResponse, err: unknown, extra: Record<string, string> = {}): void {
    const e = err instanceof MediaError ? err : new MediaError('INTERNAL', 'request', 'unexpected error');
    if (!(err instanceof MediaError)) this.opts.log.error('media_request_failed', { error: err instanceof Error ? err.name : 'unknown' });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = e.body();
    res.writeHead(e.status, {
      ..._CORS,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...(e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {}),
      ...(e.code === 'BAD_METHOD' ? { allow: e.message.replace('this path takes ', '') } : {}),
      ...extra,
    });
    res.end(body);
  }
}
