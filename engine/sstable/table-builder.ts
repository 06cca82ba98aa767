/**
 * Writes one SST file (engine/FORMAT.md, "SST files"): data blocks as keys arrive, then the
 * filter, properties and index blocks and the footer on finish(). The reader is table.ts.
 *
 * The index entry of a data block is written only when the next key arrives (or at finish),
 * because its key is a short separator between the block's last key and the next block's
 * first key (separator.ts).
 *
 * The builder appends to the file and never syncs or closes it: the caller (flush or
 * compaction) syncs, closes and installs the file, or deletes it after abandon().
 */
import { InvalidArgumentError } from '../errors.js';
import type { WritableFile } from '../env/file-system.js';
import { ByteWriter, compareRanges } from '../util/bytes.js';
import { bloomHash, checksum32 } from '../util/checksum.js';
import { lz4Compress } from '../util/compression.js';
import { invariant } from '../util/invariant.js';
import {
  compareInternalRanges,
  EntryKind,
  readTrailerKind,
  readTrailerSequence,
  TRAILER_BYTES,
} from '../version/internal-key.js';
import { BlockBuilder } from './block-builder.js';
import { BloomFilterBuilder } from './bloom-filter.js';
import {
  BLOCK_TRAILER_BYTES,
  COMPRESSION_LZ4,
  COMPRESSION_NONE,
  encodeBlockHandle,
  encodeFooter,
  FOOTER_BYTES,
} from './format.js';
import type { BlockHandle } from './format.js';
import { shortestSeparator, shortSuccessor } from './separator.js';
import { encodeTableProperties } from './table-properties.js';
import type { TableProperties } from './table-properties.js';

/**
 * Told of each data block as it is written: its uncompressed contents (a view the builder
 * reuses: copy what you keep) and its offset in the file.
 */
export type DataBlockListener = (contents: Uint8Array, offset: number) => void;

/** How a table is laid out. */
export interface TableBuilderOptions {
  /** A data block is closed once its contents reach this size (before compression). */
  blockSizeBytes: number;
  /** Entries between restart points in data blocks. */
  restartInterval: number;
  /** Bloom filter bits per distinct user key; 0 writes no filter. */
  bloomBitsPerKey: number;
  /** Data and index blocks are LZ4-compressed when that saves at least 12.5%. */
  compression: 'lz4' | 'none';
}

function validateOptions(o: TableBuilderOptions): void {
  const api = 'TableBuilder';
  if (!Number.isInteger(o.blockSizeBytes) || o.blockSizeBytes < 1 || o.blockSizeBytes > 1 << 26) {
    throw new InvalidArgumentError(`${api}: blockSizeBytes must be an integer between 1 and 64 MiB`);
  }
  if (!Number.isInteger(o.restartInterval) || o.restartInterval < 1 || o.restartInterval > 1 << 16) {
    throw new InvalidArgumentError(`${api}: restartInterval must be an integer between 1 and 65536`);
  }
  if (!(o.bloomBitsPerKey >= 0 && o.bloomBitsPerKey <= 64)) {
    throw new InvalidArgumentError(`${api}: bloomBitsPerKey must be a number between 0 and 64`);
  }
  if (o.compression !== 'lz4' && o.compression !== 'none') {
    throw new InvalidArgumentError(`${api}: compression must be 'lz4' or 'none'`);
  }
}

/** Writes one table: add() entries in order, then finish() or abandon(). */
export class TableBuilder {
  readonly #file: WritableFile;
  readonly #blockSizeBytes: number;
  readonly #compress: boolean;
  readonly #data: BlockBuilder;
  readonly #hashIndex: boolean;
  readonly #index = new BlockBuilder(1);
  readonly #filter: BloomFilterBuilder | undefined;
  /** Scratch for one on-disk block (payload + trailer), reused. */
  readonly #scratch = new ByteWriter(8192);
  /** Bytes appended to the file by this builder. */
  #offset = 0;
  #state: 'building' | 'finished' | 'abandoned' = 'building';

