/**
 * `SessionStore` on the local file system (Node): one file per key in a folder of mode 0700, each
 * file mode 0600, named by the key's hex.
 *
 * A commit of one write is a temporary file, fsync, rename over the target, fsync of the folder.
 * A commit of several writes is journaled: all writes go into `journal.tmp`, fsync, rename to
 * `journal` (the commit point: rename is atomic), fsync of the folder; then each write is applied
 * as above and the journal removed. Opening the store replays a `journal` left by a crash and
 * deletes unfinished `.tmp` files, so a reopened store shows every write of a commit or none.
 * @module
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { _checkKey, type SessionStore, type StoreWrite } from './store.js';

const _JOURNAL = 'journal';
const _FILE_MODE = 0o600;

function _name(key: string): string {
  return Buffer.from(key, 'latin1').toString('hex');
}

function _key(name: string): string | undefined {
  return /^(?:[0-9a-f]{2})+$/.test(name) ? Buffer.from(name, 'hex').toString('latin1') : undefined;
}

function _fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function _writeDurable(file: string, data: Uint8Array): Promise<void> {
  const fh = await open(file, 'w', _FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function _unlinkIfThere(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

// Journal: per write, u16 key length, key (latin1), u8 op (1 put, 0 delete), u32 value length, value.
function _encodeJournal(writes: readonly StoreWrite[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const [key, value] of writes) {
    const head = Buffer.alloc(2 + key.length + 5);
    head.writeUInt16BE(key.length, 0);
    head.write(key, 2, 'latin1');
    head.writeUInt8(value === undefined ? 0 : 1, 2 + key.length);
    head.writeUInt32BE(value?.length ?? 0, 3 + key.length);
    parts.push(head);
    if (value !== undefined) parts.push(Buffer.from(value.buffer, value.byteOffset, value.length));
  }
  return Buffer.concat(parts);
}

function _decodeJournal(buf: Buffer): StoreWrite[] {
  const out: StoreWrite[] = [];
  let i = 0;
  while (i < buf.length) {
    const kl = buf.readUInt16BE(i);
    const key = buf.toString('latin1', i + 2, i + 2 + kl);
    const op = buf.readUInt8(i + 2 + kl);
    const vl = buf.readUInt32BE(i + 3 + kl);
    const start = i + 7 + kl;
    out.push([key, op === 1 ? new Uint8Array(buf.subarray(start, start + vl)) : undefined]);
    i = start + vl;
  }
  return out;
}

/** A `SessionStore` in a folder of the local file system (Node only). */
export class FileStore implements SessionStore {
  readonly #dir: string;
  #queue: Promise<unknown> = Promise.resolve();
  /** Test hook: called between the steps of a commit, to simulate a crash there by throwing. */
  _onStep: ((step: 'journaled' | 'applied-one') => void) | undefined;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Opens the store in `dir` (created with mode 0700), finishing or discarding an interrupted commit. */
  static async open(dir: string): Promise<FileStore> {
    const sut = new FileStore(path.resolve(dir));
    await mkdir(sut.#dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(sut.#dir)) if (name.endsWith('.tmp')) await unlink(path.join(sut.#dir, name));
    let journal: Buffer | undefined;
    try {
      journal = await readFile(path.join(sut.#dir, _JOURNAL));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (journal !== undefined) await sut.#apply(_decodeJournal(journal), true);
    return sut;
  }

  #file(key: string): string {
    return path.join(this.#dir, _name(key));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    _checkKey(key);
    try {
      return new Uint8Array(await readFile(this.#file(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (const name of await readdir(this.#dir)) {
      const key = _key(name);
      if (key !== undefined && key.startsWith(prefix)) out.push(key);
    }
    return out.sort();
  }

  async commit(writes: readonly StoreWrite[]): Promise<void> {
    for (const [key, value] of writes) {
      _checkKey(key);
      if (value !== undefined && !(value instanceof Uint8Array)) throw new TypeError(`"value" of ${key} expected Uint8Array`);
    }
    // Copies now: the caller may reuse its arrays while the commit waits its turn.
    const own = writes.map(([k, v]): StoreWrite => [k, v?.slice()]);
    const run = this.#queue.then(() => this.#commit(own));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #commit(writes: readonly StoreWrite[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length === 1) return this.#apply(writes, false);
    const tmp = path.join(this.#dir, `${_JOURNAL}.tmp`);
    await _writeDurable(tmp, _encodeJournal(writes));
    await rename(tmp, path.join(this.#dir, _JOURNAL));
    _fsyncDir(this.#dir);
    this._onStep?.('journaled');
    await this.#apply(writes, true);
  }

  async #apply(writes: readonly StoreWrite[], journaled: boolean): Promise<void> {
    for (const [key, value] of writes) {
      const file = this.#file(key);
      if (value === undefined) await _unlinkIfThere(file);
      else {
        await _writeDurable(`${file}.tmp`, value);
        await rename(`${file}.tmp`, file);
      }
      if (journaled) this._onStep?.('applied-one');
    }
    _fsyncDir(this.#dir);
    if (journaled) {
      await _unlinkIfThere(path.join(this.#dir, _JOURNAL));
      _fsyncDir(this.#dir);
    }
  }
}
