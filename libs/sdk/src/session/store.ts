/**
 * Where the session layer keeps its state: a key-value store with atomic multi-key commits. Every
 * change the session layer makes — a message decrypted (ratchet advanced, plaintext put in the
 * inbox, one-time prekey deleted) or encrypted — is one `commit`, so a crash leaves either all of
 * it or none of it. `MemoryStore` is the reference implementation; `FileStore` (Node,
 * `@tacit/sdk/node`) and `IndexedDbStore` (browsers) keep the same contract on disk.
 * @module
 */

/** A write of a commit: bytes to store under the key, or `undefined` to delete it. */
export type StoreWrite = readonly [key: string, value: Uint8Array | undefined];

/** The storage a `SessionManager` needs. Keys are printable ASCII strings up to 120 characters. */
export interface SessionStore {
  /** The bytes stored under `key`, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every key starting with `prefix`, in ascending order. */
  keys(prefix: string): Promise<string[]>;
  /**
   * Applies every write, atomically: once it resolves all are durable; if the process dies first,
   * a reopened store shows all of them or none. Rejects (`RangeError`, applying none) when a key
   * is not valid.
   */
  commit(writes: readonly StoreWrite[]): Promise<void>;
}

/** Longest key (a file store names files by the key's hex, and file names stop at 255 bytes). */
export const MAX_KEY_LENGTH = 120;

/** Keys: printable ASCII (0x21..0x7e), 1..120 characters. */
export function _checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key))
    throw new RangeError(
      `"key" expected 1..${MAX_KEY_LENGTH} printable ASCII characters, got ${typeof key === 'string' ? `${key.length} characters` : typeof key}`,
    );
}

/** The reference store: in memory, values copied in and out so no caller can alias stored bytes. */
export class MemoryStore implements SessionStore {
  readonly #map = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    _checkKey(key);
    return this.#map.get(key)?.slice();
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.#map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async commit(writes: readonly StoreWrite[]): Promise<void> {
    // Checked before any write is applied: a bad key fails the whole commit.
    for (const [key, value] of writes) {
      _checkKey(key);
      if (value !== undefined && !(value instanceof Uint8Array)) throw new TypeError(`"value" of ${key} expected Uint8Array`);
    }
    for (const [key, value] of writes) {
      if (value === undefined) this.#map.delete(key);
      else this.#map.set(key, value.slice());
    }
  }
}
