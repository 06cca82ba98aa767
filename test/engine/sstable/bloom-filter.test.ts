import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BLOOM_LINE_BYTES,
  BloomFilter,
  BloomFilterBuilder,
  bloomProbes,
} from '../../../engine/sstable/bloom-filter.js';
import { bloomHash, initHashing } from '../../../engine/util/checksum.js';
import { bytes } from './table-fixtures.js';

beforeAll(async () => {
  await initHashing();
});

function filterOf(keys: readonly Uint8Array[], bitsPerKey: number): BloomFilter {
  const builder = new BloomFilterBuilder(bitsPerKey);
  for (const k of keys) builder.addHash(bloomHash(k));
  return new BloomFilter(builder.finish());
}

describe('BloomFilter', () => {
  it('never rejects a key that was added, for any key set and bits per key', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 24 }), { maxLength: 300 }),
        fc.double({ min: 0.5, max: 30, noNaN: true }),
        (keys, bitsPerKey) => {
          const filter = filterOf(keys, bitsPerKey);
          for (const k of keys) expect(filter.mayContain(bloomHash(k))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('has about 1% false positives at 10 bits per key', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => bytes(`key-${i}`));
    const filter = filterOf(keys, 10);
    let falsePositives = 0;
    const probes = 20_000;
    for (let i = 0; i < probes; i++) if (filter.mayContain(bloomHash(bytes(`other-${i}`)))) falsePositives++;
    expect(falsePositives / probes).toBeLessThan(0.02);
    expect(falsePositives).toBeGreaterThan(0);
  });

  it('uses about bitsPerKey bits per key in whole 64-byte lines, and ends with 0x80 | k', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => bytes(`k${i}`));
    const builder = new BloomFilterBuilder(10);
    for (const k of keys) builder.addHash(bloomHash(k));
    const data = builder.finish();
    expect(data.length).toBe(Math.ceil(10_000 / 512) * BLOOM_LINE_BYTES + 1);
    expect(data[data.length - 1]).toBe(0x80 | 7);
  });

  it('k is round(bitsPerKey * ln 2) clamped to [1, 30]', () => {
    expect(bloomProbes(10)).toBe(7);
    expect(bloomProbes(0.1)).toBe(1);
    expect(bloomProbes(1)).toBe(1);
    expect(bloomProbes(5)).toBe(3);
    expect(bloomProbes(100)).toBe(30);
  });

  it('a filter of no keys rejects almost every key', () => {
    const filter = filterOf([], 10);
    let accepted = 0;
    for (let i = 0; i < 1000; i++) if (filter.mayContain(bloomHash(bytes(`x${i}`)))) accepted++;
    expect(accepted).toBe(0);
  });

  it('an empty filter, or a last byte this build does not know, accepts every key', () => {
    expect(new BloomFilter(new Uint8Array(0)).mayContain(bloomHash(bytes('a')))).toBe(true);
    const lastByte = (size: number, last: number): BloomFilter => {
      const data = new Uint8Array(size); // every bit clear: a filter that knew its layout would reject
      data[size - 1] = last;
      return new BloomFilter(data);
    };
    for (const filter of [
      lastByte(9, 31), // first layout, k above 30
      lastByte(65, 0x80), // cache-local, k = 0
      lastByte(65, 0x80 | 31), // cache-local, k above 30
      lastByte(66, 0x80 | 7), // cache-local, not whole lines
    ]) {
      let accepted = 0;
      for (let i = 0; i < 100; i++) if (filter.mayContain(bloomHash(bytes(`x${i}`)))) accepted++;
      expect(accepted).toBe(100);
    }
  });

  it('probes k bits of one 64-byte line (line choice and bit positions are part of the format)', () => {
    // 100 keys at 10 bits: 1000 bits, so 2 lines. Every bit of one key lands in its line.
    const lines = 2;
    const h = 0x9abcdef1;
    const builder = new BloomFilterBuilder(10);
    for (let i = 0; i < 100; i++) builder.addHash(h);
    const data = builder.finish();
    expect(data.length).toBe(lines * BLOOM_LINE_BYTES + 1);
    const line = Math.floor((h * lines) / 2 ** 32);
    const expected = new Set<number>();
    let p = h;
    for (let j = 0; j < 7; j++) {
      p = Math.imul(p, 0x9e3779b9);
      expected.add(line * 512 + (p >>> 23));
    }
    const set: number[] = [];
    for (let bit = 0; bit < lines * 512; bit++) if (data[bit >>> 3]! & (1 << (bit & 7))) set.push(bit);
    expect(set).toEqual([...expected].sort((a, b) => a - b));
  });

  it('still reads filters of the first layout (LevelDB double hashing over the whole array)', () => {
    // Written here by the layout's definition (engine/FORMAT.md), not by the builder.
    const hashes = Array.from({ length: 500 }, (_, i) => bloomHash(bytes(`old-${i}`)));
    const bits = 500 * 10;
    const data = new Uint8Array(bits / 8 + 1);
    for (const hash of hashes) {
      let h = hash;
      const delta = ((h >>> 17) | (h << 15)) >>> 0;
      for (let j = 0; j < 7; j++) {
        const bit = h % bits;
        data[bit >>> 3]! |= 1 << (bit & 7);
        h = (h + delta) >>> 0;
      }
    }
    data[bits / 8] = 7;
    const filter = new BloomFilter(data);
    for (const hash of hashes) expect(filter.mayContain(hash)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 10_000; i++) if (filter.mayContain(bloomHash(bytes(`absent-${i}`)))) falsePositives++;
    expect(falsePositives).toBeGreaterThan(0);
    expect(falsePositives / 10_000).toBeLessThan(0.03);
  });
});
