/**
 * A decoded block (uncompressed contents, restart array located and checked) and its
 * iterator. Layout: engine/FORMAT.md, "Block contents"; the writer is block-builder.ts.
 *
 * The iterator never trusts the bytes: a varint running past the entries, a shared prefix
 * longer than the previous key, a key shorter than a trailer, or a restart entry that is not
 * a full key throws CorruptionError (file and block offset) instead of yielding a wrong key.
 *
 * Speed: seek binary-searches the restart points comparing keys in place inside the block,
 * then scans at most `restartInterval` entries. Keys are rebuilt into one buffer the iterator
 * reuses; `prev` re-decodes forward from the previous restart point (LevelDB's approach:
 * entries are delta-encoded, so there is no backward link), and remembers the entries it
 * decoded on the way (RocksDB's approach), so the following prev() calls within that restart
 * interval restore an entry instead of decoding the interval again: a backward scan decodes
 * each entry once, not about restartInterval / 2 times.
 */
import { memoryOf } from '../cache/block-buffers.js';
import { CorruptionError } from '../errors.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { compareRanges, EMPTY_BYTES, getVarint, readU32 } from '../util/bytes.js';
import { invariant } from '../util/invariant.js';
import { compareInternalRanges, TRAILER_BYTES } from '../version/internal-key.js';
import type { BlockKeys } from './block-keys.js';
import { HASH_INDEX_FLAG, hashSlotWidth, MAX_HASH_SLOT_BITS, MAX_HASHED_RESTARTS } from './format.js';

// Shared by all iterators and findHashed: varint decoding is synchronous and never re-entrant.
const cursor = { at: 0 };

/** Where Block.findHashed leaves the entry it found (synchronous, never re-entrant). */
export const hashHit = { trailerAt: 0, valueStart: 0, valueEnd: 0 };

/** Slot `s` of a hash index whose `width`-byte slots start at `slotsOffset` (little-endian). */
function readSlot(data: Uint8Array, slotsOffset: number, width: number, s: number): number {
  return width === 1
    ? data[slotsOffset + s]!
    : data[slotsOffset + 2 * s]! | (data[slotsOffset + 2 * s + 1]! << 8);
}

/** A block's uncompressed contents with a checked restart array; immutable, shareable. */
export class Block {
  /** Uncompressed block contents. */
  readonly data: Uint8Array;
  /** Offset of the restart array = end of the entries. */
  readonly restartsOffset: number;
  readonly restartCount: number;
  /** Path of the file the block came from, for error messages. */
  readonly file: string;
  /** Offset of the block in its file, for error messages and cache keys. */
  readonly fileOffset: number;
  /**
   * Whether the block cache may give `data`'s memory back to BlockBuffers once it evicts the
   * block: set by Table for a block it read into memory from BlockBuffers.take.
   */
  recyclable = false;
  /**
   * Whether an iterator has had the block: iterators keep views of their blocks, so its
   * memory is reused only once no iterator is open (BlockBuffers.give). Set by Table.dataBlock.
   */
  scanned = false;
  /**
   * Whether the block cache holding the block has had a hit of it since its eviction last
   * passed it (LruList's secondChance, kept here by BlockCache).
   */
  cacheMark = false;
  #pointKeys: BlockKeys | undefined = undefined;
  #pointReadBefore = false;
  /** Hash index (FORMAT.md, "Block hash index"): where its slots start, slots - 1, slot bytes (0: none). */
  #hashSlotsOffset = 0;
  #hashSlotMask = 0;
  #hashSlotWidth = 0;

