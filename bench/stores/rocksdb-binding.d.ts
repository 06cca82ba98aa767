// Minimal typings for @nxtedition/rocksdb 12.x, which ships none. Only what the benchmark
// calls is declared. The underscore methods are the binding's synchronous "nxt API" (see its
// index.js and iterator.js): public in practice, undocumented in its README.
declare module '@nxtedition/rocksdb' {
  /** Options read by the binding's db_open (binding.cc). */
  export type RocksLevelOptions = {
    keyEncoding?: 'buffer' | 'utf8';
    valueEncoding?: 'buffer' | 'utf8';
    /** Block cache capacity in bytes (HyperClockCache); default 8 MiB. */
    cacheSize?: number;
    /** Memory for all memtables; write_buffer_size is a quarter of it. Default 256 MiB. */
    memtableMemoryBudget?: number;
    /** ZSTD when true (the default). */
    compression?: boolean;
  };

  export type BatchOperation = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

  export type WriteOptions = { sync?: boolean };

  export class ChainedBatch {
    put(key: Buffer, value: Buffer): this;
    del(key: Buffer): this;
    write(options?: WriteOptions): Promise<void>;
  }

  export type IteratorOptions = {
    reverse?: boolean;
    keys?: boolean;
    values?: boolean;
    gt?: Buffer;
    gte?: Buffer;
    lt?: Buffer;
    lte?: Buffer;
    limit?: number;
  };

  export class Iterator {
    seek(target: Buffer): void;
    nextv(size: number): Promise<[Buffer, Buffer][]>;
    /** Synchronous nextv: rows alternate key, value. */
    _nextvSync(size: number): { rows: Buffer[]; finished: boolean };
    close(): Promise<void>;
  }

  export class RocksLevel {
    constructor(location: string, options?: RocksLevelOptions);
    open(): Promise<void>;
    close(): Promise<void>;
    put(key: Buffer, value: Buffer): Promise<void>;
    get(key: Buffer): Promise<Buffer | undefined>;
    getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
    /** Synchronous multi-get on the main thread. */
    _getManySync(keys: Buffer[]): (Buffer | undefined)[];
    batch(): ChainedBatch;
    batch(operations: BatchOperation[], options?: WriteOptions): Promise<void>;
    iterator(options?: IteratorOptions): Iterator;
  }
}
