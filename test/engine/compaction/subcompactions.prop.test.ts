/**
 * splitRanges against its contract: the ranges cover every key once, in order, and with
 * distinct anchor keys no part gets more than its share plus one anchor's bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anchorStride, joinPartResults, splitRanges } from '../../../engine/compaction/subcompactions.js';
import type { JobResult } from '../../../engine/compaction/job-spec.js';
import type { FileMetadata } from '../../../engine/version/file-metadata.js';
import type { KeyRange, TableAnchors } from '../../../engine/compaction/subcompactions.js';
import { compareBytes } from '../../../engine/util/bytes.js';

/** Tables of anchors: ascending keys, rising end offsets, from `keys` (each a one- or two-byte key). */
function tablesArb(distinct: boolean): fc.Arbitrary<TableAnchors[]> {
  const key = fc.integer({ min: 0, max: distinct ? 4000 : 40 });
  return fc
    .array(fc.array(fc.tuple(key, fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 30 }), {
      minLength: 1,
      maxLength: 6,
    })
    .map((tables) => {
      const used = new Set<number>();
      return tables.map((entries) => {
        const keys = [...new Set(entries.map(([k]) => k))].filter((k) => !distinct || !used.has(k));
        keys.sort((a, b) => a - b);
        for (const k of keys) used.add(k);
        let end = 0;
        return keys.map((k, i) => ({
          userKey: Uint8Array.of(k >> 8, k & 0xff),
          endOffset: (end += entries[i % entries.length]![1]),
        }));
      });
    });
}

/** Which range holds `key`. */
function rangeOf(ranges: KeyRange[], key: Uint8Array): number {
  return ranges.findIndex(
    (r) =>
      (r.start === undefined || compareBytes(key, r.start) >= 0) &&
      (r.end === undefined || compareBytes(key, r.end) < 0),
  );
}

function checkShape(ranges: KeyRange[], parts: number): void {
  expect(ranges.length).toBeGreaterThanOrEqual(1);
  expect(ranges.length).toBeLessThanOrEqual(Math.max(1, parts));
  expect(ranges[0]!.start).toBeUndefined();
  expect(ranges[ranges.length - 1]!.end).toBeUndefined();
  for (let i = 1; i < ranges.length; i++) {
    expect(ranges[i]!.start).toEqual(ranges[i - 1]!.end);
    if (i > 1) expect(compareBytes(ranges[i]!.start!, ranges[i - 1]!.start!)).toBeGreaterThan(0);
  }
}

describe('splitRanges', () => {
  it('covers every key once with ranges in key order, for any anchors', () => {
    fc.assert(
      fc.property(
        tablesArb(false),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 0xffff }),
        (tables, parts, probe) => {
          const ranges = splitRanges(tables, parts);
          checkShape(ranges, parts);
          const key = Uint8Array.of(probe >> 8, probe & 0xff);
          const holders = ranges.filter((_, i) => i === rangeOf(ranges, key));
          expect(holders).toHaveLength(1);
        },
      ),
    );
  });

  it('gives each part at most its share of the bytes plus one anchor, with distinct anchor keys', () => {
    fc.assert(
      fc.property(tablesArb(true), fc.integer({ min: 2, max: 8 }), (tables, parts) => {
        const ranges = splitRanges(tables, parts);
        checkShape(ranges, parts);
        const bytes = ranges.map(() => 0);
        let total = 0;
        let largest = 0;
        for (const anchors of tables) {
          let before = 0;
          for (const a of anchors) {
            const b = a.endOffset - before;
            before = a.endOffset;
            bytes[rangeOf(ranges, a.userKey)]! += b;
            total += b;
            largest = Math.max(largest, b);
          }
        }
        for (const b of bytes) expect(b).toBeLessThan(total / parts + largest + 1);
      }),
    );
  });

  it('splits evenly spread data into as many parts as asked', () => {
    const table = Array.from({ length: 100 }, (_, i) => ({
      userKey: Uint8Array.of(i),
      endOffset: (i + 1) * 10,
    }));
    const ranges = splitRanges([table], 4);
    expect(ranges.map((r) => [r.start?.[0], r.end?.[0]])).toEqual([
      [undefined, 25],
      [25, 50],
      [50, 75],
      [75, undefined],
    ]);
  });

  it('keeps one range when there is nothing to split by', () => {
    expect(splitRanges([], 4)).toEqual([{}]);
    expect(splitRanges([[{ userKey: Uint8Array.of(1), endOffset: 100 }]], 4)).toEqual([{}]);
    const one = [{ userKey: Uint8Array.of(7), endOffset: 50 }];
    expect(splitRanges([one, one, one], 3)).toEqual([{}]);
    expect(
      splitRanges(
        [
          [
            { userKey: Uint8Array.of(1), endOffset: 10 },
            { userKey: Uint8Array.of(2), endOffset: 20 },
          ],
        ],
        1,
      ),
    ).toEqual([{}]);
  });

  it('asks each table for a few anchors per part', () => {
    expect(anchorStride(10, 4)).toBe(1);
    expect(anchorStride(6400, 2)).toBe(400);
    expect(anchorStride(6400, 16)).toBe(50);
  });
});

describe('joinPartResults', () => {
  const part = (n: number, reported?: number[]): JobResult => ({
    outputs: [{ number: n } as FileMetadata, { number: n + 1 } as FileMetadata],
    bytesRead: 100 * n,
    bytesWritten: 10 * n,
    entriesIn: n,
    entriesDropped: 2 * n,
    entriesExpired: 3 * n,
    entriesReported: reported?.length ?? 0,
    ...(reported === undefined ? {} : { reported: reported.map((k) => Uint8Array.of(k)) }),
  });

  it('keeps the outputs in part order, sums the counts and keeps the first reported keys', () => {
    const joined = joinPartResults([part(1, [1, 2]), part(5), part(9, [3, 4])], 3);
    expect(joined.outputs.map((f) => f.number)).toEqual([1, 2, 5, 6, 9, 10]);
    expect(joined).toMatchObject({
      bytesRead: 1500,
      bytesWritten: 150,
      entriesIn: 15,
      entriesDropped: 30,
      entriesExpired: 45,
      entriesReported: 4,
    });
    expect(joined.reported).toEqual([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
    expect(joinPartResults([part(1), part(3)], 3).reported).toBeUndefined();
  });
});
