/**
 * Reads an SST file (engine/FORMAT.md, "SST files"; the writer is table-builder.ts).
 *
 * Open reads the footer, then the index, filter and properties blocks, which the table keeps
 * for its whole life; data blocks are read on demand through the shared block cache. Reads
 * are synchronous (Engine.get is).
 *
 * Trust: every block's checksum is verified before its bytes are parsed, and the parsers
 * check every length against its container, so a damaged file throws CorruptionError (file
 * and offset) or IncompatibleFormatError (magic, version) and never yields a wrong value.
 *
 * Lifetime: close() closes the file once no iterator of the table is open, so a table cache
 * may evict a table that a long scan still reads.
 */
import { AdaptiveReadahead } from '../env/adaptive-readahead.js';
import { CorruptionError } from '../errors.js';
import type { RandomAccessFile } from '../env/file-system.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { MissMarks } from '../cache/block-cache.js';
import type { BlockCache, FileBlocks } from '../cache/block-cache.js';
import type { BlockBuffers } from '../cache/block-buffers.js';
import { compareRanges, getVarint, readU32 } from '../util/bytes.js';
import { checksum32 } from '../util/checksum.js';
import { lz4Decompress, lz4DecompressInto } from '../util/compression.js';
import { invariant } from '../util/invariant.js';
import {
  EntryKind,
  readTrailerKind,
  readTrailerSequence,
  TRAILER_BYTES,
  writeTrailer,
} from '../version/internal-key.js';
import { Block, BlockIterator, hashHit } from './block.js';
import { BloomFilter } from './bloom-filter.js';
import { BlockKeys } from './block-keys.js';
import { decodeIndexHandle, PointIndex } from './point-index.js';
import {
  BLOCK_TRAILER_BYTES,
  COMPRESSION_LZ4,
  COMPRESSION_NONE,
  decodeFooter,
  FOOTER_BYTES,
  HASH_INDEX_SINCE_VERSION,
  MAX_BLOCK_BYTES,
} from './format.js';
import type { BlockHandle } from './format.js';
import { decodeTableProperties } from './table-properties.js';
import type { TableProperties } from './table-properties.js';
import { TableIterator } from './table-iterator.js';
import { verifyTable } from './table-verifier.js';
import { warmBlockContents } from './warm-blocks.js';
import type { WarmBlocks } from './warm-blocks.js';
import { takePointValue } from '../util/value-slab.js';

const cursor = { at: 0 };

/** An open, immutable table: point reads, iteration and verification. */
export class Table {
  /** The file's number (its name is tableFileName(fileNumber)). */
  readonly fileNumber: number;
  readonly properties: TableProperties;
  /** Size of the file in bytes. */
  readonly fileSize: number;
  /** End of the data blocks (= offset of the filter block). */
  readonly dataEndOffset: number;
  /** The index block: one entry per data block, key = separator, value = handle. */
  readonly indexBlock: Block;
  /** The format version in the table's footer. */
  readonly formatVersion: number;
  readonly #file: RandomAccessFile;
  readonly #cache: BlockCache | undefined;
  readonly #filter: BloomFilter;
  // Reused by get(): it is synchronous and never re-entrant, so one set per table suffices.
  readonly #dataIter = new BlockIterator();
  readonly #getHandle: BlockHandle = { offset: 0, size: 0 };
  /** This file's blocks in the block cache, once a read has asked for them. */
  #shelf: FileBlocks | undefined;
  /** The index decoded for get(), built by its first call (iterators never need it). */
  #pointIndex: PointIndex | undefined;
  /** The point-read misses of this table's blocks that the cache refused (BlockCache.admit). */
  #missed: MissMarks | undefined;
  /** Blocks a flush handed over (adoptWarm), which of them gets have taken, how many are left. */
  #warm: WarmBlocks | undefined;
  #warmTaken: Uint8Array | undefined;
  #warmLeft = 0;
  readonly #handle: BlockHandle = { offset: 0, size: 0 };
  #lookup = new Uint8Array(64);
  #openIterators = 0;
  #closeRequested = false;
  #closed = false;

