import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new temporary folder for one server (`$TACIT_TEST_TMPDIR`, else the OS temp folder). */
export function _makeServerDir(kind: string): string {
  return mkdtempSync(join(process.env['TACIT_TEST_TMPDIR'] || tmpdir(), `tacit-${kind}-`));
}

/** GET `url`; true on status 200. Never throws (a refused connection is "not yet"). */
export async function _httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** GET `url`; true on any HTTP answer, whatever its status (the listener is up). Never throws. */
export async function _httpAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}
