import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../engine/cache/block-cache.js';
import { InvalidArgumentError } from '../../../engine/errors.js';
import { Block } from '../../../engine/sstable/block.js';

/** An empty block (its charge is the same for every block made here). */
function emptyBlock(offset = 0): Block {
  return new Block(new Uint8Array(4), 'f.sst', offset);
}

describe('BlockCache', () => {
  it('returns an inserted block by file number and offset, and nothing for other keys', () => {
    const cache = new BlockCache(1 << 20);
    const a = emptyBlock();
    const b = emptyBlock();
    cache.insert(1, 0, a);
    cache.insert(1, 4096, b);
    expect(cache.get(1, 0)).toBe(a);
    expect(cache.get(1, 4096)).toBe(b);
    expect(cache.get(2, 0)).toBeUndefined();
    expect(cache.get(1, 1)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, blocks: 2 });
  });

  it('keeps the total charge within capacity, evicting least recently used blocks across files', () => {
    const charge = emptyBlock().chargeBytes;
    const cache = new BlockCache(charge * 3);
    cache.insert(1, 0, emptyBlock());
    cache.insert(2, 0, emptyBlock());
    cache.insert(3, 0, emptyBlock());
    cache.get(1, 0);
    cache.insert(4, 0, emptyBlock());
    expect(cache.get(2, 0)).toBeUndefined();
    expect(cache.get(1, 0)).toBeDefined();
    expect(cache.stats().bytes).toBe(charge * 3);
  });

  it('evictFile drops exactly the blocks of that file', () => {
    const cache = new BlockCache(1 << 20);
    for (let offset = 0; offset < 10; offset++) {
      cache.insert(7, offset, emptyBlock());
      cache.insert(8, offset, emptyBlock());
    }
    cache.evictFile(7);
    cache.evictFile(99);
    for (let offset = 0; offset < 10; offset++) {
      expect(cache.get(7, offset)).toBeUndefined();
      expect(cache.get(8, offset)).toBeDefined();
    }
    expect(cache.stats().blocks).toBe(10);
  });

  it('replacing a block does not count its charge twice', () => {
    const cache = new BlockCache(1 << 20);
    const second = emptyBlock();
    cache.insert(1, 0, emptyBlock());
    cache.insert(1, 0, second);
    expect(cache.stats()).toMatchObject({ blocks: 1, bytes: second.chargeBytes });
    expect(cache.get(1, 0)).toBe(second);
  });

  it('a capacity of 0 caches nothing', () => {
    const cache = new BlockCache(0);
    cache.insert(1, 0, emptyBlock());
    expect(cache.get(1, 0)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ bytes: 0, blocks: 0, capacityBytes: 0 });
  });

  it('rejects a negative capacity, naming the API', () => {
    expect(() => new BlockCache(-5)).toThrow(InvalidArgumentError);
    expect(() => new BlockCache(-5)).toThrow(/^BlockCache: /);
  });

  it('holds exactly what a recency-list model holds after any sequence of inserts, gets and file evictions', () => {
    const charge = emptyBlock().chargeBytes;
    type Op = { op: 'insert' | 'get'; file: number; offset: number } | { op: 'evictFile'; file: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constantFrom('insert' as const, 'get' as const),
        file: fc.integer({ min: 1, max: 4 }),
        offset: fc.integer({ min: 0, max: 5 }),
      }),
      fc.record({ op: fc.constant('evictFile' as const), file: fc.integer({ min: 1, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.array(opArb, { maxLength: 80 }), (slots, ops) => {
        const cache = new BlockCache(slots * charge);
        let model: string[] = []; // most recent first, "file/offset"
        for (const o of ops) {
          if (o.op === 'evictFile') {
            cache.evictFile(o.file);
            model = model.filter((k) => !k.startsWith(`${o.file}/`));
            continue;
          }
          const key = `${o.file}/${o.offset}`;
          const at = model.indexOf(key);
          if (o.op === 'get') {
            expect(cache.get(o.file, o.offset) !== undefined).toBe(at >= 0);
            if (at >= 0) model.unshift(...model.splice(at, 1));
          } else {
            cache.insert(o.file, o.offset, emptyBlock(o.offset));
            if (at >= 0) model.splice(at, 1);
            model.unshift(key);
            model = model.slice(0, slots);
          }
          expect(cache.stats().blocks).toBe(model.length);
          expect(cache.stats().bytes).toBe(model.length * charge);
        }
        for (let file = 1; file <= 4; file++) {
          for (let offset = 0; offset <= 5; offset++) {
            expect(cache.get(file, offset) !== undefined).toBe(model.includes(`${file}/${offset}`));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
