import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { FileStore } from './file-store.js';
import { IndexedDbStore } from './indexeddb-store.js';
import { MemoryStore, type SessionStore } from './store.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tacit-store-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => path.join(tmp, `d${dirs++}`);
const b = (s: string) => new TextEncoder().encode(s);
const s = (u: Uint8Array | undefined) => (u === undefined ? undefined : new TextDecoder().decode(u));

// IndexedDB runs on fake-indexeddb here, a complete implementation of the IndexedDB API in
// JavaScript; the same store runs on a browser's own IndexedDB in the browser build.
const stores: [string, () => Promise<SessionStore>][] = [
  ['MemoryStore', () => Promise.resolve(new MemoryStore())],
  ['FileStore', () => FileStore.open(newDir())],
  ['IndexedDbStore', () => IndexedDbStore.open(`db${dirs++}`, { indexedDB, IDBKeyRange } as never)],
];

for (const [name, make] of stores) {
  describe(`${name}: the SessionStore contract`, () => {
    it('stores, lists by prefix in order, overwrites and deletes', async () => {
      const sut = await make();
      assert.equal(await sut.get('x/1'), undefined);
      await sut.commit([
        ['x/2', b('two')],
        ['x/1', b('one')],
        ['y/1', b('other')],
        ['x/10', new Uint8Array(0)],
      ]);
      assert.equal(s(await sut.get('x/1')), 'one');
      assert.deepEqual(await sut.get('x/10'), new Uint8Array(0));
      assert.deepEqual(await sut.keys('x/'), ['x/1', 'x/10', 'x/2']);
      assert.deepEqual(await sut.keys(''), ['x/1', 'x/10', 'x/2', 'y/1']);
      await sut.commit([
        ['x/1', undefined],
        ['x/2', b('TWO')],
        ['zz', undefined],
      ]);
      assert.equal(await sut.get('x/1'), undefined);
      assert.equal(s(await sut.get('x/2')), 'TWO');
      assert.deepEqual(await sut.keys('x/'), ['x/10', 'x/2']);
    });

    it('values are copies: changing an array after commit or get does not change what is stored', async () => {
      const sut = await make();
      const v = b('abc');
      await sut.commit([['k', v]]);
      v[0] = 0x7a;
      const got = (await sut.get('k'))!;
      got[1] = 0x7a;
      assert.equal(s(await sut.get('k')), 'abc');
    });

    it('a commit with a bad key applies none of its writes', async () => {
      const sut = await make();
      for (const bad of ['', 'x'.repeat(121), 'sp ace', 'é']) {
        await assert.rejects(
          sut.commit([
            ['ok', b('1')],
            [bad, b('2')],
          ]),
          RangeError,
        );
      }
      assert.equal(await sut.get('ok'), undefined);
      await assert.rejects(async () => sut.get('x'.repeat(121)), RangeError);
    });
  });
}

describe(`${FileStore.name}`, () => {
  it('creates its folder 0700 and every file 0600, whatever the umask', async () => {
    const dir = newDir();
    const old = process.umask(0o000);
    try {
      const sut = await FileStore.open(dir);
      await sut.commit([['one', b('1')]]);
      await sut.commit([
        ['two', b('2')],
        ['three', b('3')],
      ]);
    } finally {
      process.umask(old);
    }
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const files = readdirSync(dir);
    assert.equal(files.length, 3);
    for (const f of files) assert.equal(statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
  });

  it('a crash after the journal is written replays the whole commit on open', async () => {
    const dir = newDir();
    const sut = await FileStore.open(dir);
    await sut.commit([['a', b('old')]]);
    sut._onStep = (step) => {
      if (step === 'applied-one') throw new Error('crash');
    };
    await assert.rejects(
      sut.commit([
        ['a', b('new')],
        ['b', b('new')],
        ['c', undefined],
      ]),
      /crash/,
    );
    // Half applied on disk: a read of this instance would show it, which is why the store must be reopened.
    const again = await FileStore.open(dir);
    assert.equal(s(await again.get('a')), 'new');
    assert.equal(s(await again.get('b')), 'new');
    assert.deepEqual(readdirSync(dir).sort(), [Buffer.from('a').toString('hex'), Buffer.from('b').toString('hex')]);
  });

  it('an unfinished journal or value file (.tmp) is discarded on open', async () => {
    const dir = newDir();
    const sut = await FileStore.open(dir);
    await sut.commit([['a', b('kept')]]);
    writeFileSync(path.join(dir, 'journal.tmp'), 'half a journal');
    writeFileSync(path.join(dir, `${Buffer.from('a').toString('hex')}.tmp`), 'half a value');
    const again = await FileStore.open(dir);
    assert.equal(s(await again.get('a')), 'kept');
    assert.deepEqual(readdirSync(dir), [Buffer.from('a').toString('hex')]);
  });

  it('SIGKILL at random moments during commits never leaves a commit half applied', async () => {
    const dir = newDir();
    const child = fileURLToPath(new URL('./_store-child.js', import.meta.url));
    let last = 0;
    for (let round = 0; round < 8; round++) {
      const p = spawn(process.execPath, [child, 'commits', dir], { stdio: 'ignore' });
      await sleep(150 + Math.floor(Math.random() * 200));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      const sut = await FileStore.open(dir);
      const [a, bb, c] = (await Promise.all(['a', 'b', 'c'].map(async (k) => Number(s(await sut.get(k)) ?? '0')))) as [number, number, number];
      assert.equal(bb, a, `round ${round}: b=${bb} a=${a}`);
      assert.equal(c, a, `round ${round}: c=${c} a=${a}`);
      assert.ok(a >= last, `round ${round}: went back from ${last} to ${a}`);
      last = a;
    }
    assert.ok(last > 0, 'the child committed nothing');
  });
});
