import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { _rng } from './_conversation.js';
import { FileStore } from './file-store.js';
import { SessionManager } from './session-manager.js';
import { MemoryStore } from './store.js';

// The receiver runs in a child process on a FileStore and is killed with SIGKILL at random moments
// while it decrypts; each restart is handed every message again, as a relay redelivers what was
// never acknowledged. Afterwards its inbox holds every message exactly once.
const tmp = mkdtempSync(path.join(tmpdir(), 'tacit-recv-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const NS = new Uint8Array(32).fill(9);
const child = fileURLToPath(new URL('./_store-child.js', import.meta.url));

function run(args: string[]): { done: Promise<{ code: number | null; out: string; err: string }>; kill: () => void } {
  const p = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    done: new Promise((resolve) => p.once('exit', (code) => resolve({ code, out, err }))),
    kill: () => p.kill('SIGKILL'),
  };
}

describe('received but not stored', () => {
  it('SIGKILL during decrypts: after redelivery every message is in the inbox exactly once', async () => {
    const dir = path.join(tmp, 'bob');
    const N = 150;
    {
      const bob = await SessionManager.open({ store: await FileStore.open(dir), namespaceId: NS });
      const alice = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS });
      await alice.startSession('bob', await bob.bundle());
      const first = await bob.decrypt('alice', await alice.encrypt('bob', new TextEncoder().encode('m0')));
      await bob.acknowledge(first.id);
      await alice.decrypt('bob', await bob.encrypt('alice', new TextEncoder().encode('answer')));
      const msgs = [];
      for (let i = 1; i <= N; i++) {
        const m = await alice.encrypt('bob', new TextEncoder().encode(`m${i}`));
        msgs.push({ type: m.type, body: Buffer.from(m.body).toString('base64') });
      }
      // Delivered out of order, the same order every time (a redelivery).
      const rnd = _rng(5);
      for (let i = msgs.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [msgs[i], msgs[j]] = [msgs[j]!, msgs[i]!];
      }
      writeFileSync(path.join(tmp, 'msgs.json'), JSON.stringify(msgs));
    }
    let kills = 0;
    for (let round = 0; round < 6; round++) {
      const c = run(['receive', dir, path.join(tmp, 'msgs.json')]);
      const t = await Promise.race([c.done, sleep(200 + Math.floor(Math.random() * 300)).then(() => undefined)]);
      if (t !== undefined) {
        assert.equal(t.code, 0, t.err);
        break;
      }
      c.kill();
      await c.done;
      kills++;
    }
    const last = await run(['receive', dir, path.join(tmp, 'msgs.json')]).done;
    assert.equal(last.code, 0, last.err);
    assert.equal(last.out, 'done\n');
    assert.ok(kills > 0, 'the child was never killed mid-run: raise N');

    const bob = await SessionManager.open({ store: await FileStore.open(dir), namespaceId: NS });
    const inbox = (await bob.pending()).map((m) => new TextDecoder().decode(m.plaintext));
    assert.equal(inbox.length, N, `inbox has ${inbox.length} entries for ${N} messages`);
    assert.deepEqual([...inbox].sort(), Array.from({ length: N }, (_, i) => `m${i + 1}`).sort());
  });
});
