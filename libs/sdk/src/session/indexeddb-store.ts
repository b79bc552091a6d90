/**
 * `SessionStore` on IndexedDB, for browsers: one object store of byte values; a commit is one
 * readwrite transaction, which IndexedDB applies entirely or not at all (it resolves on the
 * transaction's `complete`, when the browser reports it durable).
 * The IndexedDB types are declared here (the SDK builds without the DOM library).
 * @module
 */
import { _checkKey, type SessionStore, type StoreWrite } from './store.js';

interface _Req<T> {
  result: T;
  error: unknown;
  onsuccess: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
interface _ObjectStore {
  get(key: string): _Req<unknown>;
  getAllKeys(range: unknown): _Req<unknown[]>;
  put(value: unknown, key: string): _Req<unknown>;
  delete(key: string): _Req<unknown>;
}
interface _Tx {
  objectStore(name: string): _ObjectStore;
  oncomplete: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onabort: ((ev: unknown) => void) | null;
  error: unknown;
  abort(): void;
}
interface _Db {
  transaction(names: string, mode: 'readonly' | 'readwrite', options?: { durability?: 'strict' | 'relaxed' | 'default' }): _Tx;
  createObjectStore(name: string): unknown;
  readonly objectStoreNames: { contains(name: string): boolean };
  close(): void;
}
interface _OpenReq extends _Req<_Db> {
  onupgradeneeded: ((ev: unknown) => void) | null;
  onblocked: ((ev: unknown) => void) | null;
}
/** The parts of a browser's `indexedDB` and `IDBKeyRange` this store uses. */
export interface _IndexedDbGlobals {
  readonly indexedDB: { open(name: string, version: number): _OpenReq };
  readonly IDBKeyRange: { bound(lower: string, upper: string, lowerOpen?: boolean, upperOpen?: boolean): unknown };
}

const _OS = 'kv';

function _req<T>(r: _Req<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** A `SessionStore` in an IndexedDB database (browsers). */
export class IndexedDbStore implements SessionStore {
  readonly #db: _Db;
  readonly #g: _IndexedDbGlobals;

  private constructor(db: _Db, g: _IndexedDbGlobals) {
    this.#db = db;
    this.#g = g;
  }

  /** Opens (creating) database `name`; `globals` defaults to the page's `indexedDB` and `IDBKeyRange`. */
  static async open(name: string, globals?: _IndexedDbGlobals): Promise<IndexedDbStore> {
    const g = globals ?? (globalThis as unknown as _IndexedDbGlobals);
    if (g.indexedDB === undefined) throw new TypeError('IndexedDB is not available here');
    const req = g.indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(_OS)) req.result.createObjectStore(_OS);
    };
    return new IndexedDbStore(await _req(req), g);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    _checkKey(key);
    const v = await _req(this.#db.transaction(_OS, 'readonly').objectStore(_OS).get(key));
    return v instanceof Uint8Array ? v : undefined;
  }

  async keys(prefix: string): Promise<string[]> {
    // Keys are printable ASCII, so every key with the prefix sorts below prefix + '\x7f'.
    const range = this.#g.IDBKeyRange.bound(prefix, `${prefix}\x7f`, false, true);
    const keys = await _req(this.#db.transaction(_OS, 'readonly').objectStore(_OS).getAllKeys(range));
    return (keys as string[]).filter((k) => k.startsWith(prefix)).sort();
  }

  async commit(writes: readonly StoreWrite[]): Promise<void> {
    for (const [key, value] of writes) {
      _checkKey(key);
      if (value !== undefined && !(value instanceof Uint8Array)) throw new TypeError(`"value" of ${key} expected Uint8Array`);
    }
    return new Promise((resolve, reject) => {
      const tx = this.#db.transaction(_OS, 'readwrite', { durability: 'strict' });
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      const os = tx.objectStore(_OS);
      for (const [key, value] of writes) {
        if (value === undefined) os.delete(key);
        else os.put(value.slice(), key);
      }
    });
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }
}
