/**
 * js-map: a REFERENCE, not a peer. Every key sits in one JavaScript `Map`, keyed by the
 * latin1 string of its bytes (one char per byte, so distinct keys stay distinct), and a get is
 * that string plus one `Map.get`. Nothing is persisted and there is no order, so it runs only
 * the point-read workloads (store-registry.ts, REFERENCE_STORES): its figure is the cost of
 * the read loop plus one hash lookup in JavaScript, the ceiling for a store whose lookups run
 * in JavaScript (a native store's get, lmdb's, may come near it or pass it).
 *
 * `Buffer.prototype.latin1Slice` (undocumented, hence the fallback) measured about 53 ns a
 * 16-byte key here against 65 ns for `toString('latin1')`, which parses its encoding
 * argument first. Values are copied into 1 MiB slabs: a separate ArrayBuffer per value
 * doubled the loaded RSS (540 vs 290 MiB for a million keys) and gives the GC a million
 * backing stores to track. A get returns the stored view, without a copy.
 */
import { NODE_JS_PACKAGE } from './store.js';
import type { BenchCursor, BenchStore, KeyValue, PutOptions, StoreOpenOptions } from './store.js';

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;

/** Buffer's native latin1 decoder, falling back to `toString('latin1')` should Node drop it. */
const latin1Slice: Latin1Slice =
  (Buffer.prototype as Partial<{ latin1Slice: Latin1Slice }>).latin1Slice ??
  function (this: Uint8Array, start: number, end: number): string {
    return Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString('latin1', start, end);
  };

/** Bytes of one slab that value copies are packed into. */
const SLAB_BYTES = 1 << 20;

/** An in-memory JavaScript Map of every key; the reference for point reads. */
export class JsMapStore implements BenchStore {
  readonly name = 'js-map';
  readonly packageName = NODE_JS_PACKAGE;
  readonly apiSummary =
    'Map.set(latin1 key, value copy) per pair; Map.get(Buffer.prototype.latin1Slice.call(key)) returning the stored view; getMany = getSync per key; no persistence, no cursor';
  readonly #entries = new Map<string, Uint8Array>();
  #slab = new Uint8Array(0);
  #slabUsed = 0;

  async open(_dir: string, _options: StoreOpenOptions): Promise<void> {}

  async close(): Promise<void> {
    this.#entries.clear();
    this.#slab = new Uint8Array(0);
    this.#slabUsed = 0;
  }

  async putBatch(pairs: readonly KeyValue[]): Promise<void> {
    for (const [key, value] of pairs) this.#set(key, value);
  }

  async putOne(key: Uint8Array, value: Uint8Array, _options: PutOptions): Promise<void> {
    this.#set(key, value);
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.#entries.get(latin1Slice.call(key, 0, key.length));
  }

  getMany(keys: Uint8Array[]): readonly (Uint8Array | undefined)[] {
    const values = new Array<Uint8Array | undefined>(keys.length);
    for (let i = 0; i < keys.length; i++) values[i] = this.getSync(keys[i]!);
    return values;
  }

  cursor(_options: { readonly reverse: boolean }): BenchCursor {
    throw new Error('js-map: no ordered cursor; the reference runs point reads only');
  }

  /** A Map has nothing to compact. */
  async compact(): Promise<void> {}

  async diskUsageBytes(): Promise<number> {
    return 0;
  }

  /** Stores a copy of `value`: the caller may reuse its buffers (the value pool does). */
  #set(key: Uint8Array, value: Uint8Array): void {
    this.#entries.set(latin1Slice.call(key, 0, key.length), this.#copy(value));
  }

  /**
   * A copy of `value` in the current slab. An overwritten value's bytes stay in their slab:
   * the reference is loaded once and then only read.
   */
  #copy(value: Uint8Array): Uint8Array {
    if (value.length > SLAB_BYTES) return value.slice();
    if (this.#slabUsed + value.length > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const start = this.#slabUsed;
    this.#slab.set(value, start);
    this.#slabUsed += value.length;
    return this.#slab.subarray(start, this.#slabUsed);
  }
}
