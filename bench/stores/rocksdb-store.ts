/**
 * RocksDB through @nxtedition/rocksdb's fastest paths on this machine. The binding writes
 * batches synchronously on the calling thread and exposes synchronous reads as underscore
 * methods (`_getManySync`, `_nextvSync`) that its own promise API is built on; the benchmark
 * uses them because they are several times faster than the promise forms here, which keeps
 * this peer as strong as it can be.
 *
 * Trap: in 12.2.12 `db.put(k, v, { sync: true })` ignores `sync` (its `_put` writes the batch
 * without options), so a durable single write goes through `batch().put().write({ sync })`.
 */
import { RocksLevel } from '@nxtedition/rocksdb';
import type { BatchOperation, Iterator as RocksIterator } from '@nxtedition/rocksdb';
import { diskUsageBytes } from './disk-usage.js';
import type {
  BenchCursor,
  BenchStore,
  EntryVisitor,
  KeyValue,
  PutOptions,
  StoreOpenOptions,
} from './store.js';

/** Entries a readseq cursor fetches per native call. */
const SCAN_CHUNK_ENTRIES = 1000;
/** The binding sizes write_buffer_size as a quarter of the memtable budget. */
const MEMTABLES_PER_BUDGET = 4;

/** RocksDB via @nxtedition/rocksdb. */
export class RocksdbStore implements BenchStore {
  readonly name = 'rocksdb';
  readonly packageName = '@nxtedition/rocksdb';
  readonly apiSummary =
    'batch([ops]); _getManySync([k]); _getManySync(keys); batch().put().write({sync}); iterator().seek() + _nextvSync()';
  #db: RocksLevel | undefined;
  #dir = '';

  async open(dir: string, options: StoreOpenOptions): Promise<void> {
    const db = new RocksLevel(dir, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
      cacheSize: options.blockCacheBytes,
      memtableMemoryBudget: options.writeBufferBytes * MEMTABLES_PER_BUDGET,
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
    // The array form measured faster than the chained form here: it skips abstract-level's
    // per-put argument checks.
    const operations: BatchOperation[] = new Array<BatchOperation>(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const [key, value] = pairs[i]!;
      operations[i] = { type: 'put', key: asBuffer(key), value: asBuffer(value) };
    }
    await this.#open().batch(operations);
  }

  async putOne(key: Uint8Array, value: Uint8Array, options: PutOptions): Promise<void> {
    await this.#open().batch().put(asBuffer(key), asBuffer(value)).write({ sync: options.sync });
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.#open()._getManySync([asBuffer(key)])[0];
  }

  getMany(keys: Uint8Array[]): readonly (Uint8Array | undefined)[] {
    return this.#open()._getManySync(keys.map(asBuffer));
  }

  cursor(options: { readonly reverse: boolean }): BenchCursor {
    return new RocksdbCursor(this.#open().iterator({ reverse: options.reverse }));
  }

  /** The binding exposes no manual compaction (RocksDB's CompactRange is not bound). */
  compact(): Promise<void> {
    return Promise.reject(new Error('RocksdbStore.compact: @nxtedition/rocksdb binds no manual compaction'));
  }

  diskUsageBytes(): Promise<number> {
    return diskUsageBytes(this.#dir);
  }

  #open(): RocksLevel {
    if (this.#db === undefined) throw new Error('RocksdbStore: not open');
    return this.#db;
  }
}

class RocksdbCursor implements BenchCursor {
  readonly #iterator: RocksIterator;

  constructor(iterator: RocksIterator) {
    this.#iterator = iterator;
  }

  seek(key: Uint8Array): void {
    this.#iterator.seek(asBuffer(key));
  }

  read(count: number, visit: EntryVisitor): number {
    let read = 0;
    while (read < count) {
      const { rows, finished } = this.#iterator._nextvSync(Math.min(count - read, SCAN_CHUNK_ENTRIES));
      for (let i = 0; i + 1 < rows.length; i += 2) visit(rows[i]!, rows[i + 1]!);
      read += rows.length / 2;
      if (finished || rows.length === 0) break;
    }
    return read;
  }

  close(): Promise<void> {
    return this.#iterator.close();
  }
}

/** The binding accepts only Buffers; the harness already makes Buffers, so this rarely copies. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
