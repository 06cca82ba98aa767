/**
 * statefn's own engine, through the public contract of engine/index.ts: `write(WriteBatch)`
 * for batches, `put(k, v, { sync })` for single writes, synchronous `getInto` into one
 * reused buffer (as lmdb's `getBinaryFast` reuses its own) and `getMany`, and the
 * synchronous `iterator()` with `seek()` for scans.
 */
import { availableParallelism } from 'node:os';
import { Engine, MAX_SUBCOMPACTIONS, WriteBatch } from '../../engine/index.js';
import { diskUsageBytes } from './disk-usage.js';
import type {
  BenchCursor,
  BenchStore,
  EntryVisitor,
  KeyValue,
  PutOptions,
  StoreOpenOptions,
} from './store.js';

/** Parts of a manual compaction: one per core, within the engine's limit. */
function compactionParts(): number {
  return Math.min(MAX_SUBCOMPACTIONS, availableParallelism());
}

/** Bytes of the buffer getSync reads into: every value of the workloads fits. */
const VALUE_BUFFER_BYTES = 64 * 1024;

type Db = Awaited<ReturnType<typeof Engine.open>>;
type DbIterator = ReturnType<Db['iterator']>;

/** statefn's LSM engine. */
export class StatefnStore implements BenchStore {
  readonly name = 'statefn';
  readonly packageName = 'statefn';
  readonly apiSummary =
    'write(new WriteBatch().put()…); getInto(key, reused buffer); getMany(); put(k, v, {sync}); iterator({reverse}).seek().read(n, visit)';
  #db: Db | undefined;
  /** Where getSync reads values; a value that does not fit is read by `get`. */
  readonly #value = new Uint8Array(VALUE_BUFFER_BYTES);
  #dir = '';

  async open(dir: string, options: StoreOpenOptions): Promise<void> {
    this.#db = await Engine.open(dir, {
      writeBufferSizeBytes: options.writeBufferBytes,
      blockCacheBytes: options.blockCacheBytes,
    });
    this.#dir = dir;
  }

  async close(): Promise<void> {
    await this.#open().close();
    this.#db = undefined;
  }

  async putBatch(pairs: readonly KeyValue[]): Promise<void> {
    const batch = new WriteBatch();
    for (const [key, value] of pairs) batch.put(key, value);
    await this.#open().write(batch, { sync: false });
  }

  async putOne(key: Uint8Array, value: Uint8Array, options: PutOptions): Promise<void> {
    await this.#open().put(key, value, { sync: options.sync });
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    const db = this.#open();
    const length = db.getInto(key, this.#value);
    if (length < 0) return undefined;
    return length <= this.#value.length ? this.#value.subarray(0, length) : db.get(key);
  }

  getMany(keys: Uint8Array[]): readonly (Uint8Array | undefined)[] {
    return this.#open().getMany(keys);
  }

  cursor(options: { readonly reverse: boolean }): BenchCursor {
    return new StatefnCursor(this.#open().iterator({ reverse: options.reverse }));
  }

  /**
   * `compactRange()` over every key; it flushes the memtables first. The caller waits for it
   * with nothing else running, so its compactions may split into a part per core
   * (`maxSubcompactions`; the engine's own default, for background compactions, is 1).
   */
  async compact(): Promise<void> {
    await this.#open().compactRange(undefined, undefined, { maxSubcompactions: compactionParts() });
  }

  diskUsageBytes(): Promise<number> {
    return diskUsageBytes(this.#dir);
  }

  #open(): Db {
    if (this.#db === undefined) throw new Error('StatefnStore: not open');
    return this.#db;
  }
}

/**
 * Reads go through the iterator's zero-copy `read(count, visit)` (views valid during the
 * visit, as the bench's EntryVisitor allows), so a `seek` repositions the stream that later
 * reads continue from.
 */
class StatefnCursor implements BenchCursor {
  readonly #source: DbIterator;

  constructor(source: DbIterator) {
    this.#source = source;
  }

  seek(key: Uint8Array): void {
    this.#source.seek(key);
  }

  read(count: number, visit: EntryVisitor): number {
    return this.#source.read(count, visit);
  }

  close(): void {
    this.#source.close();
  }
}
