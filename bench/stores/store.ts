/**
 * The contract every benchmark contender implements.
 *
 * Each implementation reaches its store through that store's FASTEST idiomatic API, so that a
 * ratio against a peer measures the engines and not a slow binding path: sync reads where the
 * binding has them, the batch form that measured fastest on this machine, sync iterators where
 * they exist. Methods that may complete synchronously return `T | Promise<T>`; callers await
 * only when a promise comes back, because an `await` on every call would add a microtask per
 * operation to the stores that need none.
 */

/** A value that is either ready now or arrives later. */
export type MaybePromise<T> = T | Promise<T>;

/** One key and its value. */
export type KeyValue = readonly [key: Uint8Array, value: Uint8Array];

/** Receives each entry a cursor reads; the buffers may be reused after it returns. */
export type EntryVisitor = (key: Uint8Array, value: Uint8Array) => void;

/** Settings that are the same for every contender of a run. */
export type StoreOpenOptions = {
  /** Block cache for the LSM stores (LMDB reads through the OS page cache instead). */
  readonly blockCacheBytes: number;
  /** Memtable size for the LSM stores that take one. */
  readonly writeBufferBytes: number;
};

/** Durability asked of a single write. */
export type PutOptions = {
  /** When true the write is acknowledged only once it is on stable storage (fsync). */
  readonly sync: boolean;
};

/** An ordered cursor, forward or reverse, positioned by {@link BenchCursor.seek}. */
export interface BenchCursor {
  /**
   * Positions the cursor at the first entry at or after `key` (forward), or at the last entry
   * at or before `key` (reverse).
   */
  seek(key: Uint8Array): void;
  /** Reads up to `count` entries from the current position; returns how many were read. */
  read(count: number, visit: EntryVisitor): MaybePromise<number>;
  /** Releases the cursor. */
  close(): MaybePromise<void>;
}

/**
 * The `packageName` of a contender built into Node.js itself (the js-map reference): the
 * report prints the runtime's version for it.
 */
export const NODE_JS_PACKAGE = 'Node.js';

/** A key-value store under benchmark. */
export interface BenchStore {
  /** Short name used on the command line and in the report, e.g. `classic-level`. */
  readonly name: string;
  /** npm package whose version the report prints, or {@link NODE_JS_PACKAGE}. */
  readonly packageName: string;
  /** One line on the API paths used, printed in the report so the method is visible. */
  readonly apiSummary: string;
  /** Opens (creating) a store in the empty directory `dir`. */
  open(dir: string, options: StoreOpenOptions): Promise<void>;
  /** Closes the store; its files stay until the harness deletes the directory. */
  close(): Promise<void>;
  /** Writes all pairs atomically in one batch, without fsync. */
  putBatch(pairs: readonly KeyValue[]): Promise<void>;
  /** Writes one pair and resolves once the store acknowledges it at the requested durability. */
  putOne(key: Uint8Array, value: Uint8Array, options: PutOptions): Promise<void>;
  /**
   * Point lookup through the store's fastest synchronous path. The value may be a view valid
   * only until the next call (lmdb's `getBinaryFast`, statefn's `getInto`): callers read it
   * before they call again.
   */
  getSync(key: Uint8Array): Uint8Array | undefined;
  /** Looks up many keys in one call; result `i` belongs to `keys[i]`. */
  getMany(keys: Uint8Array[]): MaybePromise<readonly (Uint8Array | undefined)[]>;
  /** Opens a cursor at the first (forward) or last (reverse) key. */
  cursor(options: { readonly reverse: boolean }): BenchCursor;
  /**
   * Compacts the whole key space, memtables included, and resolves once that is done, as
   * db_bench's `compact` does: the store is then as settled as it gets. A store with nothing
   * to compact (a B+tree, a Map) resolves at once; one whose binding offers no manual
   * compaction rejects, and the registry keeps it out of the workloads that compact
   * (store-registry.ts, UNSUPPORTED_WORKLOADS).
   */
  compact(): Promise<void>;
  /** Bytes the store's directory occupies on disk (allocated blocks, so sparse files count true). */
  diskUsageBytes(): Promise<number>;
}

/** Creates a store that is not yet open. */
export type StoreFactory = () => BenchStore;