  private constructor(
    file: RandomAccessFile,
    fileNumber: number,
    cache: BlockCache | undefined,
    parts: {
      index: Block;
      filter: BloomFilter;
      properties: TableProperties;
      dataEndOffset: number;
      formatVersion: number;
    },
  ) {
    this.#file = file;
    this.fileNumber = fileNumber;
    this.#cache = cache;
    this.fileSize = file.size;
    this.indexBlock = parts.index;
    this.#filter = parts.filter;
    this.properties = parts.properties;
    this.dataEndOffset = parts.dataEndOffset;
    this.formatVersion = parts.formatVersion;
  }

  /**
   * Opens a table: reads and verifies the footer and the index, filter and properties blocks.
   * Throws IncompatibleFormatError for a file that is not a table or has a newer format
   * version, CorruptionError for a damaged one. Does not close `file` on failure.
   */
  static open(file: RandomAccessFile, fileNumber: number, blockCache?: BlockCache): Table {
    const size = file.size;
    if (size < FOOTER_BYTES) {
      throw new CorruptionError(file.path, 0, `file of ${size} bytes is too short to be a table`);
    }
    const footerOffset = size - FOOTER_BYTES;
    const footerBytes = file.read(footerOffset, FOOTER_BYTES);
    if (footerBytes.length !== FOOTER_BYTES) throw new CorruptionError(file.path, footerOffset, 'short read');
    const footer = decodeFooter(footerBytes, file.path, footerOffset);
    const index = new Block(readBlock(file, footer.index, 'index'), file.path, footer.index.offset);
    const filter = new BloomFilter(readBlock(file, footer.filter, 'filter'));
    const properties = decodeTableProperties(
      readBlock(file, footer.properties, 'properties'),
      file.path,
      footer.properties.offset,
    );
    return new Table(file, fileNumber, blockCache, {
      index,
      filter,
      properties,
      dataEndOffset: footer.filter.offset,
      formatVersion: footer.version,
    });
  }

  /** Path of the file, for messages. */
  get path(): string {
    return this.#file.path;
  }

  /** False only if the table holds no key whose bloomHash is `hash`. */
  mayContain(hash: number): boolean {
    return this.#filter.mayContain(hash);
  }

