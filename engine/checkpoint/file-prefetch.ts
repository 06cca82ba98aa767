/**
 * Read-ahead of whole files for CheckpointStore.verify.
 *
 * Verify reads every file of a checkpoint once, usually from a cold page cache, and does
 * little work per byte (one xxHash64 pass), so one synchronous read at a time leaves the disk
 * idle between requests; several reads in flight keep it busy. A FilePrefetch keeps up to
 * `maxFiles` of the next files (each at most `maxFileBytes`, so memory stays bounded) being
 * read through FileSystem.readFileAsync while the current one is checked. A larger file, or one whose read failed, is read the ordinary way by the caller,
 * which then reports what is wrong with it (missing, cut short) as before.
 */
import type { FileSystem, RandomAccessFile } from '../env/file-system.js';
import { readFileAsync } from '../env/file-system.js';

/** A file's bytes in memory, read through the RandomAccessFile interface. */
export class BytesFile implements RandomAccessFile {
  readonly path: string;
  readonly #bytes: Uint8Array;

  constructor(path: string, bytes: Uint8Array) {
    this.path = path;
    this.#bytes = bytes;
  }

  get size(): number {
    return this.#bytes.length;
  }

  read(offset: number, length: number): Uint8Array {
    return this.#bytes.subarray(offset, Math.min(this.#bytes.length, offset + length));
  }

  close(): void {}
}

/** A file to read ahead: its path and its recorded size. */
export interface PrefetchTarget {
  path: string;
  sizeBytes: number;
}

export class FilePrefetch {
  readonly #fs: FileSystem;
  readonly #targets: readonly PrefetchTarget[];
  readonly #maxFiles: number;
  readonly #maxFileBytes: number;
  /** Reads started, by index into #targets; each resolves to undefined if it failed. */
  readonly #reads = new Map<number, Promise<Uint8Array | undefined>>();
  /** The next index whose read has not been considered yet. */
  #next = 0;

  constructor(fs: FileSystem, targets: readonly PrefetchTarget[], maxFiles: number, maxFileBytes: number) {
    this.#fs = fs;
    this.#targets = targets;
    this.#maxFiles = maxFiles;
    this.#maxFileBytes = maxFileBytes;
  }

  /**
   * The bytes of file `index` if they were read ahead, or undefined: the caller reads it
   * itself. Call with increasing indexes; each call also starts the reads of the files after.
   */
  async take(index: number): Promise<Uint8Array | undefined> {
    this.#fill(index);
    const read = this.#reads.get(index);
    this.#reads.delete(index);
    return read === undefined ? undefined : await read;
  }

  #fill(index: number): void {
    if (this.#next < index) this.#next = index;
    while (this.#next < this.#targets.length && this.#next < index + this.#maxFiles) {
      const i = this.#next++;
      const { path, sizeBytes } = this.#targets[i]!;
      if (sizeBytes > this.#maxFileBytes) continue;
      // A damaged store may hold a file grown past its recorded size: never read more.
      let size: number;
      try {
        size = this.#fs.fileSize(path);
      } catch {
        continue;
      }
      if (size > this.#maxFileBytes) continue;
      this.#reads.set(
        i,
        readFileAsync(this.#fs, path).catch(() => undefined),
      );
    }
  }
}
