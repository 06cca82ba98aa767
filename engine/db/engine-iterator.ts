/**
 * The user-facing iterator: turns the merged stream of internal entries (every version of
 * every key, tombstones included) into the key/value pairs visible at one sequence number,
 * within bounds, in either direction.
 *
 * Forward, per user key, the first entry with sequence <= S is the visible one (internal
 * order puts newer versions first); a tombstone hides the key. Backward, a key's entries
 * arrive oldest first, so the iterator walks all of them and keeps the last one visible,
 * stopping once it reaches an earlier user key while holding a live value (LevelDB's DBIter).
 *
 * Two ways to read: `next()` (and for-of) yields fresh copies; `read(count, visit)` hands the
 * visitor views of the current entry without copying or allocating per entry (as LevelDB's
 * and RocksDB's native iterators do). To serve both, moving to an entry leaves it in
 * iterator-owned state: the user key in a buffer reused from entry to entry, the value as a
 * view into the source, which stays valid while the source is open even after it moves
 * (internal-iterator.ts). Forward, the source steps past the entry only on the next move.
 *
 * The iterator pins the version it reads, so compaction cannot delete files under it;
 * `close()` (or `break` in a for-of, which calls `return()`) unpins it. Reaching the end
 * does not close it: `seek` may reposition it. Dropped iterators are unpinned at GC.
 */
import { ClosedError, InvalidArgumentError } from '../errors.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { compareBytes, compareRanges, toBytes } from '../util/bytes.js';
import { copyValue } from '../util/value-slab.js';
import {
  EntryKind,
  makeInternalKey,
  MAX_SEQUENCE,
  readTrailerKind,
  readTrailerSequence,
  TRAILER_BYTES,
} from '../version/internal-key.js';
import type { Snapshot } from './snapshot.js';

/** Options of `Engine.iterator`. Bounds are user keys (Uint8Array or UTF-8 string). */
export interface IteratorOptions {
  /** Only keys greater than this. */
  gt?: Uint8Array | string;
  /** Only keys greater than or equal to this. */
  gte?: Uint8Array | string;
  /** Only keys less than this. */
  lt?: Uint8Array | string;
  /** Only keys less than or equal to this. */
  lte?: Uint8Array | string;
  /** Descending key order. Default false. */
  reverse?: boolean;
  /** At most this many entries; -1 or undefined for no limit. */
  limit?: number;
  /** Read at this snapshot instead of the latest state. */
  snapshot?: Snapshot;
}

/** A key/value pair yielded by an iterator. Both arrays are fresh copies owned by the caller. */
export type Entry = [key: Uint8Array, value: Uint8Array];

/**
 * Receives each entry `EngineIterator.read` visits. `key` and `value` are views into memory
 * the engine owns (its key buffer, a cached block, a memtable): valid only until `visit`
 * returns, and never to be modified. Copy what you keep (`key.slice()`).
 */
export type EntryVisitor = (key: Uint8Array, value: Uint8Array) => void;

interface Bounds {
  lower: Uint8Array | undefined;
  lowerInclusive: boolean;
  upper: Uint8Array | undefined;
  upperInclusive: boolean;
}

const API = 'Engine.iterator';

export function parseIteratorOptions(options: IteratorOptions | undefined): {
  bounds: Bounds;
  reverse: boolean;
  limit: number;
} {
  const o = options ?? {};
  if (typeof o !== 'object') throw new InvalidArgumentError(`${API}: options must be an object`);
  if (o.gt !== undefined && o.gte !== undefined)
    throw new InvalidArgumentError(`${API}: give gt or gte, not both`);
  if (o.lt !== undefined && o.lte !== undefined)
    throw new InvalidArgumentError(`${API}: give lt or lte, not both`);
  const limit = o.limit ?? -1;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < -1) {
    throw new InvalidArgumentError(
      `${API}: limit must be a non-negative integer or -1, got ${String(limit)}`,
    );
  }
  if (o.reverse !== undefined && typeof o.reverse !== 'boolean') {
    throw new InvalidArgumentError(`${API}: reverse must be a boolean`);
  }
  const lowerRaw = o.gte ?? o.gt;
  const upperRaw = o.lte ?? o.lt;
  return {
    bounds: {
      lower: lowerRaw === undefined ? undefined : toBytes(lowerRaw, API, o.gte !== undefined ? 'gte' : 'gt'),
      lowerInclusive: o.gte !== undefined,
      upper: upperRaw === undefined ? undefined : toBytes(upperRaw, API, o.lte !== undefined ? 'lte' : 'lt'),
      upperInclusive: o.lte !== undefined,
    },
    reverse: o.reverse ?? false,
    limit,
  };
}