  #lastKey = new Uint8Array(64);
  #lastKeyLength = 0;
  /** Handle of the last data block written, awaiting its index entry. */
  #pendingHandle: BlockHandle | undefined;

  #entryCount = 0;
  #deletionCount = 0;
  #rawKeyBytes = 0;
  #rawValueBytes = 0;
  #dataBlockCount = 0;
  #minSequence = Number.MAX_SAFE_INTEGER;
  #maxSequence = 0;
  #smallestKey: Uint8Array | undefined;
  readonly #onDataBlock: DataBlockListener | undefined;

  constructor(file: WritableFile, options: TableBuilderOptions, onDataBlock?: DataBlockListener) {
    validateOptions(options);
    this.#onDataBlock = onDataBlock;
    invariant(file.size === 0, 'TableBuilder: the file must be empty (offsets in a table start at 0)');
    this.#file = file;
    this.#blockSizeBytes = options.blockSizeBytes;
    this.#compress = options.compression === 'lz4';
    // Data blocks get a hash index whenever every entry is a restart (FORMAT.md, "Block hash index").
    this.#hashIndex = options.restartInterval === 1;
    this.#data = new BlockBuilder(options.restartInterval, this.#hashIndex);
    this.#filter = options.bloomBitsPerKey > 0 ? new BloomFilterBuilder(options.bloomBitsPerKey) : undefined;
  }

  /** Entries added so far. */
  get entryCount(): number {
    return this.#entryCount;
  }

  /** Size the file would have if finished now, roughly: for cutting files at a target size. */
  get estimatedFileSize(): number {
    return this.#offset + this.#data.estimatedSizeBytes + this.#index.estimatedSizeBytes;
  }