  /**
   * Parses and checks the restart array, and the hash index if `hashIndexAllowed` (data
   * blocks of tables of format version 2 or later) and the block has one; throws
   * CorruptionError if they are inconsistent.
   */
  constructor(data: Uint8Array, file: string, fileOffset: number, hashIndexAllowed = false) {
    this.data = data;
    this.file = file;
    this.fileOffset = fileOffset;
    if (data.length < 4) throw this.corruption('block is shorter than its restart count');
    const packed = readU32(data, data.length - 4);
    let tail = data.length - 4;
    let count = packed;
    if (packed >= HASH_INDEX_FLAG) {
      if (!hashIndexAllowed) throw this.corruption('hash index flag in a block that may not have one');
      count = packed - HASH_INDEX_FLAG;
      tail = this.#parseHashIndex(count);
    }
    if (count > tail / 4) throw this.corruption(`restart count ${count} exceeds the block`);
    const restartsOffset = tail - count * 4;
    this.restartsOffset = restartsOffset;
    this.restartCount = count;
    if (restartsOffset > 0 && (count === 0 || readU32(data, restartsOffset) !== 0)) {
      throw this.corruption('first restart point is not at offset 0');
    }
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const r = readU32(data, restartsOffset + i * 4);
      // An empty block may keep the single restart point 0 (what the builder writes).
      if (r <= previous || (r >= restartsOffset && !(r === 0 && restartsOffset === 0))) {
        throw this.corruption(`restart point ${i} (${r}) is out of order or past the entries`);
      }
      previous = r;
    }
  }

  /**
   * Locates and checks the hash index that ends before the restart count (FORMAT.md, "Block
   * hash index"); returns where it starts (the end of the restart array).
   */
  #parseHashIndex(restartCount: number): number {
    const data = this.data;
    if (restartCount === 0 || restartCount > MAX_HASHED_RESTARTS) {
      throw this.corruption(`hash index over ${restartCount} restarts`);
    }
    if (data.length < 5) throw this.corruption('block is shorter than its hash index');
    const bits = data[data.length - 5]!;
    if (bits > MAX_HASH_SLOT_BITS) throw this.corruption(`hash index of 2^${bits} slots`);
    const width = hashSlotWidth(restartCount);
    const slotCount = 1 << bits;
    const slotsOffset = data.length - 5 - slotCount * width;
    if (slotsOffset < 0) throw this.corruption(`hash index of ${slotCount} slots exceeds the block`);
    // Every slot names an entry that exists (1 + its index) or is empty (0).
    for (let s = 0; s < slotCount; s++) {
      const slot = readSlot(data, slotsOffset, width, s);
      if (slot > restartCount)
        throw this.corruption(`hash slot ${s} names entry ${slot - 1} of ${restartCount}`);
    }
    this.#hashSlotsOffset = slotsOffset;
    this.#hashSlotMask = slotCount - 1;
    this.#hashSlotWidth = width;
    return slotsOffset;
  }

  /** Whether the block has a hash index (findHashed may be used). */
  get hashed(): boolean {
    return this.#hashSlotWidth !== 0;
  }

  /**
   * With a hash index: finds the first entry of user key userKey[0, userLength) in this
   * block, `hash` being its bloomHash. Returns false when the block has none; otherwise
   * returns true and leaves the entry's trailer offset and value range in `hashHit`.
   */
  findHashed(userKey: Uint8Array, userLength: number, hash: number): boolean {
    const data = this.data;
    const slotsOffset = this.#hashSlotsOffset;
    const mask = this.#hashSlotMask;
    const width = this.#hashSlotWidth;
    const entriesEnd = this.restartsOffset;
    for (let probe = 0, s = hash & mask; probe <= mask; probe++, s = (s + 1) & mask) {
      const slot = readSlot(data, slotsOffset, width, s);
      if (slot === 0) return false;
      const at = readU32(data, entriesEnd + 4 * (slot - 1));
      // A restart entry: shared (0), nonShared and valueLength varints, the key, the value.
      cursor.at = at;
      const shared = getVarint(data, cursor, entriesEnd);
      const nonShared = getVarint(data, cursor, entriesEnd);
      const valueLength = getVarint(data, cursor, entriesEnd);
      const keyStart = cursor.at;
      if (
        shared !== 0 ||
        nonShared < TRAILER_BYTES ||
        valueLength < 0 ||
        keyStart + nonShared + valueLength > entriesEnd
      ) {
        throw this.corruption(`bad entry at offset ${at} named by the hash index`);
      }
      const trailerAt = keyStart + nonShared - TRAILER_BYTES;
      if (compareRanges(data, keyStart, trailerAt, userKey, 0, userLength) !== 0) continue;
      hashHit.trailerAt = trailerAt;
      hashHit.valueStart = trailerAt + TRAILER_BYTES;
      hashHit.valueEnd = trailerAt + TRAILER_BYTES + valueLength;
      return true;
    }
    return false;
  }

  /**
   * Bytes the block holds in memory (its point keys included), for cache charging: its arena
   * slot's size class, or all of `data`'s ArrayBuffer when the block starts it (memory from
   * BlockBuffers is rounded up to a size class), else the bytes of `data`.
   */
  get chargeBytes(): number {
    return memoryOf(this.data) + 96 + (this.#pointKeys?.byteLength ?? 0);
  }

  /** The block's keys decoded for point reads, once Table.get has attached them. */
  get pointKeys(): BlockKeys | undefined {
    return this.#pointKeys;
  }

  /**
   * Whether a point read used this block before; records that one does now. Table.get
   * decodes a block's keys only on its second point read: a block read from disk for one get
   * and evicted untouched (a cold cache, or a table compaction just wrote) would pay for
   * decoding every key to find one.
   */
  notePointRead(): boolean {
    const before = this.#pointReadBefore;
    this.#pointReadBefore = true;
    return before;
  }

  /**
   * Attaches the decoded keys of this block (BlockKeys.decode(this)); the block's contents
   * do not change. Re-insert the block in its cache afterwards, so the cache charges them.
   */
  attachPointKeys(keys: BlockKeys): void {
    invariant(this.#pointKeys === undefined, 'Block.attachPointKeys: keys already attached');
    this.#pointKeys = keys;
  }

  /** A new iterator over this block. */
  iterator(): BlockIterator {
    const it = new BlockIterator();
    it.reset(this);
    return it;
  }

  /** A CorruptionError naming this block's file and offset. */
  corruption(problem: string): CorruptionError {
    return new CorruptionError(
      this.file,
      this.fileOffset,
      `${problem} in block at offset ${this.fileOffset}`,
    );
  }
}

const EMPTY_BLOCK_DATA = new Uint8Array([0, 0, 0, 0]);
const EMPTY_BLOCK = new Block(EMPTY_BLOCK_DATA, '(empty)', 0);
const NO_INTS = new Int32Array(0);
/** The smallest key buffer a BlockIterator allocates: most keys fit, so it rarely grows. */
const MIN_KEY_BUFFER_BYTES = 64;

/**
 * Iterator over one block. Reusable: `reset(block)` points it at another block without
 * allocating, which the table iterator and Table.get rely on.
 */
export class BlockIterator implements InternalIterator {
  #block: Block = EMPTY_BLOCK;
  #data: Uint8Array = EMPTY_BLOCK_DATA;
  #restartsOffset = 0;
  #restartCount = 0;
  /** Offset of the current entry; equals #restartsOffset when not valid. */
  #current = 0;
  /** Offset just past the current entry (where the next one starts). */
  #nextOffset = 0;
  /** Index of the restart point at or before #current. */
  #restartIndex = 0;
  /** Offset of restart point #restartIndex + 1 (#restartsOffset if none): saves a read per step. */
  #nextRestart = 0;
  /** Allocated when the first entry is decoded (an iterator made for one seek may decode few). */
  #key: Uint8Array = EMPTY_BYTES;
  #keyLength = 0;
  /** Bytes the current key shares with the previous one (its entry's `shared` field). */
  #shared = 0;
  #keyView: Uint8Array = EMPTY_BYTES;
  #valueStart = 0;
  #valueEnd = 0;
  /**
   * Entries of one restart interval decoded by the last prev() (see the module comment):
   * entry i starts at #cacheAt[i] (the next one at #cacheAt[i + 1]), has key
   * #cacheKeys[#cacheKeyAt[i], #cacheKeyAt[i + 1]) and value data[#cacheValueAt[i], #cacheAt[i + 1]).
   * The cache is used only while #cacheIndex >= 0, i.e. while the current entry came from it.
   */
  #cacheAt = NO_INTS;
  #cacheValueAt = NO_INTS;
  #cacheKeyAt = NO_INTS;
  #cacheKeys = EMPTY_BYTES;
  /** Index in the cache of the current entry, when it came from the cache; -1 otherwise. */
  #cacheIndex = -1;
  /** Scratch outputs of #readEntryHeader. */
  #hShared = 0;
  #hNonShared = 0;
  #hValueLength = 0;

  /** Points the iterator at `block`; it is then not positioned. */
  reset(block: Block): void {
    this.#cacheIndex = -1;
    this.#block = block;
    this.#data = block.data;
    this.#restartsOffset = block.restartsOffset;
    this.#restartCount = block.restartCount;
    this.#markInvalid();
  }

  /** The block the iterator reads. */
  get block(): Block {
    return this.#block;
  }

  valid(): boolean {
    return this.#current < this.#restartsOffset;
  }

  /** The buffer holding the current key in [0, keyLength); for in-place comparisons. */
  get keyBuffer(): Uint8Array {
    return this.#key;
  }

  get keyLength(): number {
    return this.#keyLength;
  }

  /** The current value is data[valueStart, valueEnd) of `block.data`. */
  get valueStart(): number {
    return this.#valueStart;
  }

  get valueEnd(): number {
    return this.#valueEnd;
  }

  key(): Uint8Array {
    invariant(this.valid(), 'BlockIterator.key() on an invalid iterator');
    // Reuse the previous view when the length and buffer match: the bytes are rewritten in
    // place, so scans over fixed-length keys allocate nothing here.
    const view = this.#keyView;
    if (view.length !== this.#keyLength || view.buffer !== this.#key.buffer) {
      this.#keyView = this.#key.subarray(0, this.#keyLength);
    }
    return this.#keyView;
  }

  value(): Uint8Array {
    invariant(this.valid(), 'BlockIterator.value() on an invalid iterator');
    return this.#data.subarray(this.#valueStart, this.#valueEnd);
  }

  seekToFirst(): void {
    if (this.#restartsOffset === 0) return this.#markInvalid();
    this.#seekToRestart(0);
    this.#parseNext();
  }

  seekToLast(): void {
    if (this.#restartsOffset === 0) return this.#markInvalid();
    this.#seekToRestart(this.#restartCount - 1);
    while (this.#parseNext() && this.#nextOffset < this.#restartsOffset) {
      // Decode forward to the last entry.
    }
  }

  seek(target: Uint8Array): void {
    this.seekRange(target, 0, target.length);
  }

  /** seek() to the internal key held in target[start, end), without a subarray. */
  seekRange(target: Uint8Array, start: number, end: number): void {
    invariant(end - start >= TRAILER_BYTES, 'BlockIterator.seek: the target must be an internal key');
    if (this.#restartsOffset === 0) return this.#markInvalid();
    // Find the last restart point whose key is < target. Keys between two probed keys share
    // with target at least the shorter of the two probes' common prefixes with it (sorted
    // strings with a common prefix are contiguous), so each probe compares from there.
    const targetUser = end - start - TRAILER_BYTES;
    const data = this.#data;
    let left = 0;
    let right = this.#restartCount - 1;
    let commonLeft = 0;
    let commonRight = 0;
    while (left < right) {
      const mid = (left + right + 1) >>> 1;
      const keyStart = this.#restartKeyStart(mid);
      const keyLength = this.#keyLength;
      const keyUser = keyLength - TRAILER_BYTES;
      const n = keyUser < targetUser ? keyUser : targetUser;
      let i = commonLeft < commonRight ? commonLeft : commonRight;
      while (i < n && data[keyStart + i] === target[start + i]) i++;
      const less =
        i < n
          ? data[keyStart + i]! < target[start + i]!
          : compareInternalRanges(data, keyStart, keyStart + keyLength, target, start, end) < 0;
      if (less) {
        left = mid;
        commonLeft = i;
      } else {
        right = mid - 1;
        commonRight = i;
      }
    }
    this.#seekToRestart(left);
    // Linear scan, reusing what the previous comparison learned: `common` is the length of
    // the common prefix of the previous key's user part and target's, and `differs` says
    // they differ at byte `common` (the previous key being smaller). A key sharing more than
    // `common` bytes with the previous one has the same smaller byte there, so it is skipped
    // without comparing; otherwise comparison starts after the prefix known to be equal.
    let common = 0;
    let differs = false;
    while (this.#parseNext()) {
      const shared = this.#shared;
      if (differs && shared > common) continue;
      const key = this.#key;
      const keyUser = this.#keyLength - TRAILER_BYTES;
      const n = keyUser < targetUser ? keyUser : targetUser;
      let i = shared < common ? shared : common;
      while (i < n && key[i] === target[start + i]) i++;
      if (i < n) {
        if (key[i]! > target[start + i]!) return;
        common = i;
        differs = true;
        continue;
      }
      common = n;
      differs = false;
      if (compareInternalRanges(key, 0, this.#keyLength, target, start, end) >= 0) return;
    }
  }

  seekForPrev(target: Uint8Array): void {
    this.seek(target);
    if (!this.valid()) {
      this.seekToLast();
    } else if (compareInternalRanges(this.#key, 0, this.#keyLength, target, 0, target.length) > 0) {
      this.prev();
    }
  }

  next(): void {
    invariant(this.valid(), 'BlockIterator.next() on an invalid iterator');
    this.#parseNext();
  }

  prev(): void {
    invariant(this.valid(), 'BlockIterator.prev() on an invalid iterator');
    const original = this.#current;
    const cached = this.#cacheIndex;
    if (cached > 0 && this.#cacheAt[cached] === original) return this.#restoreCached(cached - 1);
    while (this.#restartPoint(this.#restartIndex) >= original) {
      if (this.#restartIndex === 0) return this.#markInvalid();
      this.#restartIndex--;
    }
    this.#seekToRestart(this.#restartIndex);
    // Decode forward to the entry just before `original`, remembering each entry.
    let count = 0;
    let keyBytes = 0;
    while (this.#parseNext()) {
      const keyLength = this.#keyLength;
      if (count + 1 >= this.#cacheAt.length) this.#growCacheEntries();
      if (keyBytes + keyLength > this.#cacheKeys.length) this.#growCacheKeys(keyBytes + keyLength);
      const cacheKeys = this.#cacheKeys;
      const key = this.#key;
      for (let i = 0; i < keyLength; i++) cacheKeys[keyBytes + i] = key[i]!;
      this.#cacheAt[count] = this.#current;
      this.#cacheValueAt[count] = this.#valueStart;
      this.#cacheKeyAt[count] = keyBytes;
      keyBytes += keyLength;
      count++;
      if (this.#nextOffset >= original) break;
    }
    if (this.#nextOffset !== original) {
      throw this.#fail(`entries do not chain to offset ${original}`);
    }
    this.#cacheAt[count] = original;
    this.#cacheKeyAt[count] = keyBytes;
    this.#cacheIndex = count - 1;
  }

  /** Makes cached entry `index` (of the interval the last prev() decoded) the current one. */
  #restoreCached(index: number): void {
    const keyStart = this.#cacheKeyAt[index]!;
    const keyLength = this.#cacheKeyAt[index + 1]! - keyStart;
    const cacheKeys = this.#cacheKeys;
    const key = this.#key;
    // The key buffer holds at least every key decoded so far, so it fits.
    for (let i = 0; i < keyLength; i++) key[i] = cacheKeys[keyStart + i]!;
    this.#keyLength = keyLength;
    this.#shared = 0;
    this.#current = this.#cacheAt[index]!;
    this.#valueStart = this.#cacheValueAt[index]!;
    this.#valueEnd = this.#nextOffset = this.#cacheAt[index + 1]!;
    // #restartIndex and #nextRestart already describe the cached interval: only prev() sets
    // #cacheIndex >= 0, and any other move (which may change them) resets it to -1.
    this.#cacheIndex = index;
  }

  /** Allocated on the first prev(), so iterators that only go forward pay nothing. */
  #growCacheEntries(): void {
    const size = Math.max(32, 2 * this.#cacheAt.length);
    const at = new Int32Array(size);
    at.set(this.#cacheAt);
    const valueAt = new Int32Array(size);
    valueAt.set(this.#cacheValueAt);
    const keyAt = new Int32Array(size);
    keyAt.set(this.#cacheKeyAt);
    this.#cacheAt = at;
    this.#cacheValueAt = valueAt;
    this.#cacheKeyAt = keyAt;
  }

  #growCacheKeys(needed: number): void {
    const keys = new Uint8Array(Math.max(needed, 512, 2 * this.#cacheKeys.length));
    keys.set(this.#cacheKeys);
    this.#cacheKeys = keys;
  }

  close(): void {
    this.reset(EMPTY_BLOCK);
  }

  #markInvalid(): void {
    this.#cacheIndex = -1;
    this.#current = this.#restartsOffset;
    this.#nextOffset = this.#restartsOffset;
    this.#restartIndex = this.#restartCount;
    this.#nextRestart = this.#restartsOffset;
    this.#keyLength = 0;
  }

  #restartPoint(index: number): number {
    return readU32(this.#data, this.#restartsOffset + index * 4);
  }

  #seekToRestart(index: number): void {
    this.#restartIndex = index;
    this.#nextRestart = index + 1 < this.#restartCount ? this.#restartPoint(index + 1) : this.#restartsOffset;
    this.#keyLength = 0;
    this.#nextOffset = this.#restartPoint(index);
  }

  /**
   * Decodes the three varints of the entry header at `p` (fast path: all three fit in one
   * byte) into #hShared, #hNonShared and #hValueLength; returns the offset after them.
   */
  #readEntryHeader(data: Uint8Array, p: number, limit: number, at: number): number {
    if (p + 3 <= limit && (data[p]! | data[p + 1]! | data[p + 2]!) < 0x80) {
      this.#hShared = data[p]!;
      this.#hNonShared = data[p + 1]!;
      this.#hValueLength = data[p + 2]!;
      return p + 3;
    }
    cursor.at = p;
    const shared = getVarint(data, cursor, limit);
    const nonShared = getVarint(data, cursor, limit);
    const valueLength = getVarint(data, cursor, limit);
    if (shared < 0 || nonShared < 0 || valueLength < 0) throw this.#fail(`bad entry header at ${at}`);
    this.#hShared = shared;
    this.#hNonShared = nonShared;
    this.#hValueLength = valueLength;
    return cursor.at;
  }

  /**
   * Decodes the header of the entry at restart point `index` and returns where its key
   * starts in the block; sets #keyLength to the key's length (the iterator's key buffer is
   * left stale, so callers re-position afterwards).
   */
  #restartKeyStart(index: number): number {
    const data = this.#data;
    const limit = this.#restartsOffset;
    const at = this.#restartPoint(index);
    let p = at;
    p = this.#readEntryHeader(data, p, limit, at);
    const shared = this.#hShared;
    const nonShared = this.#hNonShared;
    const valueLength = this.#hValueLength;
    if (shared !== 0) throw this.#fail(`restart entry at ${at} is not a full key`);
    if (nonShared < TRAILER_BYTES || p + nonShared + valueLength > limit) {
      throw this.#fail(`entry at ${at} runs past the block or has a short key`);
    }
    this.#keyLength = nonShared;
    return p;
  }

  /** Decodes the entry at #nextOffset; returns false (and invalidates) at the end. */
  #parseNext(): boolean {
    const data = this.#data;
    const limit = this.#restartsOffset;
    const at = this.#nextOffset;
    if (at >= limit) {
      this.#markInvalid();
      return false;
    }
    this.#current = at;
    this.#cacheIndex = -1;
    let p = at;
    p = this.#readEntryHeader(data, p, limit, at);
    const shared = this.#hShared;
    const nonShared = this.#hNonShared;
    const valueLength = this.#hValueLength;
    const keyLength = shared + nonShared;
    if (shared > this.#keyLength || keyLength < TRAILER_BYTES || p + nonShared + valueLength > limit) {
      throw this.#fail(`entry at ${at} runs past the block or has a bad key length`);
    }
    let key = this.#key;
    if (keyLength > key.length) {
      const grown = new Uint8Array(Math.max(keyLength, key.length * 2, MIN_KEY_BUFFER_BYTES));
      for (let i = 0; i < shared; i++) grown[i] = key[i]!;
      this.#key = key = grown;
    }
    if (nonShared <= 32) {
      for (let i = 0; i < nonShared; i++) key[shared + i] = data[p + i]!;
    } else {
      key.set(data.subarray(p, p + nonShared), shared);
    }
    this.#keyLength = keyLength;
    this.#shared = shared;
    this.#valueStart = p + nonShared;
    this.#valueEnd = this.#nextOffset = p + nonShared + valueLength;
    // Restart points are entry boundaries, so at most one is crossed per step.
    if (at >= this.#nextRestart) {
      const index = ++this.#restartIndex;
      this.#nextRestart =
        index + 1 < this.#restartCount ? this.#restartPoint(index + 1) : this.#restartsOffset;
    }
    return true;
  }

  /** Invalidates the iterator (it must not be used after corruption) and builds the error. */
  #fail(problem: string): CorruptionError {
    this.#markInvalid();
    return this.#block.corruption(problem);
  }
}
