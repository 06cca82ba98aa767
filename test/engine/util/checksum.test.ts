/**
 * Checksums are part of the on-disk format (engine/FORMAT.md, "Checksums"): xxHash32 with
 * fixed seeds. Checked against the published vectors, the raw xxhash-wasm API and, as an
 * independent implementation, the reference C XXH32 that the `lz4` package compiles in.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import xxhash from 'xxhash-wasm';
import type { XXHashAPI } from 'xxhash-wasm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  BLOOM_SEED,
  CHECKSUM_SEED,
  bloomHash,
  checksum32,
  initHashing,
} from '../../../engine/util/checksum.js';
import { SHORT_INPUT_BYTES } from '../../../engine/util/xxhash32.js';

interface NativeXxHash {
  xxHash(input: Buffer, seed: number): number;
}
const nativeXxh = createRequire(import.meta.url)('lz4/build/Release/xxhash.node') as NativeXxHash;

/** The reference C XXH32, unsigned. */
function referenceXxh32(data: Uint8Array, seed: number): number {
  return nativeXxh.xxHash(Buffer.from(data.buffer, data.byteOffset, data.length), seed) >>> 0;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('xxHash32 checksums', () => {
  let raw: XXHashAPI;

  beforeAll(async () => {
    await initHashing();
    raw = await xxhash();
  });

  it('the xxhash-wasm library computes the published XXH32 vectors with seed 0', () => {
    expect(raw.h32Raw(new Uint8Array(0), 0) >>> 0).toBe(0x02cc5d05);
    expect(raw.h32Raw(ascii('abc'), 0) >>> 0).toBe(0x32d153ff);
    expect(referenceXxh32(new Uint8Array(0), 0)).toBe(0x02cc5d05);
    expect(referenceXxh32(ascii('abc'), 0)).toBe(0x32d153ff);
  });

  it('the format seeds are the documented constants', () => {
    expect(CHECKSUM_SEED).toBe(0x5f3759df);
    expect(BLOOM_SEED).toBe(0xbc9f1d34);
  });

  it('checksum32 is the reference XXH32 with the checksum seed, as an unsigned 32-bit number', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300, size: 'max' }), (data) => {
        const sum = checksum32(data);
        expect(sum).toBe(referenceXxh32(data, CHECKSUM_SEED));
        expect(sum).toBe(raw.h32Raw(data, CHECKSUM_SEED) >>> 0);
        expect(Number.isInteger(sum) && sum >= 0 && sum <= 0xffffffff).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('bloomHash is the reference XXH32 with the bloom seed, distinct from the checksum', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64, size: 'max' }), (key) => {
        expect(bloomHash(key)).toBe(referenceXxh32(key, BLOOM_SEED));
      }),
    );
    expect(bloomHash(ascii('key'))).not.toBe(checksum32(ascii('key')));
  });

  it('checksum32 of a subrange equals checksum32 of that slice', () => {
    const withRange = fc
      .uint8Array({ maxLength: 200, size: 'max' })
      .chain((data) =>
        fc
          .tuple(fc.nat({ max: data.length }), fc.nat({ max: data.length }))
          .map(([i, j]): [Uint8Array, number, number] => [data, Math.min(i, j), Math.max(i, j)]),
      );
    fc.assert(
      fc.property(withRange, ([data, start, end]) => {
        expect(checksum32(data, start, end)).toBe(checksum32(data.slice(start, end)));
      }),
      { numRuns: 500 },
    );
  });

  it('checksum32 of a view into a larger buffer hashes only the view', () => {
    const backing = ascii('xxabcxx');
    const view = backing.subarray(2, 5);
    expect(checksum32(view)).toBe(checksum32(ascii('abc')));
    expect(checksum32(backing, 2)).toBe(checksum32(ascii('abcxx')));
  });

  it('initHashing can be called again and resolves at once', async () => {
    await Promise.all([initHashing(), initHashing()]);
    expect(checksum32(ascii('abc'))).toBe(referenceXxh32(ascii('abc'), CHECKSUM_SEED));
  });

  it('checksum32 of a long input before initHashing has completed throws an InvariantError instead of hashing', async () => {
    vi.resetModules();
    const fresh = await import('../../../engine/util/checksum.js');
    const freshInvariant = await import('../../../engine/util/invariant.js');
    // Inputs up to SHORT_INPUT_BYTES are hashed in JavaScript and need no module.
    const long = new Uint8Array(SHORT_INPUT_BYTES + 1).fill(7);
    expect(() => fresh.checksum32(long)).toThrow(freshInvariant.InvariantError);
    expect(() => fresh.checksum32(long)).toThrow(/initHashing/);
    expect(fresh.checksum32(ascii('abc'))).toBe(referenceXxh32(ascii('abc'), CHECKSUM_SEED));
    await fresh.initHashing();
    expect(fresh.checksum32(long)).toBe(checksum32(long));
  });
});
