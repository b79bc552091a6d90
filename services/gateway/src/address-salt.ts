// Moved to @tacit/platform (the media service hashes its uploaders' addresses the same way); kept
// here so the gateway's imports stay as they were.
export { AddressSalt, requesterOf } from '@tacit/platform';
