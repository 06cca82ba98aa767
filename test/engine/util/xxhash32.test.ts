/**
 * The JavaScript XXH32 that short inputs take (engine/util/xxhash32.ts) must equal the
 * reference C XXH32 (compiled into the `lz4` package) for every length, seed and sub-range:
 * a difference would change bloom filters and checksums on disk.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHORT_INPUT_BYTES, xxhash32 } from '../../../engine/util/xxhash32.js';

interface NativeXxHash {
  xxHash(input: Buffer, seed: number): number;
}
const nativeXxh = createRequire(import.meta.url)('lz4/build/Release/xxhash.node') as NativeXxHash;

function referenceXxh32(data: Uint8Array, seed: number): number {
  return nativeXxh.xxHash(Buffer.from(data.buffer, data.byteOffset, data.length), seed) >>> 0;
}

describe('xxhash32 (JavaScript)', () => {
  it('computes the published vectors', () => {
    expect(xxhash32(new Uint8Array(0), 0, 0, 0)).toBe(0x02cc5d05);
    const abc = new TextEncoder().encode('abc');
    expect(xxhash32(abc, 0, 3, 0)).toBe(0x32d153ff);
  });

  it('equals the reference XXH32 for any bytes, sub-range and seed', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2 * SHORT_INPUT_BYTES + 40, size: 'max' }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (data, a, b, seed) => {
          const start = data.length === 0 ? 0 : a % (data.length + 1);
          const end = start + (data.length === start ? 0 : b % (data.length - start + 1));
          expect(xxhash32(data, start, end, seed)).toBe(referenceXxh32(data.subarray(start, end), seed));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('equals the reference at every length around the 16-byte stripe and 4-byte lane edges', () => {
    const data = Uint8Array.from({ length: 80 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let length = 0; length <= data.length; length++) {
      expect(xxhash32(data, 0, length, 0xbc9f1d34)).toBe(
        referenceXxh32(data.subarray(0, length), 0xbc9f1d34),
      );
    }
  });
});
