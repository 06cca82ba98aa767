/**
 * db_bench's values (its RandomGenerator): a 1 MiB pool made of pieces that are half random
 * printable bytes and half a repeat of them, so a value compresses to about half its size,
 * and values are consecutive slices of the pool. Slices share the pool's memory; nothing
 * writes to the pool after it is built.
 */
import type { SeededRandom } from './seeded-random.js';

/** Bytes in every value. */
export const VALUE_SIZE_BYTES = 100;

/** Fraction of a value's bytes that are random; the rest repeats them (db_bench's default). */
export const COMPRESSION_RATIO = 0.5;

const POOL_BYTES = 1 << 20;
const FIRST_PRINTABLE = 0x20;
const PRINTABLE_COUNT = 95;

/** Hands out 100-byte values that compress about 2:1. */
export class ValueGenerator {
  readonly #pool: Buffer;
  #position = 0;

  constructor(random: SeededRandom) {
    this.#pool = Buffer.allocUnsafe(POOL_BYTES);
    const randomBytes = Math.max(1, Math.round(VALUE_SIZE_BYTES * COMPRESSION_RATIO));
    for (let start = 0; start < POOL_BYTES; start += VALUE_SIZE_BYTES) {
      const end = Math.min(start + VALUE_SIZE_BYTES, POOL_BYTES);
      for (let i = start; i < end; i++) {
        this.#pool[i] =
          i - start < randomBytes
            ? FIRST_PRINTABLE + random.nextInt(PRINTABLE_COUNT)
            : this.#pool[i - randomBytes]!;
      }
    }
  }

  /** The next value: a view of the pool, valid for the life of the generator. */
  next(): Buffer {
    if (this.#position + VALUE_SIZE_BYTES > POOL_BYTES) this.#position = 0;
    const value = this.#pool.subarray(this.#position, this.#position + VALUE_SIZE_BYTES);
    this.#position += VALUE_SIZE_BYTES;
    return value;
  }
}
