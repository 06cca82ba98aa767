/**
 * Iterates one sorted, non-overlapping level (level >= 1) as a single stream: a cursor over
 * the level's files, opening each file's iterator only when the stream reaches it.
 */
import type { FileMetadata } from '../version/file-metadata.js';
import { compareInternalKeys } from '../version/internal-key.js';
import type { InternalIterator } from './internal-iterator.js';

export class LevelIterator implements InternalIterator {
  readonly #files: readonly FileMetadata[];
  readonly #open: (file: FileMetadata, reuse: InternalIterator | undefined) => InternalIterator;
  #index = -1;
  #iter: InternalIterator | undefined;

  /**
   * `open` returns an unpositioned iterator over one file of the level; it may reopen
   * `reuse`, the iterator of the file the level leaves, which is closed and not used again.
   */
  constructor(
    files: readonly FileMetadata[],
    open: (file: FileMetadata, reuse: InternalIterator | undefined) => InternalIterator,
  ) {
    this.#files = files;
    this.#open = open;
  }

  valid(): boolean {
    return this.#iter !== undefined && this.#iter.valid();
  }

  #setFile(index: number): void {
    if (index === this.#index && this.#iter) return;
    const previous = this.#iter;
    previous?.close();
    this.#iter = undefined;
    this.#index = index;
    if (index >= 0 && index < this.#files.length) this.#iter = this.#open(this.#files[index]!, previous);
  }

  #skipEmptyForward(): void {
    while (this.#iter && !this.#iter.valid()) {
      if (this.#index + 1 >= this.#files.length) {
        this.#setFile(this.#files.length);
        return;
      }
      this.#setFile(this.#index + 1);
      this.#iter?.seekToFirst();
    }
  }

  #skipEmptyBackward(): void {
    while (this.#iter && !this.#iter.valid()) {
      if (this.#index <= 0) {
        this.#setFile(-1);
        return;
      }
      this.#setFile(this.#index - 1);
      this.#iter?.seekToLast();
    }
  }

  seekToFirst(): void {
    this.#setFile(0);
    this.#iter?.seekToFirst();
    this.#skipEmptyForward();
  }

  seekToLast(): void {
    this.#setFile(this.#files.length - 1);
    this.#iter?.seekToLast();
    this.#skipEmptyBackward();
  }

  seek(target: Uint8Array): void {
    // First file whose largest internal key is >= target.
    let lo = 0;
    let hi = this.#files.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareInternalKeys(this.#files[mid]!.largest, target) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.#setFile(lo);
    this.#iter?.seek(target);
    this.#skipEmptyForward();
  }

  seekForPrev(target: Uint8Array): void {
    // Last file whose smallest internal key is <= target.
    let lo = 0;
    let hi = this.#files.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareInternalKeys(this.#files[mid]!.smallest, target) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.#setFile(lo - 1);
    this.#iter?.seekForPrev(target);
    this.#skipEmptyBackward();
  }

  next(): void {
    this.#iter!.next();
    this.#skipEmptyForward();
  }

  prev(): void {
    this.#iter!.prev();
    this.#skipEmptyBackward();
  }

  key(): Uint8Array {
    return this.#iter!.key();
  }

  value(): Uint8Array {
    return this.#iter!.value();
  }

  close(): void {
    this.#iter?.close();
    this.#iter = undefined;
    this.#index = -1;
  }
}
