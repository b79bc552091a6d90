/**
 * tus's S3Store, with PATCHes that cover whole parts streamed straight into S3's UploadPart.
 *
 * Why our own piece (measured, docs/benchmarks.md): `@tus/s3-store` writes each part of a PATCH to a
 * temporary file, and only once the file is whole sends it to S3. With the SDK's 8 MiB PATCH (one
 * part) nothing overlaps: ~53 ms to take the bytes in, then ~65 ms of UploadPart, per PATCH. When the
 * PATCH's length is known (its Content-Length, handed over by the edge through {@link patchInFlight})
 * and it covers whole parts (or ends the upload), each part's bytes go to S3 as they arrive, with the
 * part's length announced up front: nothing on disk, nothing held but the streams' buffers.
 *
 * Anything else — no Content-Length, a PATCH ending mid-part, a leftover `.part` from an earlier cut
 * PATCH in front — takes S3Store's own path (temporary files, the trailing `.part` object), so every
 * client tus allows still works. A PATCH cut mid-part loses that part's bytes, not the upload: S3
 * never stored them, the offset a HEAD reports is the parts S3 holds, and the client resends from it.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { S3, type Part } from '@aws-sdk/client-s3';
import { S3Store, type MetadataValue, type Options as S3StoreOptions } from '@tus/s3-store';
import { TUS_RESUMABLE, Upload } from '@tus/utils';

/** The PATCH a store write belongs to: its declared length and the offset it starts at. */
export interface PatchInFlight {
  length: number;
  offset: number;
  /** What tus's offset check (getUpload) read, for the write that follows it to reuse once. */
  seen?: {
    id: string;
    parts?: Promise<Part[]>;
    noIncompletePart?: boolean;
    /** The parts list the write went on from (answered from `parts`). */
    before?: Promise<Part[]>;
  };
}

/** Set by the edge around tus's handling of a PATCH with a Content-Length. */
export const patchInFlight = new AsyncLocalStorage<PatchInFlight>();

/** The POST a store call belongs to: the upload it created, until a write moves its offset. */
export interface PostInFlight {
  created?: Upload;
}

/** Set by the edge around tus's handling of a POST. */
export const postInFlight = new AsyncLocalStorage<PostInFlight>();


/** A bytes source read in exact slices: each part takes its bytes, the rest waits for the next part. */
class _Slicer {
  readonly #it: AsyncIterator<Buffer>;
  #carry: Buffer | undefined;
  constructor(src: AsyncIterable<Buffer>) {
    this.#it = src[Symbol.asyncIterator]();
  }
  /** Exactly `n` bytes, in chunks; throws when the source ends first (a cut PATCH). */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      let c = this.#carry;
      this.#carry = undefined;
      if (!c) {
        const r = await this.#it.next();
        if (r.done) throw new Error(`the PATCH ended ${left} bytes short of its part`);
        c = r.value;
      }
      if (c.length > left) {
        this.#carry = c.subarray(left);
        c = c.subarray(0, left);
      }
      left -= c.length;
      yield c;
    }
  }
}

/** Options of {@link StreamingS3Store}: S3Store's, and the most PATCHes it streams at once. */
export interface StreamingS3StoreOptions extends S3StoreOptions {
  /**
   * PATCHes streamed at once by this replica (default 32); past it a PATCH takes tus's own path.
   * A streamed part holds an S3 connection for as long as its client takes to send it: these have
   * a connection pool of their own of this size, so slow clients can never take the connections
   * every other S3 call (offset checks, downloads) needs.
   */
  maxStreamedPatches?: number;
}

export class StreamingS3Store extends S3Store {
  /** PATCHes streamed part by part, those that took S3Store's own path, and of those how many because streaming was full. */
  readonly writes = { streamed: 0, buffered: 0, full: 0 };
  readonly maxStreamedPatches: number;
  /** UploadParts of streamed PATCHes go through this client: its own sockets (see maxStreamedPatches). */
  readonly #streamClient: S3;
  #streaming = 0;

  constructor(options: StreamingS3StoreOptions) {
    super(options);
    this.maxStreamedPatches = options.maxStreamedPatches ?? 32;
    const { bucket: _bucket, ...config } = options.s3ClientConfig;
    const agent = { keepAlive: true, maxSockets: this.maxStreamedPatches };
    this.#streamClient = new S3({ ...config, requestHandler: { httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) } });
  }

  /** PATCHes being streamed now. */
  get streaming(): number {
    return this.#streaming;
  }

  /** Closes the streamed parts' connections (S3Store's own client has no close). */
  destroy(): void {
    this.#streamClient.destroy();
  }

  /*
   * A POST: tus creates the upload (CreateMultipartUpload, then its `.info`), then reads it all back
   * (the `.info`, ListParts, the `.part`) only to learn its offset for the Upload-Expires header — 0,
   * unless the POST carried bytes. The `.info` just written goes into the metadata cache (a PATCH on
   * this replica then need not fetch it), and the read-back is answered from the upload created: 3
   * of the 5 S3 round trips a POST made.
   */
  override async create(upload: Upload): Promise<Upload> {
    const created = await super.create(upload);
    const post = postInFlight.getStore();
    if (post) post.created = created;
    return created;
  }

  protected override async saveMetadata(upload: Upload, uploadId: string): Promise<void> {
    await super.saveMetadata(upload, uploadId);
    // What getMetadata would parse back from the object just written.
    await this.cache.set(upload.id, {
      'tus-version': TUS_RESUMABLE,
      'upload-id': uploadId,
      file: new Upload({ id: upload.id, size: upload.size, offset: upload.offset, metadata: upload.metadata, creation_date: upload.creation_date, storage: upload.storage }),
    });
  }

