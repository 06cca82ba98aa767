/**
 * StateStore: one shard's view of the state engine, with its writes buffered in layers.
 *
 * Invocation effects are applied here synchronously and become engine writes in batches
 * (`submit`), so thousands of invocations share one engine write. The engine makes a write
 * visible only once its batch is written, so a layer stays readable until its write
 * resolves: reads look at the current layer, then submitted layers newest first, then the
 * engine.
 *
 * `hold` is what makes a shard's part of a checkpoint exact: once a shard has taken its
 * snapshot for checkpoint n, its later writes must not reach the engine before the engine
 * checkpoint n is captured. While held, writes accumulate in the current layer; `release`
 * lets them through. Each shard has its own store; shards own disjoint key groups, so
 * their layers never hold the same key.
 */
import type { Engine } from '../../engine/index.js';
import { WriteBatch } from '../../engine/index.js';

/** A layer: key (latin1 of its bytes) to value, or null for a delete. */
type Layer = Map<string, Uint8Array | null>;

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

function keyBytes(key: string): Uint8Array {
  return Buffer.from(key, 'latin1');
}

export class StateStore {
  readonly #db: Engine;
  #current: Layer = new Map();
  #currentBytes = 0;
  /** Submitted layers whose writes have not resolved yet, newest first. */
  readonly #submitted: Layer[] = [];
  #held = false;
  #writes = new Set<Promise<void>>();
  #onFailure: (err: unknown) => void;

  constructor(db: Engine, onFailure: (err: unknown) => void) {
    this.#db = db;
    this.#onFailure = onFailure;
  }

  /** Bytes buffered in the current layer (not yet submitted). */
  get bufferedBytes(): number {
    return this.#currentBytes;
  }

  get held(): boolean {
    return this.#held;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    if (this.#current.size > 0 || this.#submitted.length > 0) {
      const k = keyString(key);
      const v = this.#current.get(k);
      if (v !== undefined) return v ?? undefined;
      for (const layer of this.#submitted) {
        const s = layer.get(k);
        if (s !== undefined) return s ?? undefined;
      }
    }
    return this.#db.get(key);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#current.set(keyString(key), value);
    this.#currentBytes += key.length + value.length;
  }

  delete(key: Uint8Array): void {
    this.#current.set(keyString(key), null);
    this.#currentBytes += key.length;
  }

  /**
   * Every live entry with `start <= key < end`, in key order: the engine's entries
   * overlaid with the buffered layers. Collects the range first (it is used for one map's
   * entries or one key group's timers, not for large scans).
   */
  range(start: Uint8Array, end: Uint8Array | undefined): [Uint8Array, Uint8Array][] {
    const merged = new Map<string, Uint8Array | null>();
    const iterator = this.#db.iterator(end === undefined ? { gte: start } : { gte: start, lt: end });
    for (const [k, v] of iterator) merged.set(keyString(k), v);
    const lo = keyString(start);
    const hi = end === undefined ? undefined : keyString(end);
    const layers = [...this.#submitted].reverse();
    layers.push(this.#current);
    for (const layer of layers) {
      for (const [k, v] of layer) {
        if (k >= lo && (hi === undefined || k < hi)) merged.set(k, v);
      }
    }
    const out: [Uint8Array, Uint8Array][] = [];
    for (const k of [...merged.keys()].sort()) {
      const v = merged.get(k);
      if (v) out.push([keyBytes(k), v]);
    }
    return out;
  }

  /** Starts the engine write of what is buffered, unless held. */
  submit(): void {
    if (this.#held || this.#current.size === 0) return;
    const layer = this.#current;
    this.#current = new Map();
    this.#currentBytes = 0;
    const batch = new WriteBatch();
    for (const [k, v] of layer) {
      if (v === null) batch.delete(keyBytes(k));
      else batch.put(keyBytes(k), v);
    }
    this.#submitted.unshift(layer);
    const write = this.#db.write(batch).then(
      () => {
        const i = this.#submitted.lastIndexOf(layer);
        if (i >= 0) this.#submitted.splice(i, 1);
      },
      (err: unknown) => this.#onFailure(err),
    );
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
  }

  /** Submits what is buffered, then keeps later writes back until `release`. */
  hold(): void {
    this.submit();
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    this.submit();
  }

  /** Resolves when every submitted write has resolved. */
  async settled(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all([...this.#writes]);
  }
}
