/**
 * LZ4 block compression: what lz4Compress returns always decompresses to its input and saves
 * at least 1/8, and lz4Decompress turns every kind of bad input (garbage, truncation, a wrong
 * or impossible size) into `undefined` so that the caller can report corruption.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import type * as Lz4Module from 'lz4';
import { describe, expect, it } from 'vitest';
import { lz4Compress, lz4Decompress } from '../../../engine/util/compression.js';

const lz4 = createRequire(import.meta.url)('lz4') as typeof Lz4Module;

/** What raw LZ4 makes of `input`: the oracle for when compressing is worth it. */
function rawCompressedLength(input: Uint8Array): number {
  const out = new Uint8Array(lz4.encodeBound(input.length));
  return lz4.encodeBlock(input, out);
}

/** Repeats `unit` to `length` bytes. */
function repeat(unit: Uint8Array, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => unit[i % unit.length]!);
}

/** Random and repetitive runs side by side: ratios spread around the 1/8 threshold. */
const mixedBlock = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 64, size: 'max' }),
      fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.integer({ min: 4, max: 64 }))
        .map(([unit, length]) => repeat(unit, length)),
    ),
    { maxLength: 40, size: 'max' },
  )
  .map((runs) => Uint8Array.from(runs.flatMap((r) => [...r])));

/** Inputs from incompressible to highly repetitive, around the 64-byte minimum. */
const block = fc.oneof(
  mixedBlock,
  fc.uint8Array({ maxLength: 2000, size: 'max' }),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 16, size: 'max' }), fc.integer({ min: 1, max: 300 }))
    .map(([unit, times]) =>
      Uint8Array.from({ length: unit.length * times }, (_, i) => unit[i % unit.length]!),
    ),
  fc
    .array(fc.constantFrom(...'key-000123 value lorem ipsum '.split(' ')), { maxLength: 400, size: 'max' })
    .map((words) => new TextEncoder().encode(words.join(' '))),
);

function randomBytes(n: number, seed: number): Uint8Array {
  // xorshift32: deterministic, and incompressible enough for LZ4.
  let x = seed || 1;
  return Uint8Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

describe('lz4Compress / lz4Decompress', () => {
  it('compressed output decompresses to the input and saves at least 1/8; otherwise compress declines', () => {
    const seen = { compressed: 0, declined: 0 };
    fc.assert(
      fc.property(block, (input) => {
        const compressed = lz4Compress(input);
        if (compressed === undefined) {
          seen.declined++;
          return;
        }
        seen.compressed++;
        expect(input.length).toBeGreaterThanOrEqual(64);
        expect(compressed.length).toBeLessThanOrEqual(input.length - (input.length >>> 3));
        expect(lz4Decompress(compressed, input.length)).toEqual(input);
      }),
      { numRuns: 1000 },
    );
    expect(seen.compressed).toBeGreaterThan(0);
    expect(seen.declined).toBeGreaterThan(0);
  });

  it('compress declines exactly the inputs under 64 bytes or where LZ4 saves less than 1/8', () => {
    fc.assert(
      fc.property(block, (input) => {
        const worthIt =
          input.length >= 64 && rawCompressedLength(input) <= input.length - (input.length >>> 3);
        expect(lz4Compress(input) !== undefined).toBe(worthIt);
      }),
      { numRuns: 1000 },
    );
  });

  it('compresses repetitive data and declines incompressible or short data', () => {
    const zeros = new Uint8Array(4096);
    const compressed = lz4Compress(zeros);
    expect(compressed).toBeDefined();
    expect(compressed!.length).toBeLessThan(100);
    expect(lz4Decompress(compressed!, 4096)).toEqual(zeros);
    expect(lz4Compress(randomBytes(4096, 7))).toBeUndefined();
    expect(lz4Compress(new Uint8Array(63))).toBeUndefined();
    expect(lz4Compress(new Uint8Array(0))).toBeUndefined();
  });

  it('each result is a view of memory the next call reuses, and decompresses when copied in time', () => {
    const first = lz4Compress(new Uint8Array(200).fill(1))!.slice();
    const view = lz4Compress(new Uint8Array(4096).fill(2))!;
    const second = view.slice();
    const third = lz4Compress(new Uint8Array(300).fill(3))!;
    expect(third.buffer).toBe(view.buffer);
    expect(lz4Decompress(first, 200)).toEqual(new Uint8Array(200).fill(1));
    expect(lz4Decompress(second, 4096)).toEqual(new Uint8Array(4096).fill(2));
    expect(lz4Decompress(third, 300)).toEqual(new Uint8Array(300).fill(3));
  });

  it('decompressing with a size other than the original returns undefined', () => {
    fc.assert(
      fc.property(block, fc.integer({ min: -3, max: 3 }), (input, delta) => {
        const compressed = lz4Compress(input);
        fc.pre(compressed !== undefined && delta !== 0 && input.length + delta >= 0);
        expect(lz4Decompress(compressed, input.length + delta)).toBeUndefined();
      }),
    );
  });

  it('decompressing any strict prefix of a compressed block returns undefined', () => {
    fc.assert(
      fc.property(block, (input) => {
        const compressed = lz4Compress(input);
        fc.pre(compressed !== undefined);
        for (let n = 0; n < compressed.length; n++) {
          expect(lz4Decompress(compressed.subarray(0, n), input.length)).toBeUndefined();
        }
      }),
      { numRuns: 50 },
    );
  });

  it('decompressing garbage with any size returns undefined or exactly size bytes, and never throws', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200, size: 'max' }),
        fc.oneof(
          fc.nat({ max: 5000 }),
          fc.integer({ min: -10, max: -1 }),
          fc.constantFrom(0.5, NaN, Infinity),
        ),
        (garbage, size) => {
          let out: Uint8Array | undefined;
          expect(() => {
            out = lz4Decompress(garbage, size);
          }).not.toThrow();
          if (out !== undefined) expect(out.length).toBe(size);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a size no LZ4 block of that length could expand to is rejected without allocating it', () => {
    const compressed = lz4Compress(new Uint8Array(4096))!;
    expect(lz4Decompress(compressed, 2 ** 40)).toBeUndefined();
    expect(lz4Decompress(compressed, -1)).toBeUndefined();
    expect(lz4Decompress(compressed, 4096.5)).toBeUndefined();
  });

  it('a block at the best LZ4 ratio still decompresses (the size bound is not too tight)', () => {
    const big = new Uint8Array(1 << 20);
    const compressed = lz4Compress(big)!;
    expect(big.length / compressed.length).toBeGreaterThan(200);
    const out = lz4Decompress(compressed, big.length);
    expect(out && Buffer.compare(out, big)).toBe(0);
  });
});