/** A synchronous iterator over [key, value] pairs; also has `seek` and `close`. */
export class EngineIterator implements IterableIterator<Entry> {
  readonly #it: InternalIterator;
  readonly #sequence: number;
  readonly #bounds: Bounds;
  readonly #reverse: boolean;
  readonly #limit: number;
  #release: (() => void) | undefined;
  #checkOpen: (api: string) => void;
  #emitted = 0;
  #started = false;
  #done = false;
  /** True while `read` runs its visitor: the visitor may not move the iterator. */
  #reading = false;
  /**
   * The current user key is #userKey[0, #userKeyLength). Forward it is also the key whose
   * older versions are skipped (#hasSkipKey), whether it was emitted or hidden by a tombstone.
   */
  #userKey = new Uint8Array(64);
  #userKeyLength = 0;
  #userKeyView: Uint8Array = this.#userKey.subarray(0, 0);
  #hasSkipKey = false;
  /** The current value: a view into the source. */
  #value: Uint8Array = this.#userKey.subarray(0, 0);
  /** Forward: the source still sits on the entry last emitted; step past it on the next move. */
  #pendingNext = false;

  /** @internal */
  constructor(
    it: InternalIterator,
    sequence: number,
    options: { bounds: Bounds; reverse: boolean; limit: number },
    release: () => void,
    checkOpen: (api: string) => void,
  ) {
    this.#it = it;
    this.#sequence = sequence;
    this.#bounds = options.bounds;
    this.#reverse = options.reverse;
    this.#limit = options.limit;
    this.#release = release;
    this.#checkOpen = checkOpen;
  }

  [Symbol.iterator](): this {
    return this;
  }

  /**
   * Repositions the iterator: the next entry is the first at or after `key` (or, in reverse,
   * at or before it), still within the bounds. Resets nothing else (the limit keeps counting).
   */
  seek(key: Uint8Array | string): void {
    this.#ensureOpen('EngineIterator.seek');
    const k = toBytes(key, 'EngineIterator.seek', 'key');
    this.#done = false;
    this.#started = true;
    this.#hasSkipKey = false;
    this.#pendingNext = false;
    if (!this.#reverse) {
      const lower = this.#bounds.lower;
      if (lower !== undefined && compareBytes(k, lower) <= 0) this.#seekLower();
      else this.#it.seek(makeInternalKey(k, MAX_SEQUENCE, EntryKind.Put));
    } else {
      const upper = this.#bounds.upper;
      if (upper !== undefined && compareBytes(k, upper) >= 0) this.#seekUpper();
      else this.#it.seekForPrev(makeInternalKey(k, 0, EntryKind.Delete));
    }
  }

