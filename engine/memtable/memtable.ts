/**
 * The in-memory write buffer: recent writes, appended to an arena held in one
 * SharedArrayBuffer (entry-arena.ts) so a worker can build an SST from it after it is sealed.
 * A hash index answers point reads (key-index.ts); sorted runs, made when an iterator asks,
 * give order (sorted-runs.ts).
 *
 * Contract:
 * - Single writer, adding entries in increasing sequence order. The engine checks
 *   `hasRoomFor` before `add`; the room it counts is exact.
 * - `get(userKey, sequence)` answers from the newest entry of `userKey` whose sequence is
 *   <= `sequence`: a copy of the value for a put, null for a delete, undefined when the
 *   memtable holds no such entry (look further down the LSM tree).
 * - Iterators see the entries added before they were made.
 * - `seal()` freezes the memtable; `MemTable.fromShared` then opens a read-only view of the
 *   same arena in any thread.
 */
import { invariant } from '../util/invariant.js';
import { takePointValue } from '../util/value-slab.js';
import { EntryKind, readTrailerSequence, TRAILER_BYTES } from '../version/internal-key.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { MergingIterator } from '../iterator/merging-iterator.js';
import { MemTableIterator } from './memtable-iterator.js';
import { recycleArena } from './arena-pool.js';
import { hashUserKey, KeyIndex } from './key-index.js';
import { checkArena } from './arena-check.js';
import { ARENA_OVERHEAD_BYTES, EntryArena, entryBytes, MAX_ARENA_BYTES } from './entry-arena.js';
import { findInRun } from './sort-entries.js';
import { SortedRuns } from './sorted-runs.js';

/** Largest memtable arena (offsets inside it are i32). */
export const MAX_MEMTABLE_BYTES = MAX_ARENA_BYTES;

/** The engine's write buffer; see the contract above. */
export class MemTable {
  readonly #arena: EntryArena;
  /** Point-read index of a writable memtable (key-index.ts); undefined in a read-only view. */
  readonly #index: KeyIndex | undefined;
  readonly #runs: SortedRuns;
  #lastSequence = -1;
  /** The owner's reference plus one per open iterator; at 0 the arena is recycled. */
  #refs = 1;

  /** Allocates an arena of `capacityBytes` (header included; see `capacityFor`). */
  constructor(capacityBytes: number);
  /** @internal Wraps an existing arena (used by fromShared). */
  constructor(arena: EntryArena);
  constructor(capacityOrArena: number | EntryArena) {
    this.#arena = typeof capacityOrArena === 'number' ? EntryArena.create(capacityOrArena) : capacityOrArena;
    this.#index = this.#arena.readOnly ? undefined : new KeyIndex(this.#arena);
    this.#runs = new SortedRuns(this.#arena);
  }

  /** Arena bytes one entry takes (exactly: node, alignment and slot). */
  static requiredBytes(keyLength: number, valueLength: number): number {
    return entryBytes(keyLength, valueLength);
  }

  /**
   * Arena capacity that holds entries whose `requiredBytes` sum to `entryBytes`: for sizing
   * a dedicated memtable for a batch larger than the write buffer.
   */
  static capacityFor(entryBytes: number): number {
    const bytes = ARENA_OVERHEAD_BYTES + entryBytes;
    invariant(
      bytes <= MAX_MEMTABLE_BYTES,
      () => `a memtable of ${bytes} bytes exceeds ${MAX_MEMTABLE_BYTES}`,
    );
    return bytes;
  }

  /** A read-only view of a sealed memtable's arena, e.g. in a flush worker. `add` throws on it. */
  static fromShared(buffer: SharedArrayBuffer): MemTable {
    return new MemTable(EntryArena.open(buffer));
  }

  /** Whether `add` of an entry with these lengths fits. */
  hasRoomFor(keyLength: number, valueLength: number): boolean {
    return this.#arena.hasRoomFor(keyLength, valueLength);
  }

