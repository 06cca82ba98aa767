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
  /** Forward: user key of the last entry consumed (emitted or hidden); its older versions are skipped. */
  #skipKey: Uint8Array | undefined;

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
    this.#skipKey = undefined;
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
    if (this.#done) return { done: true, value: undefined };
    if (this.#limit >= 0 && this.#emitted >= this.#limit) return this.#finish();
    if (!this.#started) {
      this.#started = true;
      if (this.#reverse) this.#seekUpper();
      else this.#seekLower();
    }
    const entry = this.#reverse ? this.#prevEntry() : this.#nextEntry();
    if (entry === undefined) return this.#finish();
    this.#emitted++;
    return { done: false, value: entry };
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
  }

  /** End of data (or of the limit): stays open, since `seek` may reposition it. */
  #finish(): IteratorResult<Entry> {
    this.#done = true;
    return { done: true, value: undefined };
  }

  #seekLower(): void {
    const { lower, lowerInclusive } = this.#bounds;
    this.#skipKey = undefined;
    if (lower === undefined) {
      this.#it.seekToFirst();
      return;
    }
    this.#it.seek(makeInternalKey(lower, MAX_SEQUENCE, EntryKind.Put));
    if (!lowerInclusive) this.#skipKey = lower;
  }

  #seekUpper(): void {
    const { upper, upperInclusive } = this.#bounds;
    if (upper === undefined) this.#it.seekToLast();
    else if (upperInclusive) this.#it.seekForPrev(makeInternalKey(upper, 0, EntryKind.Delete));
    else this.#it.seekForPrev(makeInternalKey(upper, MAX_SEQUENCE, EntryKind.Put));
  }

  #nextEntry(): Entry | undefined {
    const it = this.#it;
    const { upper, upperInclusive } = this.#bounds;
    while (it.valid()) {
      const key = it.key();
      const userEnd = key.length - TRAILER_BYTES;
      const skip = this.#skipKey;
      if (skip !== undefined && compareRanges(key, 0, userEnd, skip, 0, skip.length) === 0) {
        it.next();
        continue;
      }
      if (upper !== undefined) {
        const c = compareRanges(key, 0, userEnd, upper, 0, upper.length);
        if (c > 0 || (c === 0 && !upperInclusive)) return undefined;
      }
      if (readTrailerSequence(key, userEnd) > this.#sequence) {
        it.next();
        continue;
      }
      const userKey = copyValue(key, 0, userEnd);
      this.#skipKey = userKey;
      if (readTrailerKind(key, userEnd) === EntryKind.Delete) {
        it.next();
        continue;
      }
      const view = it.value();
      const value = copyValue(view, 0, view.length);
      it.next();
      return [userKey, value];
    }
    return undefined;
  }

  #prevEntry(): Entry | undefined {
    const it = this.#it;
    const { lower, lowerInclusive } = this.#bounds;
    let savedKey: Uint8Array | undefined;
    let savedValue: Uint8Array | undefined;
    let live = false;
    while (it.valid()) {
      const key = it.key();
      const userEnd = key.length - TRAILER_BYTES;
      if (lower !== undefined) {
        // Below the lower bound: nothing further back can be yielded.
        const c = compareRanges(key, 0, userEnd, lower, 0, lower.length);
        if (c < 0 || (c === 0 && !lowerInclusive)) break;
      }
      if (readTrailerSequence(key, userEnd) <= this.#sequence) {
        if (live && compareRanges(key, 0, userEnd, savedKey!, 0, savedKey!.length) < 0) break;
        if (readTrailerKind(key, userEnd) === EntryKind.Delete) {
          live = false;
          savedKey = undefined;
          savedValue = undefined;
        } else {
          live = true;
          savedKey = copyValue(key, 0, userEnd);
          const view = it.value();
          savedValue = copyValue(view, 0, view.length);
        }
      }
      it.prev();
    }
    if (!live) return undefined;
    return [savedKey!, savedValue!];
  }
}
