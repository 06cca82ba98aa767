/**
 * Two-level iterator over a table: an iterator over the index block picks data blocks, a
 * second iterator (one BlockIterator, re-pointed at each block) walks their entries. Blocks
 * come through Table.dataBlock, so scans fill the block cache like point reads do; the
 * blocks it misses are read through the iterator's adaptive readahead.
 *
 * Index invariant (table-builder.ts): the index key of block i is >= every key of block i
 * and < every key of block i + 1, so seek(target) only needs the first block whose index key
 * is >= target, moving on to the next block when that one holds nothing >= target.
 */
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { invariant } from '../util/invariant.js';
import { compareInternalRanges } from '../version/internal-key.js';
import type { AdaptiveReadahead } from '../env/adaptive-readahead.js';
import { BlockIterator } from './block.js';
import type { Table } from './table.js';

/**
 * The iterator Table.iterator() returns. A closed one can be reopened over another table
 * (Table.iterator's `reuse`): a level's cursor moves from file to file, once per seek in
 * a random seek, and making two block iterators each time cost more than a third of a
 * seek in profiles of random seeks over a compacted store.
 */
export class TableIterator implements InternalIterator {
  #table: Table;
  readonly #index: BlockIterator;
  readonly #data = new BlockIterator();
  /** Offset of the block #data reads, or -1 when it reads none. */
  #blockOffset = -1;
  #closed = false;

  /** Reads of blocks missing from the cache go through it (sequential scans read ahead). */
  #readahead: AdaptiveReadahead;

  /** Use Table.iterator(), which tracks open iterators. */
  constructor(table: Table, readahead: AdaptiveReadahead) {
    this.#table = table;
    this.#readahead = readahead;
    this.#index = table.indexBlock.iterator();
  }

  /** Whether close() has been called (and reopen() has not since). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Makes this closed iterator a new, unpositioned one over `table`. For Table.iterator. */
  reopen(table: Table, readahead: AdaptiveReadahead): void {
    invariant(this.#closed, 'TableIterator.reopen on an open iterator');
    this.#table = table;
    this.#readahead = readahead;
    this.#index.reset(table.indexBlock);
    this.#closed = false;
  }

  valid(): boolean {
    return this.#blockOffset >= 0 && this.#data.valid();
  }

  seekToFirst(): void {
    this.#checkOpen();
    this.#index.seekToFirst();
    if (this.#loadBlock()) this.#data.seekToFirst();
    this.#skipEmptyForward();
  }

  seekToLast(): void {
    this.#checkOpen();
    this.#index.seekToLast();
    if (this.#loadBlock()) this.#data.seekToLast();
    this.#skipEmptyBackward();
  }

  seek(target: Uint8Array): void {
    this.#checkOpen();
    this.#index.seek(target);
    if (this.#loadBlock()) this.#data.seek(target);
    this.#skipEmptyForward();
  }

  seekForPrev(target: Uint8Array): void {
    this.seek(target);
    if (!this.valid()) {
      this.seekToLast();
    } else {
      const data = this.#data;
      if (compareInternalRanges(data.keyBuffer, 0, data.keyLength, target, 0, target.length) > 0) this.prev();
    }
  }

  next(): void {
    invariant(this.valid(), 'TableIterator.next() on an invalid iterator');
    this.#data.next();
    if (!this.#data.valid()) this.#skipEmptyForward();
  }

  prev(): void {
    invariant(this.valid(), 'TableIterator.prev() on an invalid iterator');
    this.#data.prev();
    if (!this.#data.valid()) this.#skipEmptyBackward();
  }

  key(): Uint8Array {
    return this.#data.key();
  }

  value(): Uint8Array {
    return this.#data.value();
  }

  /** Releases the iterator; the table may then close its file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#blockOffset = -1;
    this.#data.close();
    this.#index.close();
    this.#readahead.close();
    this.#table.iteratorClosed();
  }

  #checkOpen(): void {
    invariant(!this.#closed, 'TableIterator used after close()');
  }

  /**
   * Points #data at the block of the index's current entry (unpositioned) and returns true,
   * or returns false when the index is exhausted. Keeps the block if it is already loaded.
   */
  #loadBlock(): boolean {
    if (!this.#index.valid()) {
      this.#blockOffset = -1;
      return false;
    }
    const handle = this.#table.decodeIndexValue(this.#index);
    if (handle.offset !== this.#blockOffset) {
      this.#data.reset(this.#table.dataBlock(handle, this.#readahead));
      this.#blockOffset = handle.offset;
    }
    return true;
  }

  #skipEmptyForward(): void {
    while (this.#blockOffset < 0 || !this.#data.valid()) {
      if (!this.#index.valid()) {
        this.#blockOffset = -1;
        return;
      }
      this.#index.next();
      if (this.#loadBlock()) this.#data.seekToFirst();
    }
  }

  #skipEmptyBackward(): void {
    while (this.#blockOffset < 0 || !this.#data.valid()) {
      if (!this.#index.valid()) {
        this.#blockOffset = -1;
        return;
      }
      this.#index.prev();
      if (this.#loadBlock()) this.#data.seekToLast();
    }
  }
}
