/**
 * Test helper, run as a child process by `store.spec.ts` and `received-not-stored.spec.ts`, which
 * kill it with SIGKILL at random moments. Not exported.
 *
 *     node _store-child.js commits <dir>            commits { a: n, b: n, c: n } for n = 1, 2, ... forever
 *     node _store-child.js receive <dir> <msgs.json> decrypts each message of the file in turn
 *                                                     (a relay redelivering all of them), printing
 *                                                     "done" at the end
 * @module
 */
import { readFileSync } from 'node:fs';
import { FileStore } from './file-store.js';
import { SessionError } from './errors.js';
import { SessionManager } from './session-manager.js';

const [mode, dir, file] = process.argv.slice(2);
const store = await FileStore.open(dir!);
if (mode === 'commits') {
  const last = await store.get('a');
  let n = last === undefined ? 0 : Number(new TextDecoder().decode(last));
  for (;;) {
    n++;
    const v = new TextEncoder().encode(String(n));
    await store.commit([
      ['a', v],
      ['b', v],
      ['c', v],
    ]);
  }
} else if (mode === 'receive') {
  const msgs = JSON.parse(readFileSync(file!, 'utf8')) as { type: 2 | 3; body: string }[];
  const sut = await SessionManager.open({ store, namespaceId: new Uint8Array(32).fill(9) });
  for (const m of msgs) {
    try {
      await sut.decrypt('alice', { type: m.type, body: new Uint8Array(Buffer.from(m.body, 'base64')) });
    } catch (err) {
      // A redelivered message already stored: the relay would get its ACK now.
      if (!(err instanceof SessionError && err.code === 'DUPLICATE_MESSAGE')) throw err;
    }
  }
  process.stdout.write('done\n');
}