  /**
   * The newest entry for `userKey` with sequence <= `sequence`: its value for a put (a copy,
   * or VALUE_TAKEN during Engine.getInto: see takePointValue), null for a delete, undefined
   * when the table has no such entry. `hash` is bloomHash(userKey), computed once by the
   * caller for all the tables it probes.
   */
  get(userKey: Uint8Array, sequence: number, hash: number): Uint8Array | null | undefined {
    invariant(!this.#closed, 'Table.get on a closed table');
    if (!this.#filter.mayContain(hash) || sequence < this.properties.minSequence) return undefined;
    const userLength = userKey.length;
    const lookupLength = userLength + TRAILER_BYTES;
    if (lookupLength > this.#lookup.length) this.#lookup = new Uint8Array(lookupLength * 2);
    const lookup = this.#lookup;
    if (userLength <= 32) {
      for (let i = 0; i < userLength; i++) lookup[i] = userKey[i]!;
    } else {
      lookup.set(userKey);
    }
    // Put sorts before Delete at equal sequence, so (userKey, sequence, Put) is the smallest
    // internal key of userKey that is visible at `sequence`.
    writeTrailer(lookup, userLength, sequence, EntryKind.Put);

    const index = (this.#pointIndex ??= PointIndex.decode(this.indexBlock, this.dataEndOffset));
    const blockNumber = index.find(lookup, 0, lookupLength);
    if (blockNumber === index.blockCount) return undefined;
    const handle = this.#getHandle;
    handle.offset = index.offsetOf(blockNumber);
    handle.size = index.sizeOf(blockNumber);
    // A block the cache does not take (BlockCache.admit), or any block without a cache, is
    // read into scratch memory for this get alone, which copies the value out of it.
    const cache = this.#cache;
    if (cache === undefined) return this.#getTransient(handle, lookup, lookupLength, userKey, hash, sequence);
    const shelf = this.#shelfIn(cache);
    if (shelf.byNumber === undefined) shelf.reserveNumbers(index.blockCount);
    let block = cache.getNumbered(shelf, blockNumber, handle.offset);
    if (block === undefined) {
      // A block a flush handed over is cached whatever the doorkeeper says: it costs a copy.
      block = this.#takeWarm(blockNumber, handle.offset, cache);
      if (block === undefined) {
        const missed = (this.#missed ??= new MissMarks(index.blockCount));
        if (!cache.admit(missed, blockNumber, handle.size)) {
          return this.#getTransient(handle, lookup, lookupLength, userKey, hash, sequence);
        }
        block = this.#readDataBlock(handle, undefined, 'cached');
      }
      // Its memory is its own (from cache.buffers, or a read of exactly this block), and only
      // point reads have used it so far: the cache may reuse it once it evicts the block.
      block.recyclable = true;
      cache.insertInto(shelf, handle.offset, block, blockNumber);
    }
    // A block with a hash index is read in place. Otherwise a cached block is decoded on its
    // second point read (Block.notePointRead): decoding all of a block costs more than the
    // block's own search.
    if (block.hashed) return this.#getHashed(block, lookup, lookupLength, userKey, hash, sequence);
    let keys = block.pointKeys;
    if (keys === undefined) {
      if (!block.notePointRead()) return this.#getFromBlock(block, lookup, lookupLength, userKey);
      keys = BlockKeys.decode(block, true);
      block.attachPointKeys(keys);
      // Inserted again so that the cache charges the decoded keys too.
      cache.insertInto(shelf, handle.offset, block, blockNumber);
    }
    // findUser answers with an entry of userKey; find with the first entry >= lookup, whose
    // user key is checked below.
    const i = keys.hashed
      ? keys.findUser(userKey, userLength, hash, sequence)
      : keys.find(lookup, 0, lookupLength);
    // If the block holds no key >= lookup, the next block's first key is above the index
    // separator, which is >= lookup; it cannot have userKey (see separator.ts), so stop.
    if (i === keys.count) return undefined;
    const keyBytes = keys.keys;
    const trailerAt = keys.keyEnd(i) - TRAILER_BYTES;
    if (!keys.hashed && compareRanges(keyBytes, keys.keyStart(i), trailerAt, userKey, 0, userLength) !== 0) {
      return undefined;
    }
    return entryValue(block, readTrailerKind(keyBytes, trailerAt), keys.valueStart(i), keys.valueEnd(i));
  }

  /** get() in the block at `handle`, read for this get alone (a transient #readDataBlock). */
  #getTransient(
    handle: BlockHandle,
    lookup: Uint8Array,
    lookupLength: number,
    userKey: Uint8Array,
    hash: number,
    sequence: number,
  ): Uint8Array | null | undefined {
    const block = this.#readDataBlock(handle, undefined, 'transient');
    return block.hashed
      ? this.#getHashed(block, lookup, lookupLength, userKey, hash, sequence)
      : this.#getFromBlock(block, lookup, lookupLength, userKey);
  }

  /**
   * get() in a block with a hash index: its slot names userKey's first (newest) entry in the
   * block, read in place. When that entry is newer than `sequence` (a snapshot's read), the
   * block's own search finds the visible one.
   */
  #getHashed(
    block: Block,
    lookup: Uint8Array,
    lookupLength: number,
    userKey: Uint8Array,
    hash: number,
    sequence: number,
  ): Uint8Array | null | undefined {
    if (!block.findHashed(userKey, userKey.length, hash)) return undefined;
    const data = block.data;
    const trailerAt = hashHit.trailerAt;
    if (readTrailerSequence(data, trailerAt) > sequence) {
      return this.#getFromBlock(block, lookup, lookupLength, userKey);
    }
    return entryValue(block, readTrailerKind(data, trailerAt), hashHit.valueStart, hashHit.valueEnd);
  }

  /** get() in `block` through the block's own search (no decoded keys). */
  #getFromBlock(
    block: Block,
    lookup: Uint8Array,
    lookupLength: number,
    userKey: Uint8Array,
  ): Uint8Array | null | undefined {
    const it = this.#dataIter;
    it.reset(block);
    it.seekRange(lookup, 0, lookupLength);
    if (!it.valid()) return undefined;
    const key = it.keyBuffer;
    const keyUserLength = it.keyLength - TRAILER_BYTES;
    if (compareRanges(key, 0, keyUserLength, userKey, 0, userKey.length) !== 0) return undefined;
    return entryValue(block, readTrailerKind(key, keyUserLength), it.valueStart, it.valueEnd);
  }

  /**
   * An iterator over every entry, in internal-key order. Close it: the table's file stays
   * open while any of its iterators is. `reuse`, an iterator of any table that its owner has
   * closed and will not use again, is reopened over this table instead of making a new one.
   */
  iterator(reuse?: InternalIterator): InternalIterator {
    invariant(!this.#closed && !this.#closeRequested, 'Table.iterator on a closed table');
    this.#openIterators++;
    const readahead = new AdaptiveReadahead(this.#file);
    if (reuse instanceof TableIterator && reuse.closed) {
      reuse.reopen(this, readahead);
      return reuse;
    }
    return new TableIterator(this, readahead);
  }

  /**
   * Roughly where in the file the entries at or after `internalKey` start: the offset of the
   * data block that would hold it, or the end of the data blocks when it is past them all.
   */
  approximateOffsetOf(internalKey: Uint8Array): number {
    const index = this.indexBlock.iterator();
    index.seek(internalKey);
    return index.valid() ? this.decodeIndexValue(index).offset : this.dataEndOffset;
  }

  /**
   * Points that split the table's data into pieces of about equal size, for dividing a
   * compaction by key range (compaction/subcompactions.ts): the user key of every `every`-th
   * index separator (every key of the blocks up to it is at or below it), with the file
   * offset where those blocks end. The last data block's separator is always included, so
   * the offsets end at the end of the data.
   */
  sizeAnchors(every: number): Array<{ userKey: Uint8Array; endOffset: number }> {
    invariant(!this.#closed, 'Table.sizeAnchors on a closed table');
    invariant(Number.isInteger(every) && every >= 1, 'Table.sizeAnchors: every must be a positive integer');
    const anchors: Array<{ userKey: Uint8Array; endOffset: number }> = [];
    const index = this.indexBlock.iterator();
    let n = 0;
    for (index.seekToFirst(); index.valid();) {
      // A copy: the iterator may reuse the key's memory once it moves.
      const key = index.key();
      const userKey = key.slice(0, key.length - TRAILER_BYTES);
      const { offset, size } = this.decodeIndexValue(index);
      index.next();
      if (++n % every === 0 || !index.valid()) {
        anchors.push({ userKey, endOffset: offset + size + BLOCK_TRAILER_BYTES });
      }
    }
    return anchors;
  }

  /**
   * Reads every block bypassing the cache, checks every checksum and that the entries are
   * sorted and agree with the index and properties. Throws CorruptionError at the first
   * problem. `onProgress` receives the bytes checked so far and the file size.
   */
  verifyAll(onProgress?: (verifiedBytes: number, totalBytes: number) => void): void {
    invariant(!this.#closed, 'Table.verifyAll on a closed table');
    const reopened = Table.open(this.#file, this.fileNumber);
    const readahead = new AdaptiveReadahead(this.#file);
    verifyTable(reopened, (handle) => reopened.#readDataBlock(handle, readahead, 'uncached'), onProgress);
  }

  /**
   * Reads the whole file once, front to back, in chunks of at least `chunkBytes` that end on
   * block boundaries, bypassing the cache: checks that the index's data blocks tile the data
   * region in order and, with `checkBlocks`, that every data block's checksum holds (the
   * metadata blocks were checked at open), without decompressing or parsing any block.
   * Hands every chunk, in file order and covering every byte, to `onChunk` (for a
   * whole-file hash); `onProgress` receives the bytes read so far and the file size. Throws
   * CorruptionError.
   */
  verifyChecksums(
    onChunk: (chunk: Uint8Array) => void,
    onProgress?: (readBytes: number, totalBytes: number) => void,
    { chunkBytes = 1024 * 1024, checkBlocks = true }: { chunkBytes?: number; checkBlocks?: boolean } = {},
  ): void {
    invariant(!this.#closed, 'Table.verifyChecksums on a closed table');
    const file = this.#file;
    const fail = (offset: number, problem: string): CorruptionError =>
      new CorruptionError(file.path, offset, `verify: ${problem}`);
    const index = this.indexBlock.iterator();
    // Block ends (offset + size + trailer) gathered until a chunk is big enough to read.
    const pending: number[] = [];
    let chunkStart = 0;
    let expectedOffset = 0;
    const readChunk = (end: number): void => {
      const chunk = file.read(chunkStart, end - chunkStart);
      if (chunk.length !== end - chunkStart) throw fail(chunkStart, 'short read');
      let at = 0;
      for (let i = 0; checkBlocks && i < pending.length; i += 2) {
        const size = pending[i + 1]!;
        if (checksum32(chunk, at, at + size + 1) !== readU32(chunk, at + size + 1)) {
          throw fail(chunkStart + at, 'data block checksum mismatch');
        }
        at += size + BLOCK_TRAILER_BYTES;
      }
      pending.length = 0;
      onChunk(chunk);
      chunkStart = end;
      onProgress?.(end, this.fileSize);
    };
    for (index.seekToFirst(); index.valid(); index.next()) {
      const { offset, size } = this.decodeIndexValue(index);
      if (offset !== expectedOffset) {
        throw fail(offset, `data block at ${offset}, expected one at ${expectedOffset}`);
      }
      if (size > MAX_BLOCK_BYTES) throw fail(offset, `data block size ${size} is implausible`);
      pending.push(offset, size);
      expectedOffset = offset + size + BLOCK_TRAILER_BYTES;
      if (expectedOffset - chunkStart >= chunkBytes) readChunk(expectedOffset);
    }
    if (expectedOffset !== this.dataEndOffset) {
      throw fail(
        expectedOffset,
        `data blocks end at ${expectedOffset}, the filter starts at ${this.dataEndOffset}`,
      );
    }
    if (pending.length > 0) readChunk(expectedOffset);
    // The metadata blocks and footer, for the caller's whole-file hash.
    while (chunkStart < this.fileSize) readChunk(Math.min(this.fileSize, chunkStart + chunkBytes));
  }

  /**
   * Closes the file now, or when the last open iterator closes. Idempotent. The table's
   * cached blocks stay in the block cache (file numbers are never reused); whoever deletes
   * the file evicts them.
   */
  close(): void {
    this.#closeRequested = true;
    this.dropWarm();
    if (this.#openIterators === 0 && !this.#closed) {
      this.#closed = true;
      this.#file.close();
    }
  }

  /** Whether the file has been closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Decodes the block handle in the value of the index iterator's current entry, into a
   * handle the table reuses (valid until the next call). For the table's iterators.
   * @internal
   */
  decodeIndexValue(index: BlockIterator): BlockHandle {
    return decodeIndexHandle(index.block, index.valueStart, index.valueEnd, this.dataEndOffset, this.#handle);
  }

  /**
   * Holds data blocks 0 .. n - 1 of this table as a flush wrote them (`warm`, a flush's
   * WarmBlocks, EngineOptions.prepopulateBlockCache): a get that misses one of them in the
   * block cache takes it from here instead of reading the file, and caches it. Their offsets
   * are checked against the index; one that differs is a bug (InvariantError).
   */
  adoptWarm(warm: WarmBlocks): void {
    invariant(!this.#closed, 'Table.adoptWarm on a closed table');
    if (this.#cache === undefined) return;
    const index = (this.#pointIndex ??= PointIndex.decode(this.indexBlock, this.dataEndOffset));
    const count = warm.offsets.length;
    invariant(count <= index.blockCount, `${count} warm blocks, the table has ${index.blockCount}`);
    for (let i = 0; i < count; i++) {
      invariant(
        index.offsetOf(i) === warm.offsets[i],
        `warm block ${i} is at ${warm.offsets[i]}, the index says ${index.offsetOf(i)}`,
      );
    }
    this.#warm = warm;
    this.#warmLeft = count;
    this.#warmTaken = new Uint8Array(count);
  }

  /** Whether blocks adopted by adoptWarm are held, some of them not yet taken by a get. */
  get holdsWarm(): boolean {
    return this.#warm !== undefined;
  }

  /** Lets go of the blocks adoptWarm gave (the engine bounds how many tables hold some). */
  dropWarm(): void {
    this.#warm = undefined;
    this.#warmTaken = undefined;
  }

  /** Block `number` at `offset` from the adopted warm blocks, or undefined if not among them. */
  #takeWarm(number: number, offset: number, cache: BlockCache): Block | undefined {
    const warm = this.#warm;
    if (warm === undefined || number >= warm.offsets.length) return undefined;
    const block = this.#dataBlockOf(warmBlockContents(warm, number, cache.buffers), offset);
    cache.notePrepopulated();
    // Once every block has been taken, the chunks are of no more use.
    if (this.#warmTaken![number] === 0) {
      this.#warmTaken![number] = 1;
      if (--this.#warmLeft === 0) this.dropWarm();
    }
    return block;
  }

  /**
   * The data block at `handle`, from the block cache or read and verified; an iterator passes
   * its readahead (env/adaptive-readahead.ts) to read through. @internal
   */
  dataBlock(handle: BlockHandle, readahead?: AdaptiveReadahead): Block {
    const cache = this.#cache;
    if (cache === undefined) return this.#readDataBlock(handle, readahead, 'uncached');
    const shelf = this.#shelfIn(cache);
    const cached = cache.getFrom(shelf, handle.offset);
    // The iterator may keep views of the block after the cache lets go of it: its memory is
    // reused only once no iterator is open (BlockBuffers.give).
    if (cached !== undefined) {
      cached.scanned = true;
      return cached;
    }
    const block = this.#readDataBlock(handle, readahead, 'cached');
    block.recyclable = true;
    block.scanned = true;
    cache.insertInto(shelf, handle.offset, block);
    return block;
  }

  /** This file's shelf in `cache`, asked for again once the cache has detached it. */
  #shelfIn(cache: BlockCache): FileBlocks {
    let shelf = this.#shelf;
    if (shelf === undefined || shelf.detached) shelf = this.#shelf = cache.shelf(this.fileNumber);
    return shelf;
  }

  /** Called by TableIterator.close(). @internal */
  iteratorClosed(): void {
    invariant(this.#openIterators > 0, 'more table iterators closed than opened');
    this.#openIterators--;
    if (this.#closeRequested) this.close();
  }

  /**
   * The data block at `handle`, read through `readahead` if given, for `use`: 'cached' (in
   * memory from the block cache's BlockBuffers: an arena slot), 'uncached' (memory of its
   * own), or 'transient', for one synchronous use: its bytes may be scratch memory that the
   * next read overwrites, so it must not be cached or kept, and values must be copied out of
   * it.
   */
  #readDataBlock(
    handle: BlockHandle,
    readahead: AdaptiveReadahead | undefined,
    use: 'cached' | 'uncached' | 'transient',
  ): Block {
    invariant(!this.#closed, 'read from a closed table');
    const transient = use === 'transient';
    const memory = use === 'cached' ? this.#cache?.buffers : undefined;
    return this.#dataBlockOf(
      readBlock(readahead ?? this.#file, handle, 'data', transient, memory),
      handle.offset,
    );
  }

  /** Data block contents `data`, from `offset` in this file, parsed and checked as a Block. */
  #dataBlockOf(data: Uint8Array, offset: number): Block {
    return new Block(data, this.#file.path, offset, this.formatVersion >= HASH_INDEX_SINCE_VERSION);
  }
}

/** What get() returns for an entry of `kind` whose value is block.data[start, end). */
function entryValue(block: Block, kind: number, start: number, end: number): Uint8Array | null {
  if (kind === EntryKind.Put) return takePointValue(block.data, start, end);
  if (kind === EntryKind.Delete) return null;
  throw block.corruption(`unknown entry kind ${kind}`);
}

/**
 * The largest block read into {@link readScratch}, or decompressed into
 * {@link decodeScratch}: data blocks of the default size fit.
 */
const SCRATCH_BYTES = 64 * 1024;
/** Where readBlock reads a block it decodes at once; reads are synchronous, so one serves all. */
const readScratch = new Uint8Array(SCRATCH_BYTES);
/** Where readBlock decompresses a transient block (one used once, not cached). */
const decodeScratch = new Uint8Array(SCRATCH_BYTES);

/**
 * Reads a block's contents: checks the trailer's checksum, then decompresses. Throws
 * CorruptionError at the block's offset for any mismatch. A block that is not `transient`
 * gets memory from `memory` when given (a data block on its way to the block cache).
 */
function readBlock(
  file: RandomAccessFile,
  handle: BlockHandle,
  what: string,
  transient = false,
  memory?: BlockBuffers,
): Uint8Array {
  const { offset, size } = handle;
  const fail = (problem: string): CorruptionError =>
    new CorruptionError(file.path, offset, `${what} block: ${problem}`);
  if (size > MAX_BLOCK_BYTES) throw fail(`size ${size} is implausible`);
  const length = size + BLOCK_TRAILER_BYTES;
  // A block up to SCRATCH_BYTES is read into the scratch buffer: most are compressed, and
  // decompressing copies them anyway, so a buffer per read was only garbage (a read per get
  // once the data outgrows the block cache). Larger ones (index, filter) are read whole.
  const scratch = file.readInto !== undefined && length <= SCRATCH_BYTES;
  let raw: Uint8Array;
  if (scratch) {
    raw = readScratch;
    if (file.readInto!(offset, length, raw) !== length) throw fail('truncated');
  } else {
    raw = file.read(offset, length);
    if (raw.length !== length) throw fail('truncated');
  }
  if (checksum32(raw, 0, size + 1) !== readU32(raw, size + 1)) throw fail('checksum mismatch');
  const type = raw[size]!;
  if (type === COMPRESSION_NONE) {
    // A copy, unless the read made a buffer of exactly this block or the block is transient:
    // a kept block must not pin a larger (pooled) buffer, nor share the scratch buffer.
    const exact = !scratch && raw.byteOffset === 0 && raw.buffer.byteLength === raw.length;
    if (exact || transient) return raw.subarray(0, size);
    if (memory === undefined) return raw.slice(0, size);
    const out = memory.take(size);
    out.set(raw.subarray(0, size));
    return out;
  }
  if (type === COMPRESSION_LZ4) {
    cursor.at = 0;
    const uncompressedSize = getVarint(raw, cursor, size);
    if (uncompressedSize < 0 || uncompressedSize > MAX_BLOCK_BYTES) throw fail('bad uncompressed size');
    const input = raw.subarray(cursor.at, size);
    if (transient && uncompressedSize <= SCRATCH_BYTES) {
      const out = decodeScratch.subarray(0, uncompressedSize);
      if (!lz4DecompressInto(input, out)) throw fail('LZ4 data does not decode to the recorded size');
      return out;
    }
    // Every byte of memory.take's memory is written: the decode must fill it exactly.
    const out = memory === undefined ? lz4Decompress(input, uncompressedSize) : memory.take(uncompressedSize);
    if (out === undefined || (memory !== undefined && !lz4DecompressInto(input, out))) {
      throw fail('LZ4 data does not decode to the recorded size');
    }
    return out;
  }
  throw fail(`unknown compression type ${type}`);
}
