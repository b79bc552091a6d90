/**
 * Encrypted media: the chunked format, the descriptor a message carries, upload by tus and ranged,
 * verified download. docs/media.md ("SDK") has the format and the guarantees.
 * @module
 */
export { MediaError, type MediaErrorCode } from './errors.js';
export {
  chunkNonce,
  ciphertextSize,
  MEDIA_AAD,
  MEDIA_CHUNK_BYTES,
  MEDIA_CIPHER_CHUNK_BYTES,
  MEDIA_DIGEST_BYTES,
  MEDIA_KEY_BYTES,
  MEDIA_MAX_SIZE,
  MEDIA_MIN_PADDED,
  MEDIA_PADME_FROM,
  MEDIA_TAG_BYTES,
  mediaLayout,
  paddedSize,
  type MediaLayout,
} from './format.js';
export { decryptChunk, decryptMedia, encryptChunk, MediaDecryptor, MediaEncryptor, newMediaKey, type MediaSecrets } from './cipher.js';
export { openSource, type MediaInput, type PlainSource, type SizedStream } from './source.js';
export {
  checkMediaDescriptor,
  checkMediaUrl,
  decodeMediaDescriptor,
  encodeMediaDescriptor,
  MEDIA_DESCRIPTOR_VERSION,
  MEDIA_MAX_URL_BYTES,
  type MediaDescriptor,
} from './descriptor.js';
export { isSecureMediaUrl, type MediaFetch } from './http.js';
export { downloadMedia, fetchBlobRange, type DownloadMediaOptions } from './download.js';
export { MEDIA_UPLOAD_CHUNK, MEDIA_UPLOAD_STREAMED_CHUNK, uploadMedia, type MediaUploadState, type UploadMediaOptions, type UploadedMedia } from './upload.js';
