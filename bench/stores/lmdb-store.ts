/**
 * LMDB through lmdb-js's fastest paths on this machine: `transactionSync` with `putSync` for a
 * batch (faster here than `batch()` or a burst of async `put`s), `getBinaryFast` for point
 * reads (lmdb-js's documented zero-copy read: the buffer is valid until the next read, which
 * is all the benchmark needs), a loop of sync `get`s for multi-gets (faster here than lmdb-js's
 * asynchronous `getMany`, which prefetches on another thread), and `getRange` for scans.
 *
 * Durability: a batch commits without waiting for the flush (NO_SYNC_FLUSH), like the LSM
 * peers' unsynced batches. A single `put` resolves when committed; with `overlappingSync` (the
 * default on Linux) the fsync happens after commit, so a durable write also awaits
 * `db.flushed`. LMDB has no block cache: reads go through the memory map and the page cache.
 */
import { open, TransactionFlags } from 'lmdb';
import type { RootDatabase } from 'lmdb';
import { diskUsageBytes } from './disk-usage.js';
import type {
  BenchCursor,
  BenchStore,
  EntryVisitor,
  KeyValue,
  PutOptions,
  StoreOpenOptions,
} from './store.js';

type Db = RootDatabase<Buffer, Uint8Array>;
type Entry = { key: Uint8Array; value: Buffer };

const BATCH_FLAGS = TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH;

/** LMDB via lmdb-js. */
export class LmdbStore implements BenchStore {
  readonly name = 'lmdb';
  readonly packageName = 'lmdb';
  readonly apiSummary =
    'transactionSync(putSync…, NO_SYNC_FLUSH); getBinaryFast(); get() per key; put() (+ await flushed when sync); getRange({start, reverse})';
  #db: Db | undefined;
  #dir = '';

  async open(dir: string, _options: StoreOpenOptions): Promise<void> {
    this.#db = open<Buffer, Uint8Array>({ path: dir, keyEncoding: 'binary', encoding: 'binary' });
    this.#dir = dir;
  }

  async close(): Promise<void> {
    await this.#open().close();
    this.#db = undefined;
  }

  async putBatch(pairs: readonly KeyValue[]): Promise<void> {
    const db = this.#open();
    db.transactionSync(() => {
      for (const [key, value] of pairs) db.putSync(key, value as Buffer);
    }, BATCH_FLAGS);
  }

  async putOne(key: Uint8Array, value: Uint8Array, options: PutOptions): Promise<void> {
    const db = this.#open();
    await db.put(key, value as Buffer);
    if (options.sync) await db.flushed;
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.#open().getBinaryFast(key);
  }

  getMany(keys: Uint8Array[]): readonly (Uint8Array | undefined)[] {
    const db = this.#open();
    const values = new Array<Uint8Array | undefined>(keys.length);
    for (let i = 0; i < keys.length; i++) values[i] = db.get(keys[i]!);
    return values;
  }

  cursor(options: { readonly reverse: boolean }): BenchCursor {
    return new LmdbCursor(this.#open(), options.reverse);
  }

  /** A B+tree updated in place: there is nothing to compact. */
  async compact(): Promise<void> {}

  diskUsageBytes(): Promise<number> {
    return diskUsageBytes(this.#dir);
  }

  #open(): Db {
    if (this.#db === undefined) throw new Error('LmdbStore: not open');
    return this.#db;
  }
}

/** getRange is lazy, so a "seek" opens a new range there and reads continue from it. */
class LmdbCursor implements BenchCursor {
  readonly #db: Db;
  readonly #reverse: boolean;
  #entries: Iterator<Entry>;

  constructor(db: Db, reverse: boolean) {
    this.#db = db;
    this.#reverse = reverse;
    this.#entries = db.getRange({ reverse })[Symbol.iterator]();
  }

  seek(key: Uint8Array): void {
    this.#entries.return?.();
    this.#entries = this.#db.getRange({ start: key, reverse: this.#reverse })[Symbol.iterator]();
  }

  read(count: number, visit: EntryVisitor): number {
    let read = 0;
    while (read < count) {
      const next = this.#entries.next();
      if (next.done === true) break;
      visit(next.value.key, next.value.value);
      read++;
    }
    return read;
  }

  close(): void {
    this.#entries.return?.();
  }
}
