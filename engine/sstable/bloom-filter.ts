/**
 * Whole-table bloom filter on user keys (engine/FORMAT.md, "Filter block").
 *
 * Layout (written since the filter became cache-local): the bit array, in lines of 64 bytes,
 * then one byte 0x80 | k. A key's k probes all fall in one line: the line is chosen from the
 * 32-bit hash h = bloomHash(userKey) as floor(h * lines / 2^32), and each probe multiplies a
 * running copy of h by 0x9e3779b9 (mod 2^32) and tests the bit its top 9 bits name (bit i of
 * a line is bit i % 8 of its byte i / 8). So a lookup touches one or two cache lines, where
 * a classic filter touches up to k scattered ones: for a key that is present, every probe
 * runs, and on a table read at random each was a cache miss. The price is a slightly higher
 * false-positive rate at equal size (keys crowd unevenly into lines), under 1.5% at 10 bits
 * per key.
 *
 * The first layout (still read): the bit array, then one byte k <= 30; probing is LevelDB's
 * double hashing: delta = rotr(h, 17); k times test bit (h mod bits), then h += delta.
 *
 * One filter per table rather than per block: the engine computes a key's hash once per get
 * and probes every candidate table with it, and a table-level miss skips the index search.
 * An empty filter (no bytes) answers "may contain" for every key: it is what a table built
 * with bloomBitsPerKey = 0 stores; so does any last byte this build does not know (reserved
 * for other encodings).
 */
import { invariant } from '../util/invariant.js';

/** Most probes a filter may use. */
export const MAX_BLOOM_PROBES = 30;
/** Bytes of one line of a cache-local filter: a cache line of today's processors. */
export const BLOOM_LINE_BYTES = 64;
/** Set in the last byte of a cache-local filter, whose low bits hold k. */
export const BLOOM_LOCAL_FLAG = 0x80;
/**
 * Most lines of a cache-local filter (a filter of 128 MiB, for about 100M keys at 10 bits
 * each): h * lines stays below 2^53, so the line choice is exact in a double.
 */
export const MAX_BLOOM_LINES = 1 << 21;
/** The multiplier of each probe: 2^32 divided by the golden ratio. */
const PROBE_MULTIPLIER = 0x9e3779b9;
const TWO_POW_32 = 4294967296;

/** Probes for `bitsPerKey`: round(bitsPerKey * ln 2), clamped to [1, MAX_BLOOM_PROBES]. */
export function bloomProbes(bitsPerKey: number): number {
  const k = Math.round(bitsPerKey * Math.LN2);
  return k < 1 ? 1 : k > MAX_BLOOM_PROBES ? MAX_BLOOM_PROBES : k;
}

/** Collects key hashes, then encodes a cache-local filter. */
export class BloomFilterBuilder {
  readonly #bitsPerKey: number;
  #hashes = new Uint32Array(1024);
  #count = 0;

  /** @param bitsPerKey bits of filter per key (> 0; 10 gives about 1% false positives). */
  constructor(bitsPerKey: number) {
    invariant(bitsPerKey > 0, 'BloomFilterBuilder: bitsPerKey must be positive');
    this.#bitsPerKey = bitsPerKey;
  }

  /** Number of hashes added so far. */
  get keyCount(): number {
    return this.#count;
  }

  /** Adds one key's bloomHash. Duplicate hashes are harmless. */
  addHash(hash: number): void {
    if (this.#count === this.#hashes.length) {
      const grown = new Uint32Array(this.#hashes.length * 2);
      grown.set(this.#hashes);
      this.#hashes = grown;
    }
    this.#hashes[this.#count++] = hash;
  }

  /** The filter's encoded contents. */
  finish(): Uint8Array {
    const k = bloomProbes(this.#bitsPerKey);
    const wantedBits = this.#count * this.#bitsPerKey;
    const lines = Math.min(MAX_BLOOM_LINES, Math.max(1, Math.ceil(wantedBits / (8 * BLOOM_LINE_BYTES))));
    const bytes = lines * BLOOM_LINE_BYTES;
    const out = new Uint8Array(bytes + 1);
    const hashes = this.#hashes;
    for (let i = 0; i < this.#count; i++) {
      const h = hashes[i]!;
      const base = lineOf(h, lines) * BLOOM_LINE_BYTES;
      let p = h;
      for (let j = 0; j < k; j++) {
        p = Math.imul(p, PROBE_MULTIPLIER);
        const bit = p >>> 23;
        out[base + (bit >>> 3)]! |= 1 << (bit & 7);
      }
    }
    out[bytes] = BLOOM_LOCAL_FLAG | k;
    return out;
  }
}

/** The line of a cache-local filter of `lines` lines that hash `h` probes. */
function lineOf(h: number, lines: number): number {
  return Math.floor(((h >>> 0) * lines) / TWO_POW_32);
}

/** A decoded filter; immutable. */
export class BloomFilter {
  readonly #data: Uint8Array;
  /** Lines of a cache-local filter; 0 for a classic one. */
  readonly #lines: number;
  /** Bits of a classic filter; 0 for a cache-local one. */
  readonly #bits: number;
  /** Probes; 0 when the filter accepts every key. */
  readonly #k: number;

  /** @param data the filter block's contents (see the file comment). */
  constructor(data: Uint8Array) {
    this.#data = data;
    const last = data.length > 1 ? data[data.length - 1]! : 0;
    const arrayBytes = data.length - 1;
    const localK = last & ~BLOOM_LOCAL_FLAG;
    if ((last & BLOOM_LOCAL_FLAG) === 0) {
      const classic = last <= MAX_BLOOM_PROBES;
      this.#lines = 0;
      this.#bits = classic ? arrayBytes * 8 : 0;
      this.#k = classic ? last : 0;
    } else if (
      localK >= 1 &&
      localK <= MAX_BLOOM_PROBES &&
      arrayBytes % BLOOM_LINE_BYTES === 0 &&
      arrayBytes / BLOOM_LINE_BYTES <= MAX_BLOOM_LINES
    ) {
      this.#lines = arrayBytes / BLOOM_LINE_BYTES;
      this.#bits = 0;
      this.#k = localK;
    } else {
      this.#lines = 0;
      this.#bits = 0;
      this.#k = 0;
    }
  }

  /** Size of the encoded filter. */
  get byteLength(): number {
    return this.#data.length;
  }

  /** False only if no key with this bloomHash was added. */
  mayContain(hash: number): boolean {
    const k = this.#k;
    if (k === 0) return true;
    const data = this.#data;
    const lines = this.#lines;
    if (lines !== 0) {
      const base = lineOf(hash, lines) * BLOOM_LINE_BYTES;
      let p = hash;
      for (let j = 0; j < k; j++) {
        p = Math.imul(p, PROBE_MULTIPLIER);
        const bit = p >>> 23;
        if ((data[base + (bit >>> 3)]! & (1 << (bit & 7))) === 0) return false;
      }
      return true;
    }
    const bits = this.#bits;
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