  next(): IteratorResult<Entry> {
    this.#ensureOpen('EngineIterator.next');
    if (!this.#advance()) return { done: true, value: undefined };
    const value = this.#value;
    return {
      done: false,
      value: [copyValue(this.#userKey, 0, this.#userKeyLength), copyValue(value, 0, value.length)],
    };
  }

  /**
   * Visits up to `count` entries from the current position, in the iterator's order, without
   * copying them: `visit(key, value)` gets views valid only until it returns (see
   * {@link EntryVisitor}). Shares the position and the limit with `next()`: an entry read
   * here is not yielded again. Returns how many entries were visited; fewer than `count`
   * means the end (or the limit) was reached. `visit` must not call `next`, `read` or `seek`
   * on this iterator; it may call `close`, which ends the read.
   */
  read(count: number, visit: EntryVisitor): number {
    const api = 'EngineIterator.read';
    this.#ensureOpen(api);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new InvalidArgumentError(`${api}: count must be a non-negative integer, got ${String(count)}`);
    }
    if (typeof visit !== 'function') throw new InvalidArgumentError(`${api}: visit must be a function`);
    let read = 0;
    this.#reading = true;
    try {
      while (read < count && this.#advance()) {
        let key = this.#userKeyView;
        if (key.length !== this.#userKeyLength || key.buffer !== this.#userKey.buffer) {
          this.#userKeyView = key = this.#userKey.subarray(0, this.#userKeyLength);
        }
        read++;
        visit(key, this.#value);
        if (this.#release === undefined) break;
      }
    } finally {
      this.#reading = false;
    }
    return read;
  }

  /** Ends iteration early (for-of calls this on `break`). */
  return(): IteratorResult<Entry> {
    this.close();
    return { done: true, value: undefined };
  }

  /**
   * Releases the files this iterator pins. Idempotent. An iterator that is dropped without
   * close() releases them when garbage-collected; closing promptly lets compaction delete
   * obsolete files sooner.
   */
  close(): void {
    this.#done = true;
    const release = this.#release;
    if (release) {
      this.#release = undefined;
      this.#it.close();
      release();
    }
  }

  #ensureOpen(api: string): void {
    this.#checkOpen(api);
    if (this.#release === undefined) throw new ClosedError(`${api}: the iterator was closed`);
    if (this.#reading) {
      throw new InvalidArgumentError(
        `${api}: called from inside read()'s visitor, which may not move the iterator`,
      );
    }
  }

  /** Moves to the next visible entry (the user key and #value then describe it), or returns false. */
  #advance(): boolean {
    if (this.#done) return false;
    if (this.#limit >= 0 && this.#emitted >= this.#limit) {
      this.#finish();
      return false;
    }
    if (!this.#started) {
      this.#started = true;
      if (this.#reverse) this.#seekUpper();
      else this.#seekLower();
    }
    if (!(this.#reverse ? this.#prevEntry() : this.#nextEntry())) {
      this.#finish();
      return false;
    }
    this.#emitted++;
    return true;
  }

  /** End of data (or of the limit): stays open, since `seek` may reposition it. */
  #finish(): IteratorResult<Entry> {
    this.#done = true;
    return { done: true, value: undefined };
  }

  #seekLower(): void {
    const { lower, lowerInclusive } = this.#bounds;
    this.#hasSkipKey = false;
    this.#pendingNext = false;
    if (lower === undefined) {
      this.#it.seekToFirst();
      return;
    }
    this.#it.seek(makeInternalKey(lower, MAX_SEQUENCE, EntryKind.Put));
    if (!lowerInclusive) {
      this.#setUserKey(lower, lower.length);
      this.#hasSkipKey = true;
    }
  }

  /** Copies key[0, length) into #userKey. */
  #setUserKey(key: Uint8Array, length: number): void {
    let buffer = this.#userKey;
    if (length > buffer.length) this.#userKey = buffer = new Uint8Array(Math.max(length, 2 * buffer.length));
    if (length <= 32) {
      for (let i = 0; i < length; i++) buffer[i] = key[i]!;
    } else {
      buffer.set(key.subarray(0, length));
    }
    this.#userKeyLength = length;
  }

  #seekUpper(): void {
    const { upper, upperInclusive } = this.#bounds;
    this.#pendingNext = false;
    if (upper === undefined) this.#it.seekToLast();
    else if (upperInclusive) this.#it.seekForPrev(makeInternalKey(upper, 0, EntryKind.Delete));
    else this.#it.seekForPrev(makeInternalKey(upper, MAX_SEQUENCE, EntryKind.Put));
  }

  #nextEntry(): boolean {
    const it = this.#it;
    if (this.#pendingNext) {
      this.#pendingNext = false;
      if (it.valid()) it.next();
    }
    const { upper, upperInclusive } = this.#bounds;
    while (it.valid()) {
      const key = it.key();
      const userEnd = key.length - TRAILER_BYTES;
      if (this.#hasSkipKey && compareRanges(key, 0, userEnd, this.#userKey, 0, this.#userKeyLength) === 0) {
        it.next();
        continue;
      }
      if (upper !== undefined) {
        const c = compareRanges(key, 0, userEnd, upper, 0, upper.length);
        if (c > 0 || (c === 0 && !upperInclusive)) return false;
      }
      if (readTrailerSequence(key, userEnd) > this.#sequence) {
        it.next();
        continue;
      }
      this.#setUserKey(key, userEnd);
      this.#hasSkipKey = true;
      if (readTrailerKind(key, userEnd) === EntryKind.Delete) {
        it.next();
        continue;
      }
      // The value stays a view of the source, which moves past it on the next call.
      this.#value = it.value();
      this.#pendingNext = true;
      return true;
    }
    return false;
  }

  #prevEntry(): boolean {
    const it = this.#it;
    const { lower, lowerInclusive } = this.#bounds;
    // The candidate (newest visible version of the key being walked): its user key is copied
    // into #userKey, since the source must move past it to know it is final; its value view
    // stays valid after the source moves (internal-iterator.ts), so it is not copied.
    let live = false;
    let value: Uint8Array | undefined;
    while (it.valid()) {
      const key = it.key();
      const userEnd = key.length - TRAILER_BYTES;
      if (lower !== undefined) {
        // Below the lower bound: nothing further back can be yielded.
        const c = compareRanges(key, 0, userEnd, lower, 0, lower.length);
        if (c < 0 || (c === 0 && !lowerInclusive)) break;
      }
      if (readTrailerSequence(key, userEnd) <= this.#sequence) {
        if (live && compareRanges(key, 0, userEnd, this.#userKey, 0, this.#userKeyLength) < 0) break;
        if (readTrailerKind(key, userEnd) === EntryKind.Delete) {
          live = false;
        } else {
          live = true;
          this.#setUserKey(key, userEnd);
          value = it.value();
        }
      }
      it.prev();
    }
    if (!live) return false;
    this.#value = value!;
    return true;
  }
}
