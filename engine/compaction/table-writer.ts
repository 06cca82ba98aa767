/**
 * Writes the output of a flush or compaction as one or more SST files, cutting a new file
 * when the current one reaches the target size — but only between two user keys, so every
 * version of a key lands in the same file (the level invariant in version/version.ts).
 */
import type { FileSystem, WritableFile } from '../env/file-system.js';
import { joinPath } from '../env/file-system.js';
import { BufferedWritableFile } from '../env/buffered-writable-file.js';
import { TableBuilder } from '../sstable/table-builder.js';
import type { DataBlockListener } from '../sstable/table-builder.js';
import { fileHasher } from '../util/checksum.js';
import type { FileHasher } from '../util/checksum.js';
import { invariant } from '../util/invariant.js';
import type { FileMetadata } from '../version/file-metadata.js';
import { tableFileName } from '../version/file-names.js';
import { readTrailerSequence, TRAILER_BYTES } from '../version/internal-key.js';
import type { TableOptions } from './job-spec.js';

export class TableWriter {
  readonly #fs: FileSystem;
  readonly #dir: string;
  readonly #options: TableOptions;
  readonly #targetFileSizeBytes: number;
  readonly #numbers: { first: number; count: number };
  #used = 0;
  #file: WritableFile | undefined;
  #hashed: HashingWritableFile | undefined;
  #builder: TableBuilder | undefined;
  #number = 0;
  #smallestSeq = Number.MAX_SAFE_INTEGER;
  #largestSeq = 0;
  #entries = 0;
  readonly #onDataBlock: DataBlockListener | undefined;
  readonly outputs: FileMetadata[] = [];
  bytesWritten = 0;

  /** `onDataBlock` is told of every data block of every output file (TableBuilder). */
  constructor(
    fs: FileSystem,
    dir: string,
    options: TableOptions,
    targetFileSizeBytes: number,
    numbers: { first: number; count: number },
    onDataBlock?: DataBlockListener,
  ) {
    this.#onDataBlock = onDataBlock;
    this.#fs = fs;
    this.#dir = dir;
    this.#options = options;
    this.#targetFileSizeBytes = targetFileSizeBytes;
    this.#numbers = numbers;
  }

  /** Whether the current file is full; call only between user keys. */
  get shouldCut(): boolean {
    return (
      this.#builder !== undefined &&
      this.#builder.estimatedFileSize >= this.#targetFileSizeBytes &&
      this.#used < this.#numbers.count
    );
  }

  add(internalKey: Uint8Array, value: Uint8Array): void {
    if (!this.#builder) this.#open();
    this.#builder!.add(internalKey, value);
    const seq = readTrailerSequence(internalKey, internalKey.length - TRAILER_BYTES);
    if (seq < this.#smallestSeq) this.#smallestSeq = seq;
    if (seq > this.#largestSeq) this.#largestSeq = seq;
    this.#entries++;
  }

  #open(): void {
    invariant(this.#used < this.#numbers.count, 'compaction ran out of reserved file numbers');
    this.#number = this.#numbers.first + this.#used++;
    this.#hashed = new HashingWritableFile(
      this.#fs.openWritable(joinPath(this.#dir, tableFileName(this.#number)), 'create'),
    );
    this.#file = new BufferedWritableFile(this.#hashed);
    this.#builder = new TableBuilder(this.#file, this.#options, this.#onDataBlock);
    this.#smallestSeq = Number.MAX_SAFE_INTEGER;
    this.#largestSeq = 0;
    this.#entries = 0;
  }

  /** Finishes the current file (if any): footer, fsync, close. */
  finishFile(): void {
    const builder = this.#builder;
    const file = this.#file;
    if (!builder || !file) return;
    this.#builder = undefined;
    this.#file = undefined;
    const props = builder.finish();
    file.syncNow();
    file.close();
    this.bytesWritten += file.size;
    this.outputs.push({
      number: this.#number,
      sizeBytes: file.size,
      smallest: props.smallestKey,
      largest: props.largestKey,
      entries: this.#entries,
      smallestSequence: this.#smallestSeq,
      largestSequence: this.#largestSeq,
      checksum: this.#hashed!.checksum(),
    });
  }

  /** Abandons the current file after a failure; the engine deletes it as garbage. */
  abandon(): void {
    this.#builder = undefined;
    this.#file?.close();
    this.#file = undefined;
  }
}

/** Forwards appends to `inner` and hashes them: the whole-file checksum checkpoints record. */
class HashingWritableFile implements WritableFile {
  readonly #inner: WritableFile;
  readonly #hasher: FileHasher = fileHasher();

  constructor(inner: WritableFile) {
    this.#inner = inner;
  }

  get path(): string {
    return this.#inner.path;
  }

  get size(): number {
    return this.#inner.size;
  }

  append(data: Uint8Array): void {
    this.#inner.append(data);
    this.#hasher.update(data);
  }

  sync(): Promise<void> {
    return this.#inner.sync();
  }

  syncNow(): void {
    this.#inner.syncNow();
  }

  close(): void {
    this.#inner.close();
  }

  /** xxHash64 of every byte appended. */
  checksum(): string {
    return this.#hasher.digest();
  }
}
