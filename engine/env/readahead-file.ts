/**
 * A RandomAccessFile that serves reads from a window it refills with one large read. A
 * compaction reads each input file front to back one block at a time; reading 512 KiB at
 * once replaces a hundred read syscalls with one. Point reads do not use it (they would
 * read far more than they need).
 */
import { EMPTY_BYTES } from '../util/bytes.js';
import type { RandomAccessFile } from './file-system.js';

export class ReadaheadFile implements RandomAccessFile {
  readonly #inner: RandomAccessFile;
  readonly #windowBytes: number;
  #window: Uint8Array = EMPTY_BYTES;
  #windowStart = 0;

  constructor(inner: RandomAccessFile, windowBytes = 512 * 1024) {
    this.#inner = inner;
    this.#windowBytes = windowBytes;
  }

  get path(): string {
    return this.#inner.path;
  }

  get size(): number {
    return this.#inner.size;
  }

  read(offset: number, length: number): Uint8Array {
    const start = offset - this.#windowStart;
    if (start >= 0 && start + length <= this.#window.length) {
      return this.#window.subarray(start, start + length);
    }
    if (length >= this.#windowBytes) return this.#inner.read(offset, length);
    this.#window = this.#inner.read(offset, this.#windowBytes);
    this.#windowStart = offset;
    return this.#window.subarray(0, Math.min(length, this.#window.length));
  }

  close(): void {
    this.#inner.close();
  }
}
