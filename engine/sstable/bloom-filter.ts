/**
 * Whole-table bloom filter on user keys (engine/FORMAT.md, "Filter block").
 *
 * Layout: the bit array (bit i is bit i % 8 of byte i / 8), then one byte k (the number of
 * probes). Probing is LevelDB's double hashing over a 32-bit hash h = bloomHash(userKey):
 * delta = rotr(h, 17); for k rounds test bit (h mod bits) then h += delta (mod 2^32).
 *
 * One filter per table rather than per block: the engine computes a key's hash once per get
 * and probes every candidate table with it, and a table-level miss skips the index search.
 * An empty filter (no bytes) answers "may contain" for every key: it is what a table built
 * with bloomBitsPerKey = 0 stores.
 */
import { invariant } from '../util/invariant.js';

/** Most probes a filter may use; a k byte above this is reserved and read as "may contain". */
export const MAX_BLOOM_PROBES = 30;

/** Probes for `bitsPerKey`: round(bitsPerKey * ln 2), clamped to [1, MAX_BLOOM_PROBES]. */
export function bloomProbes(bitsPerKey: number): number {
  const k = Math.round(bitsPerKey * Math.LN2);
  return k < 1 ? 1 : k > MAX_BLOOM_PROBES ? MAX_BLOOM_PROBES : k;
}

/** Collects key hashes, then encodes the filter. */
export class BloomFilterBuilder {
  readonly #bitsPerKey: number;
  #hashes = new Uint32Array(1024);
  #count = 0;

  /** @param bitsPerKey bits of filter per key (> 0; 10 gives about 1% false positives). */
  constructor(bitsPerKey: number) {
    invariant(bitsPerKey > 0, 'BloomFilterBuilder: bitsPerKey must be positive');
    this.#bitsPerKey = bitsPerKey;
  }

  get keyCount(): number {
    return this.#count;
  }

  /** Adds the bloomHash of one user key (callers add each distinct user key once). */
  addHash(hash: number): void {
    if (this.#count === this.#hashes.length) {
      const grown = new Uint32Array(this.#hashes.length * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    this.#hashes[this.#count++] = hash;
  }

  /** The encoded filter: bit array then k. */
  finish(): Uint8Array {
    const k = bloomProbes(this.#bitsPerKey);
    // Below 64 bits a filter for few keys would have a high false-positive rate.
    const bytes = Math.max(8, Math.ceil((this.#count * this.#bitsPerKey) / 8));
    const bits = bytes * 8;
    const out = new Uint8Array(bytes + 1);
    const hashes = this.#hashes;
    for (let i = 0; i < this.#count; i++) {
      let h = hashes[i]!;
      const delta = ((h >>> 17) | (h << 15)) >>> 0;
      for (let j = 0; j < k; j++) {
        const bit = h % bits;
        out[bit >>> 3]! |= 1 << (bit & 7);
        h = (h + delta) >>> 0;
      }
    }
    out[bytes] = k;
    return out;
  }
}

/** A decoded filter. Any byte string decodes: a filter can only err towards "may contain". */
export class BloomFilter {
  readonly #data: Uint8Array;
  readonly #bits: number;
  readonly #k: number;

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#bits = data.length > 1 ? (data.length - 1) * 8 : 0;
    this.#k = data.length > 1 ? data[data.length - 1]! : 0;
  }

  /** Size of the encoded filter. */
  get byteLength(): number {
    return this.#data.length;
  }

  /** False only if no key with this bloomHash was added. */
  mayContain(hash: number): boolean {
    const k = this.#k;
    const bits = this.#bits;
    if (bits === 0 || k > MAX_BLOOM_PROBES || k === 0) return true;
    const data = this.#data;
    let h = hash >>> 0;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    for (let j = 0; j < k; j++) {
      const bit = h % bits;
      if ((data[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
      h = (h + delta) >>> 0;
    }
    return true;
  }
}
