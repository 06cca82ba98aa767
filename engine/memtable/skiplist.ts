/**
 * A skiplist of internal keys that lives entirely in one SharedArrayBuffer (the arena), so a
 * worker thread can read a sealed memtable without copying or deserializing it.
 *
 * Contract:
 * - One writer (the main thread) inserts; readers on the same thread may interleave with it
 *   (JavaScript runs them one at a time). After `seal()`, other threads may read: the seal
 *   flag is stored with Atomics, which orders every earlier arena write before it.
 * - Nodes are never moved or freed: an offset stays valid for the arena's life, which is what
 *   lets iterators survive concurrent inserts and hand out zero-copy views.
 * - Order is internal-key order (user key ascending, sequence descending); keys are compared
 *   in place in the arena. A (user key, sequence) pair is inserted at most once.
 *
 * Arena layout (all offsets are byte offsets into the arena, stored as i32; 0 means "none"):
 *
 *   header (32 bytes, i32 words):
 *     0 magic "SFMT"   1 layout version   2 capacity   3 used bytes (bump pointer)
 *     4 entry count    5 max height in use 6 tail node  7 sealed flag (Atomics)
 *   head node at HEAD_OFFSET with MAX_HEIGHT levels and an empty key
 *   nodes, each 4-byte aligned:
 *     word 0  internal-key length (bits 0..23) | height << 24
 *     word 1  value length
 *     word 2  level-0 predecessor (HEAD_OFFSET for the first node), for O(1) prev()
 *     word 3.. next node at levels 0..height-1
 *     then the user key and its 8-byte trailer (contiguous: key() is one subarray), then the value
 *
 * A pointer-per-level array of JS objects was the obvious alternative; it cannot cross to a
 * worker without serializing every entry, and it costs an object per entry on the heap.
 */
import { invariant } from '../util/invariant.js';
import { takeArena } from './arena-pool.js';
import {
  compareInternalRanges,
  readTrailerSequence,
  TRAILER_BYTES,
  writeTrailer,
} from '../version/internal-key.js';
import type { EntryKind } from '../version/internal-key.js';

/** Tallest a node can be. With branching 4 this suits up to ~4^12 = 16M entries. */
export const MAX_HEIGHT = 12;
const BRANCHING_MASK = 3; // a node grows another level with probability 1/4

const MAGIC = 0x544d4653; // "SFMT" little-endian
const LAYOUT_VERSION = 1;

const W_MAGIC = 0;
const W_VERSION = 1;
const W_CAPACITY = 2;
const W_USED = 3;
const W_COUNT = 4;
const W_MAX_HEIGHT = 5;
const W_TAIL = 6;
const W_SEALED = 7;
const ARENA_HEADER_BYTES = 32;

/** Node words before the next-pointer array: length|height, value length, predecessor. */
const NODE_FIXED_BYTES = 12;
const KEY_LENGTH_MASK = 0xffffff;

/** Offset of the head node. */
export const HEAD_OFFSET = ARENA_HEADER_BYTES;
/** Arena bytes taken before the first entry: header and head node. */
export const ARENA_OVERHEAD_BYTES = HEAD_OFFSET + NODE_FIXED_BYTES + 4 * MAX_HEIGHT;
/** Largest arena: offsets are i32. */
export const MAX_ARENA_BYTES = 0x7fff_fffc;

/** Arena bytes a node for this key and value takes at most (tallest height, aligned). */
export function nodeBytesAtMost(userKeyLength: number, valueLength: number): number {
  return (NODE_FIXED_BYTES + 4 * MAX_HEIGHT + userKeyLength + TRAILER_BYTES + valueLength + 3) & ~3;
}

/** Default seed of the height generator, so runs are reproducible. */
export const DEFAULT_SKIPLIST_SEED = 0x2545f491;

