/**
 * A memtable's entries, appended in arrival order to one SharedArrayBuffer (the arena), so a
 * flush worker can read a sealed memtable without copying or deserializing it.
 *
 * Why append-only instead of a skiplist: a skiplist keeps entries sorted as they arrive, and
 * with random keys each insert's search visits nodes spread over the whole arena (one cache
 * miss each, ~4 per level on the lowest levels of a 64 MiB arena). Profiles of fillrandom put
 * two thirds of the main thread's time there. Appending costs a copy; order is established
 * only when someone needs it — the flush worker, off the main thread, or an iterator (see
 * sorted-runs.ts) — and point reads go through the hash index (key-index.ts). RocksDB's
 * vector memtable makes the same trade.
 *
 * Contract:
 * - One writer (the main thread) appends; readers on the same thread interleave with it.
 *   After `seal()`, other threads may read: the seal flag is stored with Atomics, which
 *   orders every earlier arena write before it.
 * - Entries are never moved or freed: a node offset stays valid for the arena's life.
 * - The caller checks `hasRoomFor` before `append`; the bytes it counts are exact.
 *
 * Arena layout (byte offsets into the arena, stored as i32; offset 0 means "none"):
 *
 *   header (32 bytes, i32 words):
 *     0 magic "SFMT"   1 layout version (2)   2 capacity   3 used bytes (bump pointer)
 *     4 entry count    5 sealed flag (Atomics)   6, 7 reserved (0)
 *   nodes from offset 32 upward, each 4-byte aligned:
 *     word 0  internal-key length      word 1  value length
 *     word 2  the next-older node of the same user key (0 = none; set by the writer's
 *             hash index, meaningless in a read-only view)
 *     then the user key and its 8-byte trailer (contiguous: one subarray), then the value
 *   the slot array at the end, growing downward: slot i (arrival order) is the i32 at
 *   capacity - 4 * (i + 1) and holds the offset of the i-th node appended
 *
 * Layout version 1 was a skiplist; arenas never outlive the process, so nothing on disk
 * depends on this layout.
 */
import { invariant } from '../util/invariant.js';
import { takeArena } from './arena-pool.js';
import { TRAILER_BYTES, writeTrailer } from '../version/internal-key.js';
import type { EntryKind } from '../version/internal-key.js';

const MAGIC = 0x544d4653; // "SFMT" little-endian
const LAYOUT_VERSION = 2;

const W_MAGIC = 0;
const W_VERSION = 1;
const W_CAPACITY = 2;
const W_USED = 3;
const W_COUNT = 4;
const W_SEALED = 5;
const ARENA_HEADER_BYTES = 32;

/** Node words before the key: key length, value length, older version. */
const NODE_FIXED_BYTES = 12;
/** Bytes of one slot in the slot array. */
const SLOT_BYTES = 4;

/** Arena bytes taken before the first entry. */
export const ARENA_OVERHEAD_BYTES = ARENA_HEADER_BYTES;
/** Largest arena: offsets are i32. */
export const MAX_ARENA_BYTES = 0x7fff_fffc;

/** Exact arena bytes one entry takes: its node (aligned) and its slot. */
export function entryBytes(userKeyLength: number, valueLength: number): number {
  return ((NODE_FIXED_BYTES + userKeyLength + TRAILER_BYTES + valueLength + 3) & ~3) + SLOT_BYTES;
}

/** The arena. Lookups, ordering and room policy live in memtable.ts and sorted-runs.ts. */
export class EntryArena {
  readonly #buffer: SharedArrayBuffer;
  readonly #u8: Uint8Array;
  readonly #i32: Int32Array;
  readonly #readOnly: boolean;
  #sealed: boolean;
  /** Writer-side copies of header words (the arena copy is for other readers). */
  #used: number;
  #count: number;
  /** Word index of slot 0 (the last word of the arena); slot i is at #slot0 - i. */
  readonly #slot0: number;

  private constructor(buffer: SharedArrayBuffer, readOnly: boolean) {
    this.#buffer = buffer;
    this.#u8 = new Uint8Array(buffer);
    this.#i32 = new Int32Array(buffer);
    this.#readOnly = readOnly;
    this.#sealed = Atomics.load(this.#i32, W_SEALED) === 1;
    this.#used = this.#i32[W_USED]!;
    this.#count = this.#i32[W_COUNT]!;
    this.#slot0 = (buffer.byteLength >> 2) - 1;
  }

  /** A new, empty arena of `capacityBytes` (rounded up to a multiple of 4). */
  static create(capacityBytes: number): EntryArena {
    invariant(
      Number.isInteger(capacityBytes) &&
        capacityBytes >= ARENA_OVERHEAD_BYTES &&
        capacityBytes <= MAX_ARENA_BYTES,
      () => `memtable arena of ${capacityBytes} bytes is outside ${ARENA_OVERHEAD_BYTES}..${MAX_ARENA_BYTES}`,
    );
    const buffer = takeArena((capacityBytes + 3) & ~3);
    const i32 = new Int32Array(buffer);
    // A recycled arena holds old nodes; only the header must start zeroed (every append
    // writes all the words of its node and its slot).
    i32.fill(0, 0, ARENA_HEADER_BYTES >> 2);
    i32[W_MAGIC] = MAGIC;
    i32[W_VERSION] = LAYOUT_VERSION;
    i32[W_CAPACITY] = buffer.byteLength;
    i32[W_USED] = ARENA_HEADER_BYTES;
    return new EntryArena(buffer, false);
  }