  /**
   * Adds an entry. `internalKey` must be greater than every key added before (internal-key
   * order); both arrays are copied as needed, so the caller may reuse them.
   */
  add(internalKey: Uint8Array, value: Uint8Array): void {
    invariant(this.#state === 'building', 'TableBuilder.add after finish() or abandon()');
    const keyLength = internalKey.length;
    invariant(keyLength >= TRAILER_BYTES, 'TableBuilder.add: keys are internal keys');
    const userLength = keyLength - TRAILER_BYTES;
    let newUserKey = true;
    if (this.#entryCount > 0) {
      const last = this.#lastKey;
      const lastLength = this.#lastKeyLength;
      // One comparison of the user keys answers both questions for a new user key; only
      // versions of the same one need the trailers compared.
      const userOrder = compareRanges(internalKey, 0, userLength, last, 0, lastLength - TRAILER_BYTES);
      invariant(
        userOrder > 0 ||
          (userOrder === 0 && compareInternalRanges(internalKey, 0, keyLength, last, 0, lastLength) > 0),
        'TableBuilder.add: keys must be added in strictly increasing order',
      );
      newUserKey = userOrder !== 0;
    } else {
      this.#smallestKey = internalKey.slice();
    }
    if (this.#pendingHandle !== undefined) {
      this.#index.add(
        shortestSeparator(this.#lastKey, this.#lastKeyLength, internalKey),
        encodeBlockHandle(this.#pendingHandle),
      );
      this.#pendingHandle = undefined;
    }
    // The filter takes each user key once per table, the hash index once per block.
    const startsBlockKey = this.#hashIndex && (newUserKey || this.#data.empty);
    let hash = 0;
    if (startsBlockKey || (newUserKey && this.#filter !== undefined)) {
      hash = bloomHash(internalKey.subarray(0, userLength));
    }
    if (newUserKey && this.#filter !== undefined) this.#filter.addHash(hash);

    const sequence = readTrailerSequence(internalKey, userLength);
    if (sequence < this.#minSequence) this.#minSequence = sequence;
    if (sequence > this.#maxSequence) this.#maxSequence = sequence;
    const kind = readTrailerKind(internalKey, userLength);
    invariant(kind === EntryKind.Put || kind === EntryKind.Delete, 'TableBuilder.add: unknown entry kind');
    if (kind === EntryKind.Delete) this.#deletionCount++;
    this.#entryCount++;
    this.#rawKeyBytes += keyLength;
    this.#rawValueBytes += value.length;

    this.#data.add(internalKey, value, startsBlockKey ? hash : undefined);
    this.#rememberKey(internalKey);
    if (this.#data.estimatedSizeBytes >= this.#blockSizeBytes) this.#flushDataBlock();
  }

  /**
   * Writes the rest of the table (last data block, filter, properties, index, footer) and
   * returns its properties. The file is left open and unsynced.
   */
  finish(): TableProperties {
    invariant(this.#state === 'building', 'TableBuilder.finish after finish() or abandon()');
    this.#flushDataBlock();
    if (this.#pendingHandle !== undefined) {
      this.#index.add(
        shortSuccessor(this.#lastKey, this.#lastKeyLength),
        encodeBlockHandle(this.#pendingHandle),
      );
      this.#pendingHandle = undefined;
    }
    const empty = this.#entryCount === 0;
    const properties: TableProperties = {
      entryCount: this.#entryCount,
      deletionCount: this.#deletionCount,
      rawKeyBytes: this.#rawKeyBytes,
      rawValueBytes: this.#rawValueBytes,
      dataBlockCount: this.#dataBlockCount,
      smallestKey: empty ? new Uint8Array(0) : this.#smallestKey!,
      largestKey: this.#lastKey.slice(0, this.#lastKeyLength),
      minSequence: empty ? 0 : this.#minSequence,
      maxSequence: this.#maxSequence,
      creationTimeMs: Date.now(),
    };
    const filter = this.#writeBlock(this.#filter?.finish() ?? new Uint8Array(0), false);
    const props = this.#writeBlock(encodeTableProperties(properties), false);
    const index = this.#writeBlock(this.#index.finish(), this.#compress);
    this.#file.append(encodeFooter({ index, filter, properties: props }));
    this.#offset += FOOTER_BYTES;
    this.#state = 'finished';
    return properties;
  }

  /** Stops building; nothing more is written. The caller deletes the partial file. */
  abandon(): void {
    invariant(this.#state === 'building', 'TableBuilder.abandon after finish() or abandon()');
    this.#state = 'abandoned';
  }

  /** Bytes written to the file so far (the file size after finish()). */
  get fileSize(): number {
    return this.#offset;
  }

  #flushDataBlock(): void {
    if (this.#data.empty) return;
    invariant(this.#pendingHandle === undefined, 'a data block is written before the previous is indexed');
    const contents = this.#data.finish();
    const handle = this.#writeBlock(contents, this.#compress);
    this.#pendingHandle = handle;
    this.#onDataBlock?.(contents, handle.offset);
    this.#data.reset();
    this.#dataBlockCount++;
  }

  /** Appends contents + trailer (engine/FORMAT.md, "Blocks") and returns the handle. */
  #writeBlock(contents: Uint8Array, compress: boolean): BlockHandle {
    const out = this.#scratch;
    out.reset();
    const compressed = compress ? lz4Compress(contents) : undefined;
    if (compressed !== undefined) {
      out.varint(contents.length);
      out.bytes(compressed);
      out.byte(COMPRESSION_LZ4);
    } else {
      out.bytes(contents);
      out.byte(COMPRESSION_NONE);
    }
    const size = out.length - 1;
    out.u32(checksum32(out.view(), 0, size + 1));
    const handle = { offset: this.#offset, size };
    this.#file.append(out.view());
    this.#offset += size + BLOCK_TRAILER_BYTES;
    return handle;
  }

  #rememberKey(key: Uint8Array): void {
    if (key.length > this.#lastKey.length) {
      this.#lastKey = new Uint8Array(Math.max(key.length, this.#lastKey.length * 2));
    }
    this.#lastKey.set(key);
    this.#lastKeyLength = key.length;
  }
}
