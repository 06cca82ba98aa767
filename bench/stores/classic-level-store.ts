/**
 * classic-level (LevelDB) through its fastest paths on this machine: a chained `batch()` for
 * bulk writes (faster here than the array form, which allocates an object per operation),
 * `getSync` for point reads, `getMany` for multi-gets, and `iterator().nextv()` with `seek()`
 * for scans. Iteration has no synchronous API in classic-level, so every cursor read awaits.
 */
import { ClassicLevel } from 'classic-level';
import type { Iterator as LevelIterator } from 'classic-level';
import { diskUsageBytes } from './disk-usage.js';
import type {
  BenchCursor,
  BenchStore,
  EntryVisitor,
  KeyValue,
  PutOptions,
  StoreOpenOptions,
} from './store.js';

type Db = ClassicLevel<Uint8Array, Uint8Array>;
type DbIterator = LevelIterator<Db, Uint8Array, Uint8Array>;

/** Entries a readseq cursor fetches per native call; classic-level's own default for `all()`. */
const SCAN_CHUNK_ENTRIES = 1000;

/** A key above every benchmark key (16 ASCII digits), the end of a whole-range compaction. */
const ABOVE_EVERY_KEY = new Uint8Array(17).fill(0xff);

/** LevelDB via classic-level. */
export class ClassicLevelStore implements BenchStore {
  readonly name = 'classic-level';
  readonly packageName = 'classic-level';
  readonly apiSummary =
    'chained batch().put().write(); getSync(); getMany(); put(k, v, {sync}); iterator().seek() + nextv()';
  #db: Db | undefined;
  #dir = '';

  async open(dir: string, options: StoreOpenOptions): Promise<void> {
    const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      cacheSize: options.blockCacheBytes,
      writeBufferSize: options.writeBufferBytes,
    });
    await db.open();
    this.#db = db;
    this.#dir = dir;
  }

  async close(): Promise<void> {
    await this.#open().close();
    this.#db = undefined;
  }

  async putBatch(pairs: readonly KeyValue[]): Promise<void> {
    const batch = this.#open().batch();
    for (const [key, value] of pairs) batch.put(key, value);
    await batch.write();
  }

  async putOne(key: Uint8Array, value: Uint8Array, options: PutOptions): Promise<void> {
    await this.#open().put(key, value, { sync: options.sync });
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.#open().getSync(key);
  }

  getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.#open().getMany(keys);
  }

  cursor(options: { readonly reverse: boolean }): BenchCursor {
    return new ClassicLevelCursor(this.#open(), options.reverse);
  }

  /**
   * LevelDB's CompactRange from the empty key (below every key) to one above every key of the
   * benchmark (they are ASCII digits); it compacts the memtable first and returns when done.
   */
  async compact(): Promise<void> {
    await this.#open().compactRange(new Uint8Array(0), ABOVE_EVERY_KEY);
  }

  diskUsageBytes(): Promise<number> {
    return diskUsageBytes(this.#dir);
  }

  #open(): Db {
    if (this.#db === undefined) throw new Error('ClassicLevelStore: not open');
    return this.#db;
  }
}

class ClassicLevelCursor implements BenchCursor {
  readonly #iterator: DbIterator;

  constructor(db: Db, reverse: boolean) {
    this.#iterator = db.iterator<Uint8Array, Uint8Array>({ reverse });
  }

  seek(key: Uint8Array): void {
    this.#iterator.seek(key);
  }

  async read(count: number, visit: EntryVisitor): Promise<number> {
    let read = 0;
    while (read < count) {
      const entries = await this.#iterator.nextv(Math.min(count - read, SCAN_CHUNK_ENTRIES));
      if (entries.length === 0) break;
      for (const [key, value] of entries) visit(key, value);
      read += entries.length;
    }
    return read;
  }

  close(): Promise<void> {
    return this.#iterator.close();
  }
}
