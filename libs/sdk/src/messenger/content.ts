/**
 * What a message carries, inside the session's encryption (this is what `pad()` pads): one byte
 * saying what kind of content follows, then its body.
 *
 *     0  data   the app's bytes, as given to `send`
 *     1  media  a media descriptor (`sendMedia`; media/descriptor.ts, versioned itself)
 *
 * A receiver refuses a kind it does not know (`UNSUPPORTED_CONTENT`) and a body that does not decode
 * (`BAD_CONTENT`), each reported to `onError`, and drops the message: a newer sender's content is
 * never shown as something else.
 * @module
 */
import { decodeMediaDescriptor, encodeMediaDescriptor, type MediaDescriptor } from '../media/descriptor.js';
import { MediaError } from '../media/errors.js';
import { MessengerError } from './errors.js';

/** Content kind byte of an app's bytes. */
export const CONTENT_DATA = 0;
/** Content kind byte of a media descriptor. */
export const CONTENT_MEDIA = 1;
/** Bytes the content kind adds to every message. */
export const CONTENT_HEADER_BYTES = 1;

/** A message's content, decoded. */
export type MessageContent = { readonly kind: 'data'; readonly data: Uint8Array } | { readonly kind: 'media'; readonly media: MediaDescriptor };

/** The bytes of `c` (a media descriptor is checked first: `MediaError` MALFORMED). */
export function encodeContent(c: MessageContent): Uint8Array {
  const body = c.kind === 'data' ? c.data : encodeMediaDescriptor(c.media);
  const out = new Uint8Array(CONTENT_HEADER_BYTES + body.length);
  out[0] = c.kind === 'data' ? CONTENT_DATA : CONTENT_MEDIA;
  out.set(body, CONTENT_HEADER_BYTES);
  return out;
}

/** Decodes content; `MessengerError` BAD_CONTENT or UNSUPPORTED_CONTENT. Data is a view into `bytes`. */
export function decodeContent(bytes: Uint8Array): MessageContent {
  if (bytes.length < CONTENT_HEADER_BYTES) throw new MessengerError('BAD_CONTENT', 'content', '"content" expected at least 1 byte, got 0');
  const body = bytes.subarray(CONTENT_HEADER_BYTES);
  switch (bytes[0]) {
    case CONTENT_DATA:
      return { kind: 'data', data: body };
    case CONTENT_MEDIA:
      try {
        return { kind: 'media', media: decodeMediaDescriptor(body) };
      } catch (err) {
        if (err instanceof MediaError) throw new MessengerError('BAD_CONTENT', err.field, `a media message whose descriptor does not decode: ${err.message}`, { cause: err });
        throw err;
      }
    default:
      throw new MessengerError('UNSUPPORTED_CONTENT', 'contentKind', `content kind ${bytes[0]} is not one this version knows (0 data, 1 media)`);
  }
}