  override async getUpload(id: string): Promise<Upload> {
    const post = postInFlight.getStore();
    const created = post?.created;
    if (created?.id === id) {
      post!.created = undefined;
      return new Upload({ ...created, offset: 0 });
    }
    return super.getUpload(id);
  }

  override async write(src: Readable, id: string, offset: number): Promise<number> {
    // Bytes in the POST (creation-with-upload): its offset is no longer known without asking S3.
    const post = postInFlight.getStore();
    if (post) post.created = undefined;
    return super.write(src, id, offset);
  }

  /*
   * Within one PATCH, tus asks S3 for the parts and the trailing `.part` twice: in getUpload (to check
   * Upload-Offset) and again in write, a few ms later under the same upload lock. The second ListParts
   * and the GET of a `.part` the first found missing are answered from the first: 2 of the 4 S3 round
   * trips a PATCH made. After a streamed write, `parts` is that list and the parts S3 acknowledged
   * since (their ETags from UploadPart), which answers the ListParts that completes the upload: 8 ms
   * of MinIO a blob. Only inside a PATCH (the edge's context), each answer once.
   */
  protected override async retrieveParts(id: string, partNumberMarker?: string): Promise<Part[]> {
    const ctx = patchInFlight.getStore();
    if (!ctx || partNumberMarker !== undefined) return super.retrieveParts(id, partNumberMarker);
    if (ctx.seen?.id === id && ctx.seen.parts) {
      const parts = ctx.seen.parts;
      ctx.seen.parts = undefined;
      ctx.seen.before = parts;
      return parts;
    }
    const parts = super.retrieveParts(id);
    ctx.seen = { id, parts };
    return parts;
  }

  protected override async getIncompletePartSize(id: string): Promise<number | undefined> {
    const size = await super.getIncompletePartSize(id);
    const ctx = patchInFlight.getStore();
    if (ctx?.seen?.id === id) ctx.seen.noIncompletePart = size === undefined;
    return size;
  }

  protected override async downloadIncompletePart(id: string): ReturnType<S3Store['downloadIncompletePart']> {
    const ctx = patchInFlight.getStore();
    if (ctx?.seen?.id === id && ctx.seen.noIncompletePart) {
      ctx.seen.noIncompletePart = false;
      return undefined;
    }
    return super.downloadIncompletePart(id);
  }

  // S3Store declares it `protected`: the seam this class is for.
  protected override async uploadParts(metadata: MetadataValue, readStream: Readable, currentPartNumber: number, offset: number): Promise<number> {
    const patch = patchInFlight.getStore();
    const size = metadata.file.size;
    const partSize = this.calcOptimalPartSize(size);
    // The stream starts at the PATCH's own offset (no `.part` put in front), covers whole parts or
    // ends the upload: every part's length is known before its first byte.
    const streamable =
      patch !== undefined && size !== undefined && patch.length > 0 && patch.offset === offset && offset + patch.length <= size && (patch.length % partSize === 0 || offset + patch.length === size);
    const full = this.#streaming >= this.maxStreamedPatches;
    if (!streamable || full) {
      this.writes.buffered++;
      if (streamable) this.writes.full++;
      return super.uploadParts(metadata, readStream, currentPartNumber, offset);
    }
    this.writes.streamed++;
    this.#streaming++;
    try {
      const before = patch.seen?.id === metadata.file.id ? patch.seen.before : undefined;
      const sent: Part[] = [];
      const n = await this.#stream(metadata, readStream, currentPartNumber, patch.length, partSize, sent);
      if (before && patch.seen) patch.seen.parts = before.then((b) => [...b, ...sent.sort((x, y) => x.PartNumber! - y.PartNumber!)]);
      return n;
    } finally {
      this.#streaming--;
    }
  }

  /** Streams `length` bytes as parts from `currentPartNumber`; each part S3 acknowledged goes into `sent`. */
  async #stream(metadata: MetadataValue, readStream: Readable, currentPartNumber: number, length: number, partSize: number, sent: Part[]): Promise<number> {
    const slicer = new _Slicer(readStream as AsyncIterable<Buffer>);
    const parts: Promise<void>[] = [];
    let failed: unknown;
    for (let left = length; left > 0 && failed === undefined; ) {
      const n = Math.min(partSize, left);
      left -= n;
      // No slot of S3Store's part semaphore: it bounds parts held in temp files while they go, and a
      // streamed part holds only the streams' buffers; slow clients holding its slots would stall
      // every buffered upload of the replica. maxStreamedPatches bounds these instead.
      // The next part starts once this one's bytes are all read, not when S3 answers it: the two overlap.
      let read!: () => void;
      const allRead = new Promise<void>((r) => (read = r));
      // A PATCH cut short ends the body early: the request is aborted at once (S3 would wait for
      // the missing bytes until its own timeout) and the part counts as not stored.
      const abort = new AbortController();
      const body = Readable.from(
        (async function* () {
          try {
            yield* slicer.take(n);
            read();
          } catch (err) {
            abort.abort(err);
          }
        })(),
        { objectMode: false },
      );
      const PartNumber = currentPartNumber++;
      const part = this.#streamClient
        .uploadPart({ Bucket: this.bucket, Key: metadata.file.id, UploadId: metadata['upload-id'], PartNumber, Body: body, ContentLength: n }, { abortSignal: abort.signal })
        .then((r) => {
          if (abort.signal.aborted) throw abort.signal.reason;
          sent.push({ PartNumber, ETag: r.ETag, Size: n });
        });
      part.catch((err: unknown) => (failed ??= err));
      parts.push(part);
      await Promise.race([allRead, part.catch(() => undefined)]);
    }
    await Promise.allSettled(parts);
    if (failed !== undefined) throw failed;
    return length;
  }
}