/** The arena skiplist. Higher-level semantics (lookups by user key, room accounting) live in memtable.ts. */
export class SkipList {
  readonly #buffer: SharedArrayBuffer;
  readonly #u8: Uint8Array;
  readonly #i32: Int32Array;
  readonly #readOnly: boolean;
  #sealed: boolean;
  /** Writer-side copies of header words (the arena copy is for other readers). */
  #used: number;
  #count: number;
  #maxHeight: number;
  #rng: number;
  /** Predecessors at each level of the node being inserted; reused across inserts. */
  readonly #splice = new Int32Array(MAX_HEIGHT);
  /** Aligned copy of the key being searched for (see seekUser). */
  #scratch = new Uint8Array(0);
  #scratch32 = new Int32Array(0);

  private constructor(buffer: SharedArrayBuffer, readOnly: boolean, seed: number) {
    this.#buffer = buffer;
    this.#u8 = new Uint8Array(buffer);
    this.#i32 = new Int32Array(buffer);
    this.#readOnly = readOnly;
    this.#sealed = Atomics.load(this.#i32, W_SEALED) === 1;
    this.#used = this.#i32[W_USED]!;
    this.#count = this.#i32[W_COUNT]!;
    this.#maxHeight = this.#i32[W_MAX_HEIGHT]!;
    this.#rng = seed | 0 || DEFAULT_SKIPLIST_SEED;
  }

  /** A new, empty skiplist in a fresh arena of `capacityBytes`. */
  static create(capacityBytes: number, seed = DEFAULT_SKIPLIST_SEED): SkipList {
    invariant(
      Number.isInteger(capacityBytes) &&
        capacityBytes >= ARENA_OVERHEAD_BYTES &&
        capacityBytes <= MAX_ARENA_BYTES,
      () => `skiplist arena of ${capacityBytes} bytes is outside ${ARENA_OVERHEAD_BYTES}..${MAX_ARENA_BYTES}`,
    );
    const buffer = takeArena((capacityBytes + 3) & ~3);
    const i32 = new Int32Array(buffer);
    // A recycled arena holds old nodes; only the header and head node must start zeroed
    // (every insert writes all the words of its node).
    i32.fill(0, 0, ARENA_OVERHEAD_BYTES >> 2);
    i32[W_MAGIC] = MAGIC;
    i32[W_VERSION] = LAYOUT_VERSION;
    i32[W_CAPACITY] = buffer.byteLength;
    i32[W_USED] = ARENA_OVERHEAD_BYTES;
    i32[W_COUNT] = 0;
    i32[W_MAX_HEIGHT] = 1;
    i32[W_TAIL] = 0;
    i32[HEAD_OFFSET >> 2] = MAX_HEIGHT << 24; // empty key, all next pointers 0
    return new SkipList(buffer, false, seed);
  }

  /** A read-only view of a sealed arena (typically in a worker). */
  static open(buffer: SharedArrayBuffer): SkipList {
    const i32 = new Int32Array(buffer);
    invariant(
      i32.length > W_SEALED && i32[W_MAGIC] === MAGIC && i32[W_VERSION] === LAYOUT_VERSION,
      'buffer is not a statefn memtable arena',
    );
    invariant(
      Atomics.load(i32, W_SEALED) === 1,
      'a memtable arena must be sealed before another view opens it',
    );
    return new SkipList(buffer, true, DEFAULT_SKIPLIST_SEED);
  }

  /** The arena itself. */
  get buffer(): SharedArrayBuffer {
    return this.#buffer;
  }

  /** The arena as bytes; node keys and values are views of it. */
  get bytes(): Uint8Array {
    return this.#u8;
  }

  /** Arena size in bytes. */
  get capacityBytes(): number {
    return this.#buffer.byteLength;
  }

  /** Arena bytes in use: header, head node and every node so far. */
  get usedBytes(): number {
    return this.#used;
  }

  /** Number of entries. */
  get count(): number {
    return this.#count;
  }

  /** True for a view opened with `open` (it can never insert). */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** True once sealed (always for a read-only view). */
  get sealed(): boolean {
    return this.#sealed;
  }

