/**
 * Readahead for an iterator's block reads, in the manner of RocksDB's automatic iterator
 * readahead: reads go straight to the file until the same cursor has read two blocks back
 * to back; from then on each miss reads a window that starts at 16 KiB and doubles up to
 * 256 KiB, while the reads stay sequential. A scan of a table whose blocks are not cached
 * then costs one read syscall per window instead of one per 4 KiB block, and a seek that
 * reads a block or two reads no more than it needs.
 *
 * One per table iterator (it is a cursor's state, not the file's); it does not own the
 * file, so `close` leaves it open.
 */
import { EMPTY_BYTES } from '../util/bytes.js';
import type { RandomAccessFile } from './file-system.js';

const INITIAL_WINDOW_BYTES = 16 * 1024;
const MAX_WINDOW_BYTES = 256 * 1024;
/** Back-to-back reads before readahead starts. */
const SEQUENTIAL_READS_BEFORE = 2;

/** See the module comment. */
export class AdaptiveReadahead implements RandomAccessFile {
  readonly #file: RandomAccessFile;
  #window: Uint8Array = EMPTY_BYTES;
  #windowStart = 0;
  /** Where a read continuing the last one would start; -1 before the first read. */
  #next = -1;
  #sequentialReads = 0;
  #windowBytes = INITIAL_WINDOW_BYTES;

  constructor(file: RandomAccessFile) {
    this.#file = file;
  }

  get path(): string {
    return this.#file.path;
  }

  get size(): number {
    return this.#file.size;
  }

  read(offset: number, length: number): Uint8Array {
    const sequential = offset === this.#next;
    this.#next = offset + length;
    const start = offset - this.#windowStart;
    if (start >= 0 && start + length <= this.#window.length)
      return this.#window.subarray(start, start + length);
    if (!sequential) {
      this.#sequentialReads = 0;
      this.#windowBytes = INITIAL_WINDOW_BYTES;
    }
    if (++this.#sequentialReads <= SEQUENTIAL_READS_BEFORE || length >= this.#windowBytes) {
      return this.#file.read(offset, length);
    }
    this.#window = this.#file.read(offset, this.#windowBytes);
    this.#windowStart = offset;
    this.#windowBytes = Math.min(2 * this.#windowBytes, MAX_WINDOW_BYTES);
    return this.#window.subarray(0, Math.min(length, this.#window.length));
  }

  /** Drops the window; the file stays open (its table owns it). */
  close(): void {
    this.#window = EMPTY_BYTES;
    this.#next = -1;
  }
}
