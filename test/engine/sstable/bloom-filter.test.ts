import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BloomFilter, BloomFilterBuilder, bloomProbes } from '../../../engine/sstable/bloom-filter.js';
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

  it('uses about bitsPerKey bits per key and stores k in its last byte', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => bytes(`k${i}`));
    const builder = new BloomFilterBuilder(10);
    for (const k of keys) builder.addHash(bloomHash(k));
    const data = builder.finish();
    expect(data.length).toBe(1250 + 1);
    expect(data[data.length - 1]).toBe(7);
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

  it('an empty filter or one with a reserved k accepts every key', () => {
    expect(new BloomFilter(new Uint8Array(0)).mayContain(bloomHash(bytes('a')))).toBe(true);
    const reserved = new Uint8Array(9);
    reserved[8] = 31;
    expect(new BloomFilter(reserved).mayContain(bloomHash(bytes('a')))).toBe(true);
  });

  it('probes with LevelDB double hashing (bit positions are part of the format)', () => {
    // One hash, k = 1 (bitsPerKey 1), 64 bits: the only bit set is hash % 64.
    const builder = new BloomFilterBuilder(1);
    builder.addHash(0x12345678);
    const data = builder.finish();
    const bit = 0x12345678 % 64;
    const set: number[] = [];
    for (let i = 0; i < 64; i++) if (data[i >>> 3]! & (1 << (i & 7))) set.push(i);
    expect(set).toEqual([bit]);
    // k = 2: second bit at (h + rotr(h, 17)) mod bits.
    const two = new BloomFilterBuilder(3);
    two.addHash(0x12345678);
    const data2 = two.finish();
    const h = 0x12345678;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    const expected = [h % 64, ((h + delta) >>> 0) % 64].sort((a, b) => a - b);
    const set2: number[] = [];
    for (let i = 0; i < 64; i++) if (data2[i >>> 3]! & (1 << (i & 7))) set2.push(i);
    expect(set2).toEqual(expected);
  });
});
