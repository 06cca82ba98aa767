/**
 * A hash index from user key to the newest node of that key, beside a writable memtable, so
 * a point read costs one or two cache misses instead of a search.
 *
 * Why: the write buffer is large (the benchmarks use 64 MiB, ~450k entries), its entries are
 * unsorted until someone needs them in order (entry-arena.ts), and a get probes the active
 * memtable and every sealed one before the tables.
 *
 * Contract:
 * - Main-thread only, never shared: the arena stays the single source of truth and a worker
 *   reading a sealed arena does without the index (it only iterates).
 * - `insert` is called for every node the arena receives, in sequence order. It keeps, per
 *   user key, the newest node, so `find` answers "the newest entry of this key, if any", and
 *   returns the node it replaced, which the memtable chains as the next-older version for
 *   readers at older snapshots.
 *
 * Layout: open addressing with linear probing over one Int32Array of (hash, node) pairs, so
 * a probe reads one cache line; node 0 marks an empty slot (no node lives at offset 0). The
 * table doubles at half load, rehashing from the stored hashes without touching the arena.
 * Memory: 8 bytes per slot, 16–32 bytes per entry; nodes of the 100-byte values in the
 * benchmarks take ~150 arena bytes each.
 */
import { TRAILER_BYTES } from '../version/internal-key.js';

const MIN_SLOTS = 1024;
/**
 * Arena bytes per slot of the initial table. Entries of 16-byte keys and 100-byte values
 * take ~150 arena bytes, so a full 64 MiB memtable holds ~450k of them: one slot per 64
 * bytes (8 MiB of slots for 64 MiB) holds them below half load without ever rehashing,
 * which profiles of fills showed at a few percent of their time.
 */
const ARENA_BYTES_PER_SLOT = 64;
/** The initial table is at most this many slots (8 MiB); a larger memtable grows it as needed. */
const MAX_INITIAL_SLOTS = 1 << 20;

/** 32-bit hash of src[start, end): FNV-1a over the bytes, then murmur3's finalizer. */
export function hashUserKey(src: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Reads node fields from the arena; EntryArena implements it. */
export interface NodeKeys {
  readonly bytes: Uint8Array;
  keyStart(node: number): number;
  keyEnd(node: number): number;
}

/** See the contract above. */
export class KeyIndex {
  readonly #nodes: NodeKeys;
  /** Pairs (hash, node offset); node 0 = empty. */
  #slots: Int32Array;
  #mask: number;
  #count = 0;

  /** An index for the nodes of `nodes`, sized for its arena. */
  constructor(nodes: NodeKeys) {
    this.#nodes = nodes;
    let size = MIN_SLOTS;
    while (size * ARENA_BYTES_PER_SLOT < nodes.bytes.length && size < MAX_INITIAL_SLOTS) size *= 2;
    this.#slots = new Int32Array(2 * size);
    this.#mask = size - 1;
  }

  /**
   * Records `node`, whose user key is src[start, end) and hash `hash`, as the newest entry of
   * its key, and returns the node it replaces (0 for a new key). Entries arrive in sequence
   * order (the memtable checks), so the newest is always the last one inserted.
   */
  insert(hash: number, node: number, src: Uint8Array, start: number, end: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = 2 * i;
      const existing = slots[at + 1]!;
      if (existing === 0) {
        slots[at] = hash;
        slots[at + 1] = node;
        if (++this.#count * 2 > mask + 1) this.#grow();
        return 0;
      }
      if (slots[at] === hash && this.#sameKey(existing, src, start, end)) {
        slots[at + 1] = node;
        return existing;
      }
    }
  }

  /** The node of the newest entry whose user key is src[start, end), or 0 if there is none. */
  find(hash: number, src: Uint8Array, start: number, end: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = 2 * i;
      const node = slots[at + 1]!;
      if (node === 0) return 0;
      if (slots[at] === hash && this.#sameKey(node, src, start, end)) return node;
    }
  }

  /**
   * The node in the home slot of `hash` when that slot holds `hash` (its key may still
   * differ), else 0. It probes no further: this is for `MemTable.warm`, which only wants the
   * likely lines in cache, not an answer.
   */
  homeNode(hash: number): number {
    const at = 2 * (hash & this.#mask);
    const slots = this.#slots;
    return slots[at] === hash ? slots[at + 1]! : 0;
  }

  #sameKey(node: number, src: Uint8Array, start: number, end: number): boolean {
    const nodes = this.#nodes;
    const arena = nodes.bytes;
    const ks = nodes.keyStart(node);
    const length = end - start;
    if (nodes.keyEnd(node) - ks - TRAILER_BYTES !== length) return false;
    for (let i = 0; i < length; i++) if (arena[ks + i] !== src[start + i]) return false;
    return true;
  }

  #grow(): void {
    const old = this.#slots;
    const size = 2 * (this.#mask + 1);
    const slots = new Int32Array(2 * size);
    const mask = size - 1;
    for (let at = 0; at < old.length; at += 2) {
      const node = old[at + 1]!;
      if (node === 0) continue;
      const hash = old[at]!;
      let i = hash & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = hash;
      slots[2 * i + 1] = node;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}
