import type { BusSubscription } from '@tacit/kit';
import type { ClientConnection } from './connection.js';
import { keyBytes } from './keys.js';

const _NO_KEYS: readonly string[] = Object.freeze([]);
/** Claims held in an exact-size array up to this many; past it in a Set. */
const _FEW_CLAIMS = 16;

/**
 * The mailboxes a connection claimed, by key (the id's bytes as a latin1 string; the bytes are made
 * again from it when needed). Map-like, without holding a Uint8Array per mailbox: a handful of keys
 * sit in one exact-size array, many in a Set.
 */
export class ClaimSet {
  private few: readonly string[] = _NO_KEYS;
  private many: Set<string> | undefined;

  get size(): number {
    return this.many ? this.many.size : this.few.length;
  }

  has(key: string): boolean {
    return this.many ? this.many.has(key) : this.few.includes(key);
  }

  /** Adds `key` (the mailbox id's bytes are implied by it and not kept). */
  set(key: string): this {
    if (this.has(key)) return this;
    if (this.many) this.many.add(key);
    // concat, not a spread: V8 gives `[...few, key]` room to grow (20 slots for 3 keys, +136 B on
    // every idle connection); concat allocates the exact length.
    else if (this.few.length < _FEW_CLAIMS) this.few = this.few.concat(key);
    else {
      this.many = new Set(this.few).add(key);
      this.few = _NO_KEYS;
    }
    return this;
  }

  delete(key: string): boolean {
    if (this.many) return this.many.delete(key);
    if (!this.few.includes(key)) return false;
    this.few = this.few.filter((k) => k !== key);
    return true;
  }

  keys(): IterableIterator<string> {
    return (this.many ?? this.few).values();
  }

  /** The mailbox ids, made from the keys. */
  *values(): IterableIterator<Uint8Array> {
    for (const key of this.keys()) yield keyBytes(key);
  }
}

/**
 * This replica's hold on one claimed mailbox: its bus subscription and the connections claiming it —
 * nearly always one, held as is; a Set only when several connections claim the same mailbox.
 * Iterates over the connections.
 */
export class Claimants implements Iterable<ClientConnection> {
  private conns: ClientConnection | Set<ClientConnection> | undefined;

  constructor(
    readonly sub: BusSubscription,
    first: ClientConnection,
  ) {
    this.conns = first;
  }

  get size(): number {
    const c = this.conns;
    return c instanceof Set ? c.size : c ? 1 : 0;
  }

  /** The claimant when there is exactly one (the usual case), else undefined. */
  get only(): ClientConnection | undefined {
    const c = this.conns;
    return c instanceof Set ? (c.size === 1 ? c.values().next().value : undefined) : c;
  }

  add(conn: ClientConnection): void {
    const c = this.conns;
    if (c instanceof Set) c.add(conn);
    else if (!c) this.conns = conn;
    else if (c !== conn) this.conns = new Set([c, conn]);
  }

  delete(conn: ClientConnection): void {
    const c = this.conns;
    if (c instanceof Set) c.delete(conn);
    else if (c === conn) this.conns = undefined;
  }

  *[Symbol.iterator](): Iterator<ClientConnection> {
    const c = this.conns;
    if (c instanceof Set) yield* c;
    else if (c) yield c;
  }
}

