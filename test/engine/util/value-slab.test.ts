import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyValue } from '../../../engine/util/value-slab.js';

describe('copyValue', () => {
  it('returns copies equal to their sources that share bytes with neither the sources nor each other', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 60 }), (sources) => {
        const originals = sources.map((s) => s.slice());
        const copies = sources.map((src) => copyValue(src, 0, src.length));
        copies.forEach((c, i) => expect(c).toEqual(originals[i]));
        // Mark every copy with its own byte; an overlap would leave another copy's mark.
        copies.forEach((c, i) => c.fill(i + 1));
        copies.forEach((c, i) => expect(c.every((b) => b === i + 1)).toBe(true));
        sources.forEach((s, i) => expect(s).toEqual(originals[i]));
      }),
    );
  });

  it('copies a sub-range of the source', () => {
    const src = new Uint8Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(copyValue(src, 2, 5))).toEqual([3, 4, 5]);
  });
});
