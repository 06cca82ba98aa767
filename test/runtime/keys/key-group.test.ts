/**
 * The key-group hash is part of the on-disk contract: a different hash would move every
 * address to another key group and strand its state. These values are pinned from the
 * first implementation (FNV-1a over UTF-8, then murmur3's finalizer).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idHash, keyGroupOf } from '../../../runtime/keys/key-group.js';

/** The definition, the slow way: encode, then hash every byte. */
function referenceHash(id: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(id)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('idHash', () => {
  it('keeps the values data was written with', () => {
    const pinned: [string, number][] = [
      ['', 2872998923],
      ['a', 444641715],
      ['42', 686566589],
      ['user-17', 1487493897],
      ['ключ', 2594288994],
      ['a😀b', 1495437518],
      ['\u00ff', 595102044],
    ];
    for (const [id, hash] of pinned) expect([id, idHash(id)]).toEqual([id, hash]);
    expect(keyGroupOf('user-17', 128)).toBe(1487493897 % 128);
  });

  it('is FNV-1a over the UTF-8 bytes, whatever the characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme-ascii', maxLength: 300, size: 'max' }),
          fc.string({ unit: 'binary', maxLength: 300, size: 'max' }),
          fc.string({ unit: 'grapheme', maxLength: 100, size: 'max' }),
        ),
        (id) => {
          expect(idHash(id)).toBe(referenceHash(id));
        },
      ),
      { numRuns: 500 },
    );
  });
});
