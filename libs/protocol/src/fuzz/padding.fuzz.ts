// Fuzz target: unpad (what the SDK applies to every delivered payload after decryption) on
// arbitrary bytes. Checks: only ProtocolError (MALFORMED_FRAME); what unpads is a view inside the
// input whose length the prefix states, and padding it again gives the input back whenever the
// input is the bucket pad() picks.
import { ErrorCode, ProtocolError } from '../errors.js';
import { bucketFor, pad, PAD_PREFIX_LEN, unpad } from '../padding.js';
import { expect, sameBytes, vectorBytes } from './_fuzz.js';

export function fuzz(data: Uint8Array): void {
  let out: Uint8Array;
  try {
    out = unpad(data);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(err.code === ErrorCode.MALFORMED_FRAME, `unpad threw code ${err.code}`);
    return;
  }
  expect(out.buffer === data.buffer && out.byteOffset === data.byteOffset + PAD_PREFIX_LEN, 'unpad returned other memory than its input');
  expect(out.length === new DataView(data.buffer, data.byteOffset, 4).getUint32(0), 'unpad ignored the length prefix');
  if (out.length + PAD_PREFIX_LEN <= 65536 && data.length === bucketFor(out.length + PAD_PREFIX_LEN)) {
    expect(sameBytes(pad(out), data), 'pad(unpad(x)) differs from x');
  }
}

/** The padding golden vectors: valid padded plaintexts and the invalid ones. */
export function seeds(): Uint8Array[] {
  return vectorBytes('padding', 'padded');
}
