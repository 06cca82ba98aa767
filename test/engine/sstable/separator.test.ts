import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shortestSeparator, shortSuccessor } from '../../../engine/sstable/separator.js';
import { compareInternalKeys, EntryKind, makeInternalKey } from '../../../engine/version/internal-key.js';
import { bytes, userKeyArb } from './table-fixtures.js';

const internalKeyArb = fc
  .tuple(userKeyArb, fc.integer({ min: 0, max: 100 }), fc.constantFrom(EntryKind.Put, EntryKind.Delete))
  .map(([k, s, kind]) => makeInternalKey(k, s, kind));

describe('shortestSeparator', () => {
  it('returns a key k with last <= k < next for any two keys last < next', () => {
    fc.assert(
      fc.property(internalKeyArb, internalKeyArb, (a, b) => {
        const c = compareInternalKeys(a, b);
        fc.pre(c !== 0);
        const [last, next] = c < 0 ? [a, b] : [b, a];
        const padded = new Uint8Array(last.length + 5);
        padded.set(last);
        const sep = shortestSeparator(padded, last.length, next);
        expect(compareInternalKeys(sep, last)).toBeGreaterThanOrEqual(0);
        expect(compareInternalKeys(sep, next)).toBeLessThan(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('shortens user keys that differ early', () => {
    const last = makeInternalKey(bytes('abcdefgh'), 5, EntryKind.Put);
    const next = makeInternalKey(bytes('abzzzz'), 9, EntryKind.Put);
    const sep = shortestSeparator(last, last.length, next);
    expect(sep.length).toBe(3 + 8);
    expect(Array.from(sep.subarray(0, 3))).toEqual(Array.from(bytes('abd')));
  });

  it('keeps the last key when the user keys are equal or adjacent', () => {
    const last = makeInternalKey(bytes('abc'), 5, EntryKind.Put);
    expect(shortestSeparator(last, last.length, makeInternalKey(bytes('abc'), 4, EntryKind.Put))).toEqual(
      last,
    );
    expect(shortestSeparator(last, last.length, makeInternalKey(bytes('abd'), 4, EntryKind.Put))).toEqual(
      last,
    );
  });
});

describe('shortSuccessor', () => {
  it('returns a key >= the given key, for any key', () => {
    fc.assert(
      fc.property(internalKeyArb, (key) => {
        expect(compareInternalKeys(shortSuccessor(key, key.length), key)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('truncates after the first byte that is not 0xff', () => {
    const key = makeInternalKey(new Uint8Array([0xff, 0x10, 0x20, 0x30]), 1, EntryKind.Put);
    expect(Array.from(shortSuccessor(key, key.length).subarray(0, 2))).toEqual([0xff, 0x11]);
    expect(shortSuccessor(key, key.length).length).toBe(2 + 8);
  });
});