  /** A read-only view of a sealed arena (typically in a worker). */
  static open(buffer: SharedArrayBuffer): EntryArena {
    const i32 = new Int32Array(buffer);
    invariant(
      i32.length > W_SEALED && i32[W_MAGIC] === MAGIC && i32[W_VERSION] === LAYOUT_VERSION,
      'buffer is not a statefn memtable arena',
    );
    invariant(
      Atomics.load(i32, W_SEALED) === 1,
      'a memtable arena must be sealed before another view opens it',
    );
    return new EntryArena(buffer, true);
  }

  get buffer(): SharedArrayBuffer {
    return this.#buffer;
  }

  /** The arena as bytes; node keys and values are ranges of it. */
  get bytes(): Uint8Array {
    return this.#u8;
  }

  /** The arena as i32 words (node headers). */
  get words(): Int32Array {
    return this.#i32;
  }

  get capacityBytes(): number {
    return this.#buffer.byteLength;
  }

  /** Bytes in use: header, nodes and slots. */
  get usedBytes(): number {
    return this.#used + SLOT_BYTES * this.#count;
  }

  /** Number of entries. */
  get count(): number {
    return this.#count;
  }

  get readOnly(): boolean {
    return this.#readOnly;
  }

  get sealed(): boolean {
    return this.#sealed;
  }

  /** Publishes the final header and forbids further appends. Idempotent. */
  seal(): void {
    if (this.#readOnly || this.#sealed) return;
    this.#i32[W_USED] = this.#used;
    this.#i32[W_COUNT] = this.#count;
    this.#sealed = true;
    Atomics.store(this.#i32, W_SEALED, 1);
  }

  // ---- node accessors (offset -> field) ----

  /** Offset of the i-th node appended (0 <= i < count). */
  nodeAt(i: number): number {
    return this.#i32[this.#slot0 - i]!;
  }

  /** Arena offset of the node's internal key (user key then trailer). */
  keyStart(node: number): number {
    return node + NODE_FIXED_BYTES;
  }

  /** End of the internal key = start of the value. */
  keyEnd(node: number): number {
    return node + NODE_FIXED_BYTES + this.#i32[node >> 2]!;
  }

  /** Arena offset just past the node's value. */
  valueEnd(node: number): number {
    const w = node >> 2;
    return node + NODE_FIXED_BYTES + this.#i32[w]! + this.#i32[w + 1]!;
  }

  /** The next-older node of the same user key, 0 if none (writer side only). */
  olderOf(node: number): number {
    return this.#i32[(node >> 2) + 2]!;
  }

  /** Records `older` as the next-older version of `node`'s user key. */
  setOlder(node: number, older: number): void {
    this.#i32[(node >> 2) + 2] = older;
  }

  // ---- append ----

  /** Whether an entry with these lengths fits. */
  hasRoomFor(userKeyLength: number, valueLength: number): boolean {
    return this.usedBytes + entryBytes(userKeyLength, valueLength) <= this.#buffer.byteLength;
  }

  /**
   * Appends (key[ks, ke), sequence, kind) -> value[vs, ve) and returns the new node. The
   * caller guarantees room.
   */
  append(
    sequence: number,
    kind: EntryKind,
    keySrc: Uint8Array,
    ks: number,
    ke: number,
    valueSrc: Uint8Array,
    vs: number,
    ve: number,
  ): number {
    invariant(!this.#sealed, 'append to a sealed or read-only memtable');
    const keyLength = ke - ks;
    const valueLength = ve - vs;
    invariant(
      this.hasRoomFor(keyLength, valueLength),
      'append without room: the caller must check hasRoomFor',
    );
    const internalLength = keyLength + TRAILER_BYTES;
    const node = this.#used;
    const keyAt = node + NODE_FIXED_BYTES;
    this.#used = (keyAt + internalLength + valueLength + 3) & ~3;

    const u8 = this.#u8;
    const i32 = this.#i32;
    const w = node >> 2;
    i32[w] = internalLength;
    i32[w + 1] = valueLength;
    i32[w + 2] = 0;
    copyInto(u8, keyAt, keySrc, ks, ke);
    writeTrailer(u8, keyAt + keyLength, sequence, kind);
    copyInto(u8, keyAt + internalLength, valueSrc, vs, ve);
    i32[this.#slot0 - this.#count] = node;
    this.#count++;
    // Other readers look at the header only after seal(); keeping it current costs two
    // stores and lets a debugger read the arena.
    i32[W_USED] = this.#used;
    i32[W_COUNT] = this.#count;
    return node;
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
