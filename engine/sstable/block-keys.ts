/**
 * The keys of one block decoded for point reads: every key back to back in one buffer, its
 * value's range in the block, and a dense array for the search. Nothing on disk changes;
 * Table.get builds one for the table's index block (point-index.ts) and one for each data
 * block without a hash index it reads (kept with the block in the block cache, and charged
 * to it): blocks of format 1 tables and of tables with a restart interval above 1. Data
 * blocks with a hash index (block.ts, findHashed) need none.
 *
 * Why: a block's own search (block.ts) binary-searches the restart points, then decodes up
 * to a restart interval of entries one by one, each at a different place in the block.
 * Profiles of readrandom over tables put most of a get there: in the index block (one
 * restart per entry, ~log2(blocks) scattered probes) and in the data block (the scan of
 * ~8 entries, each a cache miss in a block read at random). Here a search reads a dense
 * Uint32Array of four bytes per key and compares full keys only where those bytes tie.
 *
 * The four bytes ("window") of key i are its user key's bytes [prefix, prefix + 4),
 * big-endian, zero-padded past the user key's end, where `prefix` is the length of the
 * user-key prefix that keys 0 .. count - 2 share. If two windows differ, their user keys
 * compare as the windows do (a user key ending inside the window is a prefix of the other
 * there, so sorts first, and its zero padding is never above the other's byte); equal
 * windows decide nothing. The last key is left out of the windows because the table
 * writer shortens the index block's last key to a successor of the table's last key (often
 * a single byte), which would leave the others no common prefix; it is compared in full.
 *
 * A data block decoded for point reads also gets a small hash table of its user keys
 * (`hashed`), by the bloom hash a get has already computed: the get probes one slot and
 * compares one key, where the search above reads the shared prefix and a binary search's
 * windows, cache misses in a block read at random. Each slot holds 1 + the index of a user
 * key's first (newest) entry, 0 when empty; open addressing, at most half full.
 */
import { compareInternalRanges, readTrailerSequence, TRAILER_BYTES } from '../version/internal-key.js';
import { compareRanges } from '../util/bytes.js';
import { bloomHashRange } from '../util/checksum.js';
import type { Block } from './block.js';
import { BlockIterator } from './block.js';

/** Bytes of each key kept in the dense search array. */
const WINDOW_BYTES = 4;
/** Approximate bytes of the object and typed-array headers, for cache charging. */
const OVERHEAD_BYTES = 200;
/** Blocks with more entries get no hash table (its slots are 16 bits). */
const MAX_HASHED_ENTRIES = 1 << 14;

/**
 * Where decode parses a block before it knows the sizes; grown as blocks need and kept (the
 * iterator keeps the last block decoded reachable until the next decode).
 */
const scratch = {
  iterator: new BlockIterator(),
  keys: new Uint8Array(4096),
  ends: new Uint32Array(3 * 256),
};

/** A copy of `array` with room for at least `need` elements. */
function grown<A extends Uint8Array | Uint32Array>(array: A, need: number): A {
  const bigger = new (array.constructor as new (length: number) => A)(Math.max(need, 2 * array.length));
  bigger.set(array);
  return bigger;
}

/** A block's keys and value ranges; immutable. */
export class BlockKeys {
  /** Number of entries. */
  readonly count: number;
  /** Every key (internal keys) back to back; key i is keys[keyStart(i), keyEnd(i)). */
  readonly keys: Uint8Array;
  /** Per entry: key end, value start, value end (offsets into the block's data). */
  readonly #ends: Uint32Array;
  /** Window of each key but the last (see the file comment). */
  readonly #windows: Uint32Array;
  /** Length of the user-key prefix that every key but the last shares. */
  readonly #prefix: number;
  /** The hash table of user keys (see the file comment), or undefined. */
  readonly #slots: Uint16Array | undefined;

  private constructor(
    keys: Uint8Array,
    ends: Uint32Array,
    windows: Uint32Array,
    prefix: number,
    slots: Uint16Array | undefined,
  ) {
    this.count = ends.length / 3;
    this.keys = keys;
    this.#ends = ends;
    this.#windows = windows;
    this.#prefix = prefix;
    this.#slots = slots;
  }

