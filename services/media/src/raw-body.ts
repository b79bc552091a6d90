/**
 * A PATCH's body for tus, as a web stream over the Node request that does not copy its bytes.
 *
 * Why our own piece: tus (through srvx) turns the Node request into a web stream with Node's
 * `Readable.toWeb`, which copies every chunk into a fresh Uint8Array (to detach Buffers that share a
 * pool, in case a reader transfers them). Here the chunks are the HTTP parser's slices of a socket
 * read and the one reader (tus's `Readable.fromWeb`, then the store) only passes them on: no transfer,
 * so no copy. Measured on the upload row: that copy and its garbage were ~15 % of the media process's
 * busy time (docs/benchmarks.md). Backpressure, end, errors and cancel behave as `toWeb`'s do.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';

/** Bytes queued in the web stream before the request is paused (Node's default for a byte stream). */
const _HIGH_WATER = 64 * 1024;

/** The request's body, chunk for chunk, uncopied. Cancelling it destroys the request. */
export function rawBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  const onData = (chunk: Buffer) => {
    if (done) return;
    controller.enqueue(chunk);
    if ((controller.desiredSize ?? 0) <= 0) req.pause();
  };
  const stop = finished(req, (err) => {
    stop();
    req.off('data', onData);
    if (done) return;
    done = true;
    // A request cut short ends with ERR_STREAM_PREMATURE_CLOSE: the reader sees an error, not an end.
    if (err) controller.error(err);
    else controller.close();
  });
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        req.on('data', onData);
      },
      pull() {
        req.resume();
      },
      cancel(reason) {
        done = true;
        req.off('data', onData);
        req.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: _HIGH_WATER }),
  );
}
