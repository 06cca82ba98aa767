/**
 * The in-memory write buffer: recent writes, sorted by internal key, in an arena skiplist
 * (skiplist.ts) held in one SharedArrayBuffer so a worker can build an SST from it after it
 * is sealed.
 *
 * Contract:
 * - Single writer. The engine checks `hasRoomFor` before `add`; `hasRoomFor` assumes the
 *   tallest node, so once it says yes the add cannot overflow the arena.
 * - `get(userKey, sequence)` answers from the newest entry of `userKey` whose sequence is
 *   <= `sequence`: a copy of the value for a put, null for a delete, undefined when the
 *   memtable holds no such entry (look further down the LSM tree).
 * - `seal()` freezes the memtable; `MemTable.fromShared` then opens a read-only view of the
 *   same arena in any thread.
 */
import { invariant } from '../util/invariant.js';
import { copyValue } from '../util/value-slab.js';
import { EntryKind, readTrailerSequence, TRAILER_BYTES } from '../version/internal-key.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { MemTableIterator } from './memtable-iterator.js';
import { recycleArena } from './arena-pool.js';
import { hashUserKey, KeyIndex } from './key-index.js';
import { checkSkipList } from './skiplist-check.js';
import { ARENA_OVERHEAD_BYTES, MAX_ARENA_BYTES, nodeBytesAtMost, SkipList } from './skiplist.js';

/** Largest memtable arena (offsets inside it are i32). */
export const MAX_MEMTABLE_BYTES = MAX_ARENA_BYTES;

/** The engine's write buffer; see the contract above. */
export class MemTable {
  readonly #list: SkipList;
  /** Point-read index of a writable memtable (key-index.ts); undefined in a read-only view. */
  readonly #index: KeyIndex | undefined;
  /** The owner's reference plus one per open iterator; at 0 the arena is recycled. */
  #refs = 1;

  /**
   * Allocates an arena of `capacityBytes` (header and head node included; see `capacityFor`).
   * `seed` drives node heights; the default makes runs reproducible.
   */
  constructor(capacityBytes: number, seed?: number);
  /** @internal Wraps an existing skiplist (used by fromShared). */
  constructor(list: SkipList);
  constructor(capacityOrList: number | SkipList, seed?: number) {
    this.#list = typeof capacityOrList === 'number' ? SkipList.create(capacityOrList, seed) : capacityOrList;
    this.#index = this.#list.readOnly ? undefined : new KeyIndex(this.#list);
  }

  /** Arena bytes one entry takes at most (tallest node height, alignment included). */
  static requiredBytes(keyLength: number, valueLength: number): number {
    return nodeBytesAtMost(keyLength, valueLength);
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
    return new MemTable(SkipList.open(buffer));
  }

  /** Whether `add` of an entry with these lengths is guaranteed to fit. */
  hasRoomFor(keyLength: number, valueLength: number): boolean {
    return this.#list.hasRoomFor(keyLength, valueLength);
  }

  /** Inserts one entry. For a delete, pass an empty value. */
  add(sequence: number, kind: EntryKind, userKey: Uint8Array, value: Uint8Array): void {
    const node = this.#list.insert(sequence, kind, userKey, 0, userKey.length, value, 0, value.length);
    this.#index?.insert(hashUserKey(userKey, 0, userKey.length), node, userKey, 0, userKey.length);
  }

  /**
   * Inserts one entry whose key is src[keyStart, keyEnd) and value src[valueStart, valueEnd):
   * the batch-apply path, which reads both straight out of an encoded batch without views.
   */
  addRange(
    sequence: number,
    kind: EntryKind,
    src: Uint8Array,
    keyStart: number,
    keyEnd: number,
    valueStart: number,
    valueEnd: number,
  ): void {
    const node = this.#list.insert(sequence, kind, src, keyStart, keyEnd, src, valueStart, valueEnd);
    this.#index?.insert(hashUserKey(src, keyStart, keyEnd), node, src, keyStart, keyEnd);
  }

  /**
   * The newest entry of `userKey` with sequence <= `sequence`: a copy of its value for a put,
   * null for a delete, undefined if the memtable has none.
   */
  get(userKey: Uint8Array, sequence: number): Uint8Array | null | undefined {
    const list = this.#list;
    const arena = list.bytes;
    const index = this.#index;
    if (index !== undefined) {
      // The index names the newest entry of the key; only an older snapshot needs the list.
      const newest = index.find(hashUserKey(userKey, 0, userKey.length), userKey, 0, userKey.length);
      if (newest === 0) return undefined;
      const ke = list.keyEnd(newest);
      if (readTrailerSequence(arena, ke - TRAILER_BYTES) <= sequence) {
        if (arena[ke - 1] === EntryKind.Delete) return null;
        return copyValue(arena, ke, list.valueEnd(newest));
      }
    }
    const node = list.seekUser(userKey, 0, userKey.length, sequence);
    if (node === 0) return undefined;
    const ks = list.keyStart(node);
    const ke = list.keyEnd(node);
    const userLength = userKey.length;
    if (ke - ks - TRAILER_BYTES !== userLength) return undefined;
    for (let i = 0; i < userLength; i++) if (arena[ks + i] !== userKey[i]) return undefined;
    if (arena[ke - 1] === EntryKind.Delete) return null;
    // The copy lands in an ordinary ArrayBuffer, never in the shared arena.
    return copyValue(arena, ke, list.valueEnd(node));
  }

  /** A cursor over internal keys (user key + trailer); key() and value() are views of the arena. */
  iterator(): InternalIterator {
    this.#refs++;
    return new MemTableIterator(this.#list, () => this.#unref());
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
    if (--this.#refs === 0 && !this.#list.readOnly) recycleArena(this.#list.buffer);
  }

  /** Arena bytes in use (header included); what the engine compares with the write buffer size. */
  get approximateBytes(): number {
    return this.#list.usedBytes;
  }

  get capacityBytes(): number {
    return this.#list.capacityBytes;
  }

  get entryCount(): number {
    return this.#list.count;
  }

  /** The arena, to post to a worker after `seal()`. */
  get shared(): SharedArrayBuffer {
    return this.#list.buffer;
  }

  get sealed(): boolean {
    return this.#list.sealed;
  }

  /** Writes the final length and count into the arena header and forbids further adds. */
  seal(): void {
    this.#list.seal();
  }

  /** Test helper: throws unless the skiplist is well-formed. */
  checkInvariants(): void {
    checkSkipList(this.#list);
  }
}
