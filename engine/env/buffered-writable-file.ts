/**
 * A WritableFile that gathers appends in memory and hands them to the OS in large chunks.
 * Table builders append one block (~4 KiB) at a time; for a flush or compaction writing
 * tens of megabytes that is thousands of write syscalls, a tenth of compaction time when
 * measured. Only for files whose bytes need not reach the OS one append at a time (SSTs are
 * fsynced before anything refers to them); never for the WAL.
 */
import type { WritableFile } from './file-system.js';

export class BufferedWritableFile implements WritableFile {
  readonly #inner: WritableFile;
  readonly #buffer: Uint8Array;
  #used = 0;

  constructor(inner: WritableFile, bufferBytes = 1 << 20) {
    this.#inner = inner;
    this.#buffer = new Uint8Array(bufferBytes);
  }

  get path(): string {
    return this.#inner.path;
  }

  get size(): number {
    return this.#inner.size + this.#used;
  }

  append(data: Uint8Array): void {
    if (data.length > this.#buffer.length - this.#used) {
      this.#drain();
      if (data.length >= this.#buffer.length) {
        this.#inner.append(data);
        return;
      }
    }
    this.#buffer.set(data, this.#used);
    this.#used += data.length;
  }

  #drain(): void {
    if (this.#used === 0) return;
    this.#inner.append(this.#buffer.subarray(0, this.#used));
    this.#used = 0;
  }

  async sync(): Promise<void> {
    this.#drain();
    await this.#inner.sync();
  }

  syncNow(): void {
    this.#drain();
    this.#inner.syncNow();
  }

  close(): void {
    this.#drain();
    this.#inner.close();
  }
}
