/**
 * Open tables by file number, at most `maxOpenFiles` at once (each holds a file descriptor
 * and its index, filter and properties blocks). Tables open lazily on first use; the least
 * recently used one is closed when the bound is reached. A closed table's file stays open
 * until its last iterator closes (Table.close), so eviction never breaks a running scan.
 */
import { ClosedError, CorruptionError, InvalidArgumentError } from '../errors.js';
import { joinPath } from '../env/file-system.js';
import type { FileSystem, RandomAccessFile } from '../env/file-system.js';
import { Table } from '../sstable/table.js';
import { tableFileName } from '../version/file-names.js';
import type { BlockCache } from './block-cache.js';
import { LruCache } from './lru-cache.js';

/** Options of `TableCache`. */
export interface TableCacheOptions {
  /** Most tables kept open (an integer >= 1). */
  maxOpenFiles: number;
  /** Shared cache for the tables' data blocks; without it every block read goes to the file. */
  blockCache?: BlockCache;
  /**
   * The tables belong to a read-only open (EngineOptions.readOnly), whose directory another
   * process may change: a table file that is gone raises CorruptionError saying so, instead
   * of the file system's ENOENT.
   */
  readOnlyView?: boolean;
}

/** Open tables of one engine directory, at most `maxOpenFiles` at a time. */
export class TableCache {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #blockCache: BlockCache | undefined;
  readonly #readOnlyView: boolean;
  readonly #tables: LruCache<number, Table>;
  #closed = false;

  /** @param dir the engine directory holding the table files. */
  constructor(fs: FileSystem, dir: string, options: TableCacheOptions) {
    if (!Number.isSafeInteger(options.maxOpenFiles) || options.maxOpenFiles < 1) {
      throw new InvalidArgumentError(
        `TableCache: maxOpenFiles must be an integer >= 1, got ${options.maxOpenFiles}`,
      );
    }
    this.#fs = fs;
    this.#dir = dir;
    this.#blockCache = options.blockCache;
    this.#readOnlyView = options.readOnlyView ?? false;
    this.#tables = new LruCache<number, Table>(options.maxOpenFiles, {
      onRemove: (_fileNumber, table) => table.close(),
    });
  }

  /** The block cache the tables read through, if any. */
  get blockCache(): BlockCache | undefined {
    return this.#blockCache;
  }

  /** Number of tables open now. */
  get openCount(): number {
    return this.#tables.size;
  }

  /**
   * The table of file `fileNumber`, opened if needed. Throws what Table.open throws
   * (CorruptionError, IncompatibleFormatError) or the file system's error if it is missing.
   *
   * The table may be closed by any later `get` or `evict` (LRU eviction): use it, or take
   * its iterator, before calling them again. An open iterator keeps the file open.
   */
  get(fileNumber: number): Table {
    if (this.#closed) throw new ClosedError('TableCache.get: the table cache is closed');
    const cached = this.#tables.get(fileNumber);
    if (cached !== undefined) return cached;
    const path = joinPath(this.#dir, tableFileName(fileNumber));
    let file: RandomAccessFile;
    try {
      file = this.#fs.openRandomAccess(path);
    } catch (err) {
      if (!this.#readOnlyView || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new CorruptionError(
        path,
        undefined,
        'the directory changed under a read-only open: this SST file of the opened view has been deleted since (by the process writing the directory); open the engine again to read its current state',
        { cause: err },
      );
    }
    let table: Table;
    try {
      table = Table.open(file, fileNumber, this.#blockCache);
    } catch (err) {
      file.close();
      throw err;
    }
    this.#tables.set(fileNumber, table, 1);
    return table;
  }

  /**
   * Forgets file `fileNumber` because it is being deleted: closes its table (once its
   * iterators are closed) and drops its blocks from the block cache.
   */
  evict(fileNumber: number): void {
    this.#tables.delete(fileNumber);
    this.#blockCache?.evictFile(fileNumber);
  }

  /** Closes every table. Later `get` calls throw ClosedError. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#tables.clear();
  }
}