  /** Whether findUser() may be used (decode was asked for it and the block is not too big). */
  get hashed(): boolean {
    return this.#slots !== undefined;
  }

  /**
   * Decodes every entry of `block`; throws the block's CorruptionError if one does not parse.
   * With `hashed`, also builds the hash table of its user keys (data blocks).
   */
  static decode(block: Block, hashed = false): BlockKeys {
    // One parse of the block, into scratch space shared by every decode (decode is
    // synchronous and never re-entrant); the exact buffer is then filled by two copies.
    // Parsing twice (a pass to count, a pass to copy) showed in profiles of readrandom.
    const it = scratch.iterator;
    it.reset(block);
    let count = 0;
    let keyBytes = 0;
    for (it.seekToFirst(); it.valid(); it.next(), count++) {
      const key = it.keyBuffer;
      const length = it.keyLength;
      if (keyBytes + length > scratch.keys.length) scratch.keys = grown(scratch.keys, keyBytes + length);
      if (3 * count + 3 > scratch.ends.length) scratch.ends = grown(scratch.ends, 3 * count + 3);
      const keys = scratch.keys;
      for (let j = 0; j < length; j++) keys[keyBytes + j] = key[j]!;
      keyBytes += length;
      const ends = scratch.ends;
      ends[3 * count] = keyBytes;
      ends[3 * count + 1] = it.valueStart;
      ends[3 * count + 2] = it.valueEnd;
    }
    const searched = Math.max(0, count - 1);
    // A power of two at least twice the entries (an even count of 16-bit slots keeps what
    // follows 4-byte aligned).
    const slotCount =
      hashed && count > 0 && count <= MAX_HASHED_ENTRIES ? 1 << (32 - Math.clz32(2 * count - 1)) : 0;
    // One allocation for the arrays, slots and windows first, then ends, then keys: a search
    // reads the shared prefix, the windows (or a slot) and one entry's ends and key, and
    // reading them from one region instead of scattered backing stores saves cache and TLB
    // misses.
    const head = 2 * slotCount;
    const buffer = new ArrayBuffer(head + 4 * (searched + 3 * count) + keyBytes);
    const windows = new Uint32Array(buffer, head, searched);
    const ends = new Uint32Array(buffer, head + 4 * searched, 3 * count);
    const keys = new Uint8Array(buffer, head + 4 * (searched + 3 * count), keyBytes);
    ends.set(scratch.ends.subarray(0, 3 * count));
    keys.set(scratch.keys.subarray(0, keyBytes));
    const prefix = searched === 0 ? 0 : sharedUserPrefix(keys, ends, searched);
    for (let k = 0; k < searched; k++) {
      windows[k] = windowOf(keys, keyStartIn(ends, k) + prefix, ends[3 * k]! - TRAILER_BYTES);
    }
    const slots =
      slotCount === 0 ? undefined : hashUserKeys(keys, ends, count, new Uint16Array(buffer, 0, slotCount));
    return new BlockKeys(keys, ends, windows, prefix, slots);
  }

  /** Memory held, for cache charging. */
  get byteLength(): number {
    return this.keys.buffer.byteLength + OVERHEAD_BYTES;
  }

