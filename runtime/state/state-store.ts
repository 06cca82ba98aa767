/**
 * StateStore: one shard's view of the state engine, with its writes buffered in layers and
 * its hot records cached.
 *
 * Invocation effects are applied here synchronously and become engine writes in batches
 * (`submit`), so thousands of invocations share one engine write. The engine makes a write
 * visible only once its batch is written, so a layer stays readable until its write
 * resolves.
 *
 * The hot cache keeps the latest value (or absence) of recently used keys, bounded in bytes,
 * about the least recently used out first (CLOCK). Every write of the shard's keys passes
 * through here (shards own disjoint key groups, and nothing else writes the state engine
 * while the runtime runs), so a cached entry is always the newest value: a read looks at the
 * cache, then at the layers (a key may have left the cache while its write is still in a
 * layer), then at the engine. Rejected: caching decoded values. A function may mutate the
 * object it read without writing it back, and the next invocation must not see that.
 *
 * The cache keeps values as byte strings (util/byte-string.ts): every write puts a new value
 * in the cache, where it stays until its key is written again, long enough to be promoted
 * to the old generation — as Uint8Arrays, the cached values were a third of all the bytes
 * the runtime made the garbage collector promote. A read makes the caller bytes of its own
 * from the string, which die young (and which no caller can use to change the cache).
 *
 * `hold` is what makes a shard's part of a checkpoint exact: once a shard has taken its
 * snapshot for checkpoint n, its later writes must not reach the engine before the engine
 * checkpoint n is captured. While held, writes accumulate in the current layer; `release`
 * lets them through.
 */
import type { Engine } from '../../engine/index.js';
import { WriteBatch } from '../../engine/index.js';
import type { KeyString } from '../keys/state-keys.js';
import { keyBytes, keyStringOf } from '../keys/state-keys.js';
import { fromByteString, toByteString } from '../util/byte-string.js';
import type { ByteString } from '../util/byte-string.js';

/** A layer: key to value, or null for a delete. */
type Layer = Map<KeyString, Uint8Array | null>;

/**
 * What a cache entry costs besides its key and value bytes (map slot, entry object, ring
 * slot, the key's and the value's string headers), rounded up.
 */
const ENTRY_OVERHEAD_BYTES = 144;

/** A cached value: its bytes as a byte string (see the header), or null for "absent". */
type Cached = ByteString | null;

interface CacheEntry {
  readonly key: KeyString;
  value: Cached;
  /** Used since the clock hand last passed it. */
  hot: boolean;
  /** Its place on the clock. */
  readonly slot: number;
}

/**
 * A byte-bounded map of keys to their latest value, or null for "absent", evicting by CLOCK
 * (second chance), an approximation of least-recently-used: the entries sit on a ring, a hit
 * only marks its entry, and eviction advances a hand around the ring, unmarking marked
 * entries and evicting the first unmarked one. Rejected: exact LRU by moving an entry to the
 * back of the Map on every hit, and evicting from the Map's front — a delete and an insert
 * per read cost as much as the read, and a Map iterated from its front again and again walks
 * over the holes its deletes left there, which made eviction linear in the cache's size.
 */