  /** Adds one entry. For a delete, pass an empty value. */
  add(sequence: number, kind: EntryKind, userKey: Uint8Array, value: Uint8Array): void {
    this.#insert(
      sequence,
      kind,
      userKey,
      0,
      userKey.length,
      value,
      0,
      value.length,
      hashUserKey(userKey, 0, userKey.length),
    );
  }

  /**
   * Adds one entry whose key is src[keyStart, keyEnd) and value src[valueStart, valueEnd):
   * the batch-apply path, which reads both straight out of an encoded batch without views.
   * `hash` is hashUserKey of the key, for a caller that computed it already.
   */
  addRange(
    sequence: number,
    kind: EntryKind,
    src: Uint8Array,
    keyStart: number,
    keyEnd: number,
    valueStart: number,
    valueEnd: number,
    hash: number = hashUserKey(src, keyStart, keyEnd),
  ): void {
    this.#insert(sequence, kind, src, keyStart, keyEnd, src, valueStart, valueEnd, hash);
  }

  #insert(
    sequence: number,
    kind: EntryKind,
    keySrc: Uint8Array,
    keyStart: number,
    keyEnd: number,
    valueSrc: Uint8Array,
    valueStart: number,
    valueEnd: number,
    hash: number,
  ): void {
    invariant(
      sequence > this.#lastSequence,
      () => `memtable add at sequence ${sequence} after ${this.#lastSequence}: sequences must increase`,
    );
    const arena = this.#arena;
    const node = arena.append(sequence, kind, keySrc, keyStart, keyEnd, valueSrc, valueStart, valueEnd);
    this.#lastSequence = sequence;
    const index = this.#index;
    if (index !== undefined) {
      const older = index.insert(hash, node, keySrc, keyStart, keyEnd);
      if (older !== 0) arena.setOlder(node, older);
    }
  }

  /**
   * The newest entry of `userKey` with sequence <= `sequence`: its value for a put (a copy,
   * or VALUE_TAKEN during Engine.getInto: see takePointValue), null for a delete, undefined
   * if the memtable has none. `hash` is hashUserKey(userKey), for a caller that probes
   * several memtables.
   */
  get(
    userKey: Uint8Array,
    sequence: number,
    hash: number = hashUserKey(userKey, 0, userKey.length),
  ): Uint8Array | null | undefined {
    const arena = this.#arena;
    if (arena.count === 0) return undefined;
    const bytes = arena.bytes;
    const index = this.#index;
    let node = 0;
    if (index !== undefined) {
      // The index names the newest entry of the key; older ones are chained behind it.
      node = index.find(hash, userKey, 0, userKey.length);
      while (node !== 0 && readTrailerSequence(bytes, arena.keyEnd(node) - TRAILER_BYTES) > sequence) {
        node = arena.olderOf(node);
      }
    } else {
      // A read-only view has no index: search the sorted runs, newest match wins.
      let best = -1;
      for (const run of this.#runs.current()) {
        const hit = findInRun(arena, run, userKey, sequence);
        if (hit === 0) continue;
        const seq = readTrailerSequence(bytes, arena.keyEnd(hit) - TRAILER_BYTES);
        if (seq > best) {
          best = seq;
          node = hit;
        }
      }
    }
    if (node === 0) return undefined;
    const ke = arena.keyEnd(node);
    if (bytes[ke - 1] === EntryKind.Delete) return null;
    // The copy lands in an ordinary ArrayBuffer (or the getInto target), never in the shared arena.
    return takePointValue(bytes, ke, arena.valueEnd(node));
  }

  /**
   * Reads, and discards, the memory a `get` of the key with this hashUserKey would read
   * first: the key's home slot in the hash index and, when the slot holds the same hash, the
   * node it names. Returns a number the caller must not interpret (it only keeps the reads
   * from being optimized away).
   *
   * Why: a get probes the memtables one after the other, and in a large memtable each probe
   * is a cache and TLB miss that waits for the previous one. Warming every memtable first
   * issues those independent reads back to back, so the processor overlaps their misses;
   * the gets that follow then hit the cache. JavaScript has no prefetch instruction, so a
   * plain read stands in for one.
   */
  warm(hash: number): number {
    const index = this.#index;
    // An empty memtable's index is still megabytes of slots: touching one is a cache miss.
    if (index === undefined || this.#arena.count === 0) return 0;
    const node = index.homeNode(hash);
    if (node === 0) return 0;
    const arena = this.#arena;
    // The node's header and key, then the end of its value (the copy reads it).
    return arena.keyEnd(node) ^ arena.bytes[arena.valueEnd(node) - 1]!;
  }

  /**
   * One cursor over internal keys (user key + trailer) for every entry added so far; key()
   * is a copy the cursor reuses, value() a view of the arena.
   */
  iterator(): InternalIterator {
    return this.#merged(this.iterators());
  }

  /**
   * As `iterator()`, for one pass from the first entry to the last (a flush). It reads the
   * entries in place and never builds the runs' key copies (run-keys.ts): a copy costs a
   * pass over the nodes and pays back only on later reads, which a single pass does not make.
   * Profiles of flushes put the copy at a tenth of the flush worker's time.
   */
  singlePassIterator(): InternalIterator {
    return this.#merged(this.#runs.current().map((run) => this.#runIterator(run, false)));
  }

  /** One cursor over the runs' cursors `parts`. */
  #merged(parts: InternalIterator[]): InternalIterator {
    if (parts.length === 1) return parts[0]!;
    if (parts.length === 0) return this.#runIterator(new Int32Array(0));
    return new MergingIterator(parts);
  }

  /**
   * The same entries as `iterator()`, as one cursor per sorted run, for a caller that merges
   * them with other sources anyway (the engine): one merge instead of two nested ones.
   */
  iterators(): InternalIterator[] {
    return this.#runs.current().map((run) => this.#runIterator(run));
  }

  #runIterator(run: Int32Array, copyKeys = true): InternalIterator {
    this.#refs++;
    return new MemTableIterator(this.#arena, run, () => this.#unref(), copyKeys);
  }

  /**
   * The owner is done with this memtable (the engine, once it is flushed). Its arena is
   * recycled for a later memtable when every iterator over it has been closed too; the
   * memtable must not be used afterwards.
   */
  release(): void {
    this.#unref();
  }

  #unref(): void {
    invariant(this.#refs > 0, 'MemTable released more often than referenced');
    if (--this.#refs === 0 && !this.#arena.readOnly) recycleArena(this.#arena.buffer);
  }

  /** Arena bytes in use (header and slots included); what the engine compares with the write buffer size. */
  get approximateBytes(): number {
    return this.#arena.usedBytes;
  }

  get capacityBytes(): number {
    return this.#arena.capacityBytes;
  }

  get entryCount(): number {
    return this.#arena.count;
  }

  /** The arena, to post to a worker after `seal()`. */
  get shared(): SharedArrayBuffer {
    return this.#arena.buffer;
  }

  get sealed(): boolean {
    return this.#arena.sealed;
  }

  /** Writes the final length and count into the arena header and forbids further adds. */
  seal(): void {
    this.#arena.seal();
  }

  /** Test helper: throws unless the arena, the sorted runs and the version chains agree. */
  checkInvariants(): void {
    checkArena(this.#arena, this.#runs.current(), this.#index !== undefined);
  }
}