  /** Publishes the final header and forbids further inserts. Idempotent. */
  seal(): void {
    if (this.#readOnly || this.#sealed) return;
    this.#writeHeader();
    this.#sealed = true;
    Atomics.store(this.#i32, W_SEALED, 1);
  }

  #writeHeader(): void {
    const i32 = this.#i32;
    i32[W_USED] = this.#used;
    i32[W_COUNT] = this.#count;
    i32[W_MAX_HEIGHT] = this.#maxHeight;
  }

  // ---- node accessors (offset -> field) ----

  /** Successor of `node` at `level` (HEAD_OFFSET is a valid `node`); 0 at the end. */
  nextOf(node: number, level: number): number {
    return this.#i32[(node >> 2) + 3 + level]!;
  }

  /** Level-0 predecessor, or 0 when `node` is the first entry. */
  prevOf(node: number): number {
    const p = this.#i32[(node >> 2) + 2]!;
    return p === HEAD_OFFSET ? 0 : p;
  }

  /** First entry, or 0 when empty. */
  first(): number {
    return this.#i32[(HEAD_OFFSET >> 2) + 3]!;
  }

  /** Last entry, or 0 when empty. */
  last(): number {
    return this.#i32[W_TAIL]!;
  }

  /** Arena offset of the node's internal key (user key then trailer). */
  keyStart(node: number): number {
    return node + NODE_FIXED_BYTES + 4 * (this.#i32[node >> 2]! >>> 24);
  }

  /** End of the internal key (user key + trailer) = start of the value. */
  keyEnd(node: number): number {
    const w = this.#i32[node >> 2]!;
    return node + NODE_FIXED_BYTES + 4 * (w >>> 24) + (w & KEY_LENGTH_MASK);
  }

  /** Arena offset just past the node's value. */
  valueEnd(node: number): number {
    return this.keyEnd(node) + this.#i32[(node >> 2) + 1]!;
  }

  // ---- search ----

  /**
   * First node whose internal key is >= (userKey = src[start, end), sequence), i.e. the newest
   * entry of that user key with a sequence <= `sequence`, or a later key; 0 if none. When
   * `splice` is given, it receives the predecessor at every level below the max height.
   */
  seekUser(src: Uint8Array, start: number, end: number, sequence: number, splice?: Int32Array): number {
    const u8 = this.#u8;
    const i32 = this.#i32;
    const length = end - start;
    // Copy the key once into a 4-byte-aligned scratch so most of each comparison runs a
    // word at a time (node keys start 4-byte aligned in the arena).
    if (this.#scratch.length < length + 4) this.#growScratch(length + 4);
    const scratch = this.#scratch;
    const scratch32 = this.#scratch32;
    copyInto(scratch, 0, src, start, end);
    let x = HEAD_OFFSET;
    let level = this.#maxHeight - 1;
    // A node found not-before the key at one level is often the next candidate one level
    // down; remembering it saves that comparison.
    let notBefore = 0;
    for (;;) {
      const next = i32[(x >> 2) + 3 + level]!;
      let before = false;
      if (next !== 0 && next !== notBefore) {
        const w = i32[next >> 2]!;
        const ks = next + NODE_FIXED_BYTES + 4 * (w >>> 24);
        const nodeLength = (w & KEY_LENGTH_MASK) - TRAILER_BYTES;
        const n = nodeLength < length ? nodeLength : length;
        // Skip the leading words the two keys share, then compare bytewise.
        const kw = ks >> 2;
        const words = n >> 2;
        let i = 0;
        while (i < words && i32[kw + i] === scratch32[i]) i++;
        let c = 0;
        for (let b = i << 2; b < n; b++) {
          c = u8[ks + b]! - scratch[b]!;
          if (c !== 0) break;
        }
        if (c === 0) c = nodeLength - length;
        before = c < 0 || (c === 0 && readTrailerSequence(u8, ks + nodeLength) > sequence);
        if (!before) notBefore = next;
      }
      if (before) {
        x = next;
      } else {
        if (splice !== undefined) splice[level] = x;
        if (level === 0) return next;
        level--;
      }
    }
  }

  #growScratch(bytes: number): void {
    const buffer = new ArrayBuffer((bytes + 3) & ~3);
    this.#scratch = new Uint8Array(buffer);
    this.#scratch32 = new Int32Array(buffer);
  }

  /** First node whose internal key is >= target (a full internal key); 0 if none. */
  seek(target: Uint8Array): number {
    const u8 = this.#u8;
    const i32 = this.#i32;
    const tEnd = target.length;
    let x = HEAD_OFFSET;
    let level = this.#maxHeight - 1;
    for (;;) {
      const next = i32[(x >> 2) + 3 + level]!;
      if (next !== 0) {
        const w = i32[next >> 2]!;
        const ks = next + NODE_FIXED_BYTES + 4 * (w >>> 24);
        if (compareInternalRanges(u8, ks, ks + (w & KEY_LENGTH_MASK), target, 0, tEnd) < 0) {
          x = next;
          continue;
        }
      }
      if (level === 0) return next;
      level--;
    }
  }

  /** Last node whose internal key is <= target; 0 if none. */
  seekForPrev(target: Uint8Array): number {
    const n = this.seek(target);
    if (n === 0) return this.last();
    const ks = this.keyStart(n);
    if (compareInternalRanges(this.#u8, ks, this.keyEnd(n), target, 0, target.length) === 0) return n;
    return this.prevOf(n);
  }

  // ---- insert ----

  /** Whether a node of this size fits (worst-case height). */
  hasRoomFor(userKeyLength: number, valueLength: number): boolean {
    return this.#used + nodeBytesAtMost(userKeyLength, valueLength) <= this.#buffer.byteLength;
  }

  /**
   * Inserts (key[ks, ke), sequence) -> value[vs, ve). The trailer (sequence, kind) is written
   * after the key. The caller guarantees room and that the pair is new. Returns the new node.
   */
  insert(
    sequence: number,
    kind: EntryKind,
    keySrc: Uint8Array,
    ks: number,
    ke: number,
    valueSrc: Uint8Array,
    vs: number,
    ve: number,
  ): number {
    invariant(!this.#sealed, 'insert into a sealed or read-only memtable');
    const keyLength = ke - ks;
    const valueLength = ve - vs;
    invariant(
      this.hasRoomFor(keyLength, valueLength),
      'insert without room: the caller must check hasRoomFor',
    );
    const splice = this.#splice;
    this.seekUser(keySrc, ks, ke, sequence, splice);

    const height = this.#randomHeight();
    if (height > this.#maxHeight) {
      for (let l = this.#maxHeight; l < height; l++) splice[l] = HEAD_OFFSET;
      this.#maxHeight = height;
    }
    const internalLength = keyLength + TRAILER_BYTES;
    const node = this.#used;
    const keyAt = node + NODE_FIXED_BYTES + 4 * height;
    this.#used = (keyAt + internalLength + valueLength + 3) & ~3;

    const u8 = this.#u8;
    const i32 = this.#i32;
    const w = node >> 2;
    i32[w] = internalLength | (height << 24);
    i32[w + 1] = valueLength;
    copyInto(u8, keyAt, keySrc, ks, ke);
    writeTrailer(u8, keyAt + keyLength, sequence, kind);
    copyInto(u8, keyAt + internalLength, valueSrc, vs, ve);

    for (let l = 0; l < height; l++) {
      const p = (splice[l]! >> 2) + 3 + l;
      i32[w + 3 + l] = i32[p]!;
      i32[p] = node;
    }
    const pred = splice[0]!;
    i32[w + 2] = pred;
    const succ = i32[w + 3]!;
    if (succ === 0) i32[W_TAIL] = node;
    else i32[(succ >> 2) + 2] = node;

    this.#count++;
    this.#writeHeader();
    return node;
  }

  #randomHeight(): number {
    let h = 1;
    let x = this.#rng;
    for (;;) {
      // xorshift32: deterministic per seed, so tests and benchmarks are reproducible.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      if (h >= MAX_HEIGHT || (x & BRANCHING_MASK) !== 0) break;
      h++;
    }
    this.#rng = x;
    return h;
  }
}

/** Copies src[start, end) to dst at `at`; a byte loop beats subarray+set for short keys. */
function copyInto(dst: Uint8Array, at: number, src: Uint8Array, start: number, end: number): void {
  if (end - start > 32) {
    dst.set(src.subarray(start, end), at);
    return;
  }
  for (let i = start; i < end; i++) dst[at++] = src[i]!;
}
