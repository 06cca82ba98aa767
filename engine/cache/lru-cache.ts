/**
 * Least-recently-used caches charged in bytes (or any unit: the table cache charges 1 per
 * open table).
 *
 * `LruList` is the policy alone: an intrusive doubly-linked list of nodes the caller owns,
 * with a byte total and eviction from the cold end. Callers index the nodes however suits
 * their keys: `LruCache` with one Map, the block cache with a Map per file so a lookup by
 * (file number, offset) builds no composite key.
 *
 * Eviction: after an insertion the coldest nodes are evicted until the total is within
 * capacity. A node charged more than the whole capacity is evicted at once (as in LevelDB,
 * capacity 0 disables caching); its value is still the caller's to use.
 *
 * With `secondChance` (the block cache's choice) a hit does not move its node: it only marks
 * it `referenced`, and eviction moves a marked coldest node back to the hot end, unmarked,
 * instead of evicting it: the CLOCK approximation of LRU that RocksDB's clock cache and most
 * buffer pools use. A strict LRU hit relinks the node between its two neighbours and the
 * head, three objects that a random read finds cold in the processor's cache: a visible
 * share of a get in a diagnostic profile of readrandom. A mark writes only the node
 * the lookup has just read. The order is then recency of insertion and of eviction passes,
 * not of every hit.
 */
import { InvalidArgumentError } from '../errors.js';

/** The links and charge a node of an LruList carries. */
export interface LruLinks<N> {
  prev: N | null;
  next: N | null;
  charge: number;
  /** Hit since eviction last passed it (secondChance lists only). */
  referenced: boolean;
}

/** The LRU order and byte total of nodes indexed elsewhere. */
export class LruList<N extends LruLinks<N>> {
  /** Most recently used. */
  #head: N | null = null;
  /** Least recently used: evicted first. */
  #tail: N | null = null;
  #count = 0;
  #bytes = 0;
  readonly #capacity: number;
  readonly #onEvict: (node: N) => void;
  readonly #secondChance: boolean;

  /**
   * @param capacity most total charge the list keeps.
   * @param onEvict called for each node evicted for capacity (not for `remove`).
   * @param secondChance whether hits only mark nodes, which eviction then passes over once
   *   (see the top of the file); false: every hit moves its node to the hot end.
   */
  constructor(capacity: number, onEvict: (node: N) => void, secondChance = false) {
    this.#capacity = capacity;
    this.#onEvict = onEvict;
    this.#secondChance = secondChance;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Total charge of the nodes in the list. */
  get bytes(): number {
    return this.#bytes;
  }

  get count(): number {
    return this.#count;
  }

  /** The least recently used node, if any. */
  get coldest(): N | null {
    return this.#tail;
  }

  /** Adds an unlinked node as the most recently used, then evicts down to capacity. */
  add(node: N): void {
    node.referenced = false;
    this.#linkAtHead(node);
    this.#count++;
    this.#bytes += node.charge;
    while (this.#bytes > this.#capacity && this.#tail !== null) {
      const victim = this.#tail;
      // A marked node goes round once more. So does the node being added, when it comes
      // round with others still in the list: they were all marked, and are no longer.
      // Each node moves at most once per add, so this ends.
      if (this.#secondChance && (victim.referenced || (victim === node && this.#count > 1))) {
        victim.referenced = false;
        this.#unlink(victim);
        this.#linkAtHead(victim);
        continue;
      }
      this.remove(victim);
      this.#onEvict(victim);
    }
  }

  /** Marks a linked node as the most recently used (secondChance: as used since the last pass). */
  touch(node: N): void {
    if (this.#secondChance) {
      node.referenced = true;
      return;
    }
    if (this.#head === node) return;
    this.#unlink(node);
    this.#linkAtHead(node);
  }

  /** Unlinks a linked node (no eviction callback). */
  remove(node: N): void {
    this.#unlink(node);
    this.#count--;
    this.#bytes -= node.charge;
  }

  #linkAtHead(node: N): void {
    node.prev = null;
    node.next = this.#head;
    if (this.#head !== null) this.#head.prev = node;
    this.#head = node;
    if (this.#tail === null) this.#tail = node;
  }

  #unlink(node: N): void {
    if (node.prev !== null) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.#tail = node.prev;
    node.prev = null;
    node.next = null;
  }
}

class CacheNode<K, V> implements LruLinks<CacheNode<K, V>> {
  prev: CacheNode<K, V> | null = null;
  next: CacheNode<K, V> | null = null;
  referenced = false;
  readonly key: K;
  readonly value: V;
  readonly charge: number;

  constructor(key: K, value: V, charge: number) {
    this.key = key;
    this.value = value;
    this.charge = charge;
  }
}

/** Options of `LruCache`. */
export interface LruCacheOptions<K, V> {
  /** Called whenever an entry leaves the cache: evicted, deleted, replaced or cleared. */
  onRemove?: (key: K, value: V) => void;
}

/** Checks a capacity argument, naming the API in the error. */
export function checkCapacity(api: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${api}: ${name} must be a non-negative integer, got ${value}`);
  }
}

/** A Map-indexed LRU cache with byte charges and hit/miss counters. */
export class LruCache<K, V> {
  readonly #map = new Map<K, CacheNode<K, V>>();
  readonly #list: LruList<CacheNode<K, V>>;
  readonly #onRemove: ((key: K, value: V) => void) | undefined;
  #hits = 0;
  #misses = 0;

  /** @param capacityBytes most total charge kept (a non-negative integer). */
  constructor(capacityBytes: number, options: LruCacheOptions<K, V> = {}) {
    checkCapacity('LruCache', 'capacityBytes', capacityBytes);
    this.#onRemove = options.onRemove;
    this.#list = new LruList(capacityBytes, (node) => {
      this.#map.delete(node.key);
      this.#onRemove?.(node.key, node.value);
    });
  }

  /** The value for `key` (marking it recently used), or undefined; counts a hit or a miss. */
  get(key: K): V | undefined {
    const node = this.#map.get(key);
    if (node === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#list.touch(node);
    return node.value;
  }

  /** The value for `key` without touching it or counting. */
  peek(key: K): V | undefined {
    return this.#map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Inserts or replaces the entry for `key`, charged `charge`, then evicts to capacity. */
  set(key: K, value: V, charge: number): void {
    this.delete(key);
    const node = new CacheNode(key, value, charge);
    this.#map.set(key, node);
    this.#list.add(node);
  }

  /** Removes the entry for `key`; returns whether there was one. */
  delete(key: K): boolean {
    const node = this.#map.get(key);
    if (node === undefined) return false;
    this.#map.delete(key);
    this.#list.remove(node);
    this.#onRemove?.(node.key, node.value);
    return true;
  }

  /** Removes every entry, coldest first. */
  clear(): void {
    for (let node = this.#list.coldest; node !== null; node = this.#list.coldest) {
      this.delete(node.key);
    }
  }

  /** Keys from most to least recently used (for tests and diagnostics). */
  keys(): K[] {
    const out: K[] = [];
    for (let node = this.#list.coldest; node !== null; node = node.prev) out.push(node.key);
    return out.reverse();
  }

  get size(): number {
    return this.#map.size;
  }

  get bytes(): number {
    return this.#list.bytes;
  }

  get capacityBytes(): number {
    return this.#list.capacity;
  }

  get hits(): number {
    return this.#hits;
  }

  get misses(): number {
    return this.#misses;
  }
}
