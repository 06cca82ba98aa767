/**
 * db_bench's keys: key `i` is `i` in zero-padded decimal, 16 ASCII bytes, so key order is index
 * order and figures compare with published db_bench runs. Random workloads draw indices from a
 * seeded generator, so every key they read is one that a fill wrote.
 */
import type { SeededRandom } from './seeded-random.js';

/** Bytes in every key. */
export const KEY_SIZE_BYTES = 16;

/** Largest key count: indices must fit a Uint32Array and in 16 decimal digits. */
export const MAX_KEY_COUNT = 0xffff_ffff;

/** Makes the keys of a key space of `count` keys. */
export class KeyGenerator {
  readonly count: number;

  constructor(count: number) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_KEY_COUNT) {
      throw new RangeError(`KeyGenerator: count must be an integer in [1, ${MAX_KEY_COUNT}], got ${count}`);
    }
    this.count = count;
  }

  /** The key of `index`: a fresh Buffer, since stores may keep a reference to it. */
  keyAt(index: number): Buffer {
    const key = Buffer.allocUnsafe(KEY_SIZE_BYTES);
    let rest = index;
    for (let i = KEY_SIZE_BYTES - 1; i >= 0; i--) {
      key[i] = 48 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    return key;
  }

  /** Every index once, in a random order (Fisher–Yates): fillrandom writes each key once. */
  shuffledIndices(random: SeededRandom): Uint32Array {
    const indices = new Uint32Array(this.count);
    for (let i = 0; i < indices.length; i++) indices[i] = i;
    for (let i = indices.length - 1; i > 0; i--) {
      const j = random.nextInt(i + 1);
      const swap = indices[i]!;
      indices[i] = indices[j]!;
      indices[j] = swap;
    }
    return indices;
  }

  /** A uniformly random index, drawn with replacement as db_bench's random reads do. */
  randomIndex(random: SeededRandom): number {
    return random.nextInt(this.count);
  }
}