class HotCache {
  readonly #limit: number;
  readonly #entries = new Map<KeyString, CacheEntry>();
  readonly #ring: (CacheEntry | undefined)[] = [];
  /** Slots of the ring freed by evictions, for the next entries. */
  readonly #free: number[] = [];
  #hand = 0;
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value, null if cached as absent, undefined if not cached. */
  get(key: KeyString): Cached | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    e.hot = true;
    return e.value;
  }

  set(key: KeyString, value: Cached): void {
    const c = cost(key, value);
    const e = this.#entries.get(key);
    if (e !== undefined) {
      this.#bytes -= cost(key, e.value);
      if (c > this.#limit) {
        this.#remove(e);
        return;
      }
      e.value = value;
      e.hot = true;
    } else {
      if (c > this.#limit) return;
      const slot = this.#free.pop() ?? this.#ring.length;
      const entry: CacheEntry = { key, value, hot: true, slot };
      this.#ring[slot] = entry;
      this.#entries.set(key, entry);
    }
    this.#bytes += c;
    while (this.#bytes > this.#limit) this.#evictOne();
  }

  #evictOne(): void {
    const ring = this.#ring;
    for (;;) {
      if (this.#hand >= ring.length) this.#hand = 0;
      const e = ring[this.#hand++];
      if (e === undefined) continue;
      if (e.hot) {
        e.hot = false;
        continue;
      }
      this.#bytes -= cost(e.key, e.value);
      this.#remove(e);
      return;
    }
  }

  #remove(e: CacheEntry): void {
    this.#entries.delete(e.key);
    this.#ring[e.slot] = undefined;
    this.#free.push(e.slot);
  }
}

function cost(key: KeyString, value: Cached): number {
  return ENTRY_OVERHEAD_BYTES + key.length + (value === null ? 0 : value.length);
}

/** Counters of a store's hot cache. */
export interface HotCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export class StateStore {
  readonly #db: Engine;
  readonly #cache: HotCache;
  #current: Layer = new Map();
  #currentBytes = 0;
  /** Submitted layers whose writes have not resolved yet, newest first. */
  readonly #submitted: Layer[] = [];
  /** Key and value bytes of the submitted layers. */
  #submittedBytes = 0;
  /** Called once when the next submitted write resolves (see `onWritten`). */
  #writtenWaiters: (() => void)[] = [];
  #held = false;
  /**
   * Submitted writes not yet settled: the engine's promise of each (it rejects if the write
   * failed) to the promise that settles once the store has handled its outcome.
   */
  readonly #writes = new Map<Promise<void>, Promise<void>>();
  #onFailure: (err: unknown) => void;

  /** `cacheBytes` bounds the hot cache (0 turns it off). */
  constructor(db: Engine, cacheBytes: number, onFailure: (err: unknown) => void) {
    this.#db = db;
    this.#cache = new HotCache(cacheBytes);
    this.#onFailure = onFailure;
  }

  /** Key and value bytes of the current layer (not yet submitted): one value per key. */
  get bufferedBytes(): number {
    return this.#currentBytes;
  }

  /**
   * Key and value bytes of the layers submitted to the engine whose writes have not
   * resolved: they stay in memory until then, so a shard takes no more messages while they
   * reach its bound (an engine that stalls its writers would let them grow without one).
   */
  get submittedBytes(): number {
    return this.#submittedBytes;
  }

  /** Calls `callback` once, when the next submitted write resolves. */
  onWritten(callback: () => void): void {
    this.#writtenWaiters.push(callback);
  }

  get held(): boolean {
    return this.#held;
  }

  cacheStats(): HotCacheStats {
    const c = this.#cache;
    return { hits: c.hits, misses: c.misses, entries: c.size, bytes: c.bytes };
  }

  /** The newest value of `key`, as bytes of the caller's own (changing them changes nothing here). */
  get(key: KeyString): Uint8Array | undefined {
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached === null ? undefined : fromByteString(cached);
    // A copy: the layer's bytes are what its write will store.
    const layered = this.#layered(key);
    if (layered !== undefined) return layered === null ? undefined : new Uint8Array(layered);
    const value = this.#db.get(keyBytes(key));
    this.#cache.set(key, value === undefined ? null : toByteString(value));
    return value;
  }

  #layered(key: KeyString): Uint8Array | null | undefined {
    const v = this.#current.get(key);
    if (v !== undefined) return v;
    for (const layer of this.#submitted) {
      const s = layer.get(key);
      if (s !== undefined) return s;
    }
    return undefined;
  }

  /**
   * Buffers a write of `value`, which the store keeps until the write is submitted: the
   * caller must hand over bytes that nothing changes later (not a buffer it reuses).
   */
  put(key: KeyString, value: Uint8Array): void {
    this.#replace(key, value);
    this.#cache.set(key, toByteString(value));
  }

  delete(key: KeyString): void {
    this.#replace(key, null);
    this.#cache.set(key, null);
  }

  /** Sets `key` in the current layer, counting only its newest value's bytes. */
  #replace(key: KeyString, value: Uint8Array | null): void {
    const layer = this.#current;
    const old = layer.get(key);
    if (old !== undefined) this.#currentBytes -= key.length + (old === null ? 0 : old.length);
    layer.set(key, value);
    this.#currentBytes += key.length + (value === null ? 0 : value.length);
  }

  /**
   * Every live entry with `start <= key < end`, in key order: the engine's entries
   * overlaid with the buffered layers. Collects the range first (it is used for one map's
   * entries, not for large scans; {@link rangeUpTo} bounds what it reads).
   */
  range(start: KeyString, end: KeyString | undefined): [KeyString, Uint8Array][] {
    return this.rangeUpTo(start, end, Number.POSITIVE_INFINITY).entries;
  }

  /**
   * The live entries with `start <= key < end`, in key order, reading at most `limit` of the
   * engine's entries. When the engine holds more, the result stops at `complete`: every
   * live entry up to and including that key is in it, and none after it (the layers may
   * add entries below it, so there may be more than `limit`). `complete` is undefined when
   * the result holds the whole range. `limit` is at least 1.
   */
  rangeUpTo(
    start: KeyString,
    end: KeyString | undefined,
    limit: number,
  ): { entries: [KeyString, Uint8Array][]; complete: KeyString | undefined } {
    const merged = new Map<KeyString, Uint8Array | null>();
    const lo = keyBytes(start);
    const iterator = this.#db.iterator(end === undefined ? { gte: lo } : { gte: lo, lt: keyBytes(end) });
    let complete: KeyString | undefined;
    let last: KeyString | undefined;
    try {
      let n = 0;
      for (const [k, v] of iterator) {
        if (n++ === limit) {
          complete = last;
          break;
        }
        last = keyStringOf(k);
        merged.set(last, v);
      }
    } finally {
      // Running off the end leaves an engine iterator open (it may seek again), pinning its
      // version's files until it is garbage-collected.
      iterator.close();
    }
    const layers = [...this.#submitted].reverse();
    layers.push(this.#current);
    for (const layer of layers) {
      for (const [k, v] of layer) {
        if (k >= start && (end === undefined || k < end) && (complete === undefined || k <= complete)) {
          merged.set(k, v);
        }
      }
    }
    const entries: [KeyString, Uint8Array][] = [];
    for (const k of [...merged.keys()].sort()) {
      const v = merged.get(k);
      if (v) entries.push([k, v]);
    }
    return { entries, complete };
  }

  /** Starts the engine write of what is buffered, unless held. */
  submit(): void {
    if (this.#held || this.#current.size === 0) return;
    const layer = this.#current;
    const bytes = this.#currentBytes;
    this.#current = new Map();
    this.#currentBytes = 0;
    const batch = new WriteBatch();
    for (const [k, v] of layer) {
      if (v === null) batch.delete(keyBytes(k));
      else batch.put(keyBytes(k), v);
    }
    this.#submitted.unshift(layer);
    this.#submittedBytes += bytes;
    const engineWrite = this.#db.write(batch);
    const handled = engineWrite.then(
      () => {
        const i = this.#submitted.lastIndexOf(layer);
        if (i >= 0) this.#submitted.splice(i, 1);
        this.#submittedBytes -= bytes;
        const waiters = this.#writtenWaiters;
        this.#writtenWaiters = [];
        for (const w of waiters) w();
      },
      (err: unknown) => this.#onFailure(err),
    );
    this.#writes.set(engineWrite, handled);
    void handled.finally(() => this.#writes.delete(engineWrite));
  }

  /**
   * Submits what is buffered, then keeps later writes back until `release`. Returns what
   * settles once every write submitted so far is written, rejecting if one failed
   * (undefined if none is pending): a checkpoint of the shard's state must not be captured
   * before then, or it would lack a write that failed (the runtime fails on it too).
   */
  hold(): Promise<void> | undefined {
    this.submit();
    this.#held = true;
    if (this.#writes.size === 0) return undefined;
    const written = Promise.all([...this.#writes.keys()]).then(() => undefined);
    // Observed here too: the failure is reported through onFailure, and a checkpoint given
    // up meanwhile may never await this.
    written.catch(() => undefined);
    return written;
  }

  release(): void {
    this.#held = false;
    this.submit();
  }

  /** Resolves when every submitted write has resolved. */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all([...this.#writes.values()]);
  }
}