  keyStart(i: number): number {
    return keyStartIn(this.#ends, i);
  }

  keyEnd(i: number): number {
    return this.#ends[3 * i]!;
  }

  /** Start of entry i's value in the block's data. */
  valueStart(i: number): number {
    return this.#ends[3 * i + 1]!;
  }

  /** End of entry i's value in the block's data. */
  valueEnd(i: number): number {
    return this.#ends[3 * i + 2]!;
  }

  /** The first entry whose key is >= the internal key target[start, end), or count if none. */
  find(target: Uint8Array, start: number, end: number): number {
    const n = this.count;
    if (n === 0) return 0;
    const last = n - 1;
    const i = this.#searchAllButLast(target, start, end);
    if (i < last) return i;
    const lastEnd = this.#ends[3 * last]!;
    return compareInternalRanges(this.keys, this.keyStart(last), lastEnd, target, start, end) >= 0 ? last : n;
  }

  /**
   * With `hashed`: the first entry of user key userKey[0, userLength) whose sequence is at
   * most `sequence`, or count if the block has none; `hash` is bloomHash(userKey). The same
   * entry as find() of (userKey, sequence, Put) when that entry has userKey.
   */
  findUser(userKey: Uint8Array, userLength: number, hash: number, sequence: number): number {
    const slots = this.#slots!;
    const mask = slots.length - 1;
    const keys = this.keys;
    const ends = this.#ends;
    const n = this.count;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const slot = slots[s]!;
      if (slot === 0) return n;
      let i = slot - 1;
      const start = keyStartIn(ends, i);
      if (compareRanges(keys, start, ends[3 * i]! - TRAILER_BYTES, userKey, 0, userLength) !== 0) continue;
      // Its entries are consecutive, newest first.
      for (;;) {
        const trailerAt = ends[3 * i]! - TRAILER_BYTES;
        if (readTrailerSequence(keys, trailerAt) <= sequence) return i;
        if (++i === n) return n;
        if (
          compareRanges(keys, keyStartIn(ends, i), ends[3 * i]! - TRAILER_BYTES, userKey, 0, userLength) !== 0
        ) {
          return n;
        }
      }
    }
  }

  /** find() among keys 0 .. count - 2: their count when all are below target. */
  #searchAllButLast(target: Uint8Array, start: number, end: number): number {
    const m = this.count - 1;
    if (m <= 0) return 0;
    const keys = this.keys;
    const prefix = this.#prefix;
    const userEnd = end - TRAILER_BYTES;
    // These keys all share the prefix: a target that differs there is below or above them all.
    const shared = prefix < userEnd - start ? prefix : userEnd - start;
    for (let j = 0; j < shared; j++) {
      const d = keys[j]! - target[start + j]!;
      if (d !== 0) return d > 0 ? 0 : m;
    }
    if (shared < prefix) return 0; // target's user key is a proper prefix of theirs
    const window = windowOf(target, start + prefix, userEnd);
    const windows = this.#windows;
    const ends = this.#ends;
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const w = windows[mid]!;
      const below =
        w !== window
          ? w < window
          : compareInternalRanges(keys, keyStartIn(ends, mid), ends[3 * mid]!, target, start, end) < 0;
      if (below) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function keyStartIn(ends: Uint32Array, i: number): number {
  return i === 0 ? 0 : ends[3 * (i - 1)]!;
}

/**
 * Fills `slots` (all 0, a power of two at least twice `count`) with the first entry of each
 * user key, by bloom hash; returns it.
 */
function hashUserKeys(keys: Uint8Array, ends: Uint32Array, count: number, slots: Uint16Array): Uint16Array {
  const mask = slots.length - 1;
  let previousStart = 0;
  let previousEnd = -1;
  for (let i = 0; i < count; i++) {
    const start = keyStartIn(ends, i);
    const end = ends[3 * i]! - TRAILER_BYTES;
    if (previousEnd >= 0 && compareRanges(keys, previousStart, previousEnd, keys, start, end) === 0) continue;
    previousStart = start;
    previousEnd = end;
    let s = bloomHashRange(keys, start, end) & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = i + 1;
  }
  return slots;
}

/** Length of the user-key prefix keys 0 and count - 1 share (so, sorted, all of 0 .. count - 1). */
function sharedUserPrefix(keys: Uint8Array, ends: Uint32Array, count: number): number {
  const firstEnd = ends[0]! - TRAILER_BYTES;
  const lastStart = keyStartIn(ends, count - 1);
  const lastEnd = ends[3 * (count - 1)]! - TRAILER_BYTES;
  const limit = Math.min(firstEnd, lastEnd - lastStart);
  let i = 0;
  while (i < limit && keys[i] === keys[lastStart + i]) i++;
  return i;
}

/** Bytes src[from, from + 4) as a big-endian u32, bytes at or past `end` read as 0. */
function windowOf(src: Uint8Array, from: number, end: number): number {
  let w = 0;
  for (let j = 0; j < WINDOW_BYTES; j++) {
    const at = from + j;
    w = (w << 8) | (at < end ? src[at]! : 0);
  }
  return w >>> 0;
}
