import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockCache, MissMarks } from '../../../engine/cache/block-cache.js';
import type { FileBlocks } from '../../../engine/cache/block-cache.js';
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

  it('keeps the total charge within capacity, evicting blocks not used since eviction last passed them, across files', () => {
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

  it('holds exactly what a second-chance list model holds after any sequence of inserts, gets and file evictions', () => {
    // Reads and inserts go through the cache's keys (file, offset) or, as a table's point
    // reads do, through a shelf each file's "table" keeps and by block number (here the
    // offset). Both must always agree with the model, identities included: a slot by number
    // must never return a block the cache evicted or replaced.
    const charge = emptyBlock().chargeBytes;
    type Via = 'key' | 'shelf';
    type Op =
      { op: 'insert' | 'get'; via: Via; file: number; offset: number } | { op: 'evictFile'; file: number };
    // File evictions are rare and sequences long, so that the cache fills and evicts often
    // between them: that is where the order of eviction shows.
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 12,
        arbitrary: fc.record({
          op: fc.constantFrom('insert' as const, 'get' as const),
          via: fc.constantFrom('key' as const, 'shelf' as const),
          file: fc.integer({ min: 1, max: 4 }),
          offset: fc.integer({ min: 0, max: 5 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constant('evictFile' as const), file: fc.integer({ min: 1, max: 4 }) }),
      },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.array(opArb, { maxLength: 120, size: 'max' }),
        (slots, ops) => {
          const cache = new BlockCache(slots * charge);
          const shelves = new Map<number, FileBlocks>();
          const shelfOf = (file: number): FileBlocks => {
            let shelf = shelves.get(file);
            if (shelf === undefined || shelf.detached) {
              shelf = cache.shelf(file);
              shelves.set(file, shelf);
            }
            if (shelf.byNumber === undefined) shelf.reserveNumbers(6);
            return shelf;
          };
          // Most recently inserted or passed over first, key "file/offset"; a hit marks.
          let model: { key: string; block: Block; marked: boolean }[] = [];
          for (const o of ops) {
            if (o.op === 'evictFile') {
              cache.evictFile(o.file);
              model = model.filter((e) => !e.key.startsWith(`${o.file}/`));
              continue;
            }
            const key = `${o.file}/${o.offset}`;
            const at = model.findIndex((e) => e.key === key);
            if (o.op === 'get') {
              const got =
                o.via === 'key'
                  ? cache.get(o.file, o.offset)
                  : cache.getNumbered(shelfOf(o.file), o.offset, o.offset);
              expect(got).toBe(at >= 0 ? model[at]!.block : undefined);
              if (at >= 0) model[at]!.marked = true;
            } else {
              const block = emptyBlock(o.offset);
              if (o.via === 'key') cache.insert(o.file, o.offset, block);
              else cache.insertInto(shelfOf(o.file), o.offset, block, o.offset);
              if (at >= 0) model.splice(at, 1);
              const added = { key, block, marked: false };
              model.unshift(added);
              // Second chance: the coldest goes round again if marked (or if it is the one
              // just added and others remain), unmarked; else it is evicted.
              while (model.length > slots) {
                const coldest = model[model.length - 1]!;
                if (coldest.marked || (coldest === added && model.length > 1)) {
                  coldest.marked = false;
                  model.unshift(model.pop()!);
                } else {
                  model.pop();
                }
              }
            }
            expect(cache.stats().blocks).toBe(model.length);
            expect(cache.stats().bytes).toBe(model.length * charge);
          }
          for (let file = 1; file <= 4; file++) {
            for (let offset = 0; offset <= 5; offset++) {
              const expected = model.find((e) => e.key === `${file}/${offset}`)?.block;
              expect(cache.getNumbered(shelfOf(file), offset, offset)).toBe(expected);
              expect(cache.get(file, offset)).toBe(expected);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a shelf let go by evictFile is detached, and the file gets a fresh one', () => {
    const cache = new BlockCache(1 << 20);
    const shelf = cache.shelf(3);
    shelf.reserveNumbers(4);
    cache.insertInto(shelf, 4096, emptyBlock(), 1);
    cache.evictFile(3);
    expect(shelf.detached).toBe(true);
    expect(cache.getNumbered(shelf, 1, 4096)).toBeUndefined();
    // An insert through a detached shelf lands in the file's current shelf, not the dead one.
    const block = emptyBlock();
    cache.insertInto(shelf, 4096, block, 1);
    expect(cache.get(3, 4096)).toBe(block);
    expect(cache.shelf(3)).not.toBe(shelf);
  });
});

describe('BlockCache.admit', () => {
  const charge = emptyBlock().chargeBytes;

  /** A cache of `blocks` blocks, filled from file 1. */
  function fullCache(blocks: number): BlockCache {
    const cache = new BlockCache(charge * blocks);
    for (let i = 0; i < blocks; i++) cache.insert(1, i, emptyBlock(i));
    return cache;
  }

  it('takes every block while the cache has room for it', () => {
    const cache = new BlockCache(charge * 4);
    const missed = new MissMarks(10);
    for (let i = 0; i < 3; i++) {
      expect(cache.admit(missed, i, charge)).toBe(true);
      cache.insert(2, i, emptyBlock(i));
    }
    expect(cache.admit(missed, 3, charge)).toBe(true);
    expect(cache.stats().notAdmitted).toBe(0);
    expect(missed.epochs).toBeUndefined();
  });

  it('once full, refuses a block on its first miss and takes it on the next', () => {
    const cache = fullCache(8);
    const missed = new MissMarks(10);
    expect(cache.admit(missed, 5, charge)).toBe(false);
    expect(cache.admit(missed, 6, charge)).toBe(false);
    expect(cache.admit(missed, 5, charge)).toBe(true);
    // Taking it clears its mark: a block evicted later starts over.
    expect(cache.admit(missed, 5, charge)).toBe(false);
    expect(cache.stats().notAdmitted).toBe(3);
  });

  it('forgets a miss after two epochs of a full cache worth of refusals', () => {
    const blocks = 8;
    const cache = fullCache(blocks);
    const missed = new MissMarks(1);
    const others = new MissMarks(1000);
    expect(cache.admit(missed, 0, charge)).toBe(false);
    // One refusal of block 0 and 7 more: the end of the first epoch. A miss in the next
    // epoch is still recent.
    for (let i = 0; i < blocks - 1; i++) expect(cache.admit(others, i, charge)).toBe(false);
    expect(cache.admit(missed, 0, charge)).toBe(true);
    expect(cache.admit(missed, 0, charge)).toBe(false);
    // Now two whole epochs pass: the mark is too old.
    for (let i = 0; i < 2 * blocks; i++) expect(cache.admit(others, 100 + i, charge)).toBe(false);
    expect(cache.admit(missed, 0, charge)).toBe(false);
  });

  it('takes a block its table marks do not cover', () => {
    const cache = fullCache(4);
    expect(cache.admit(new MissMarks(2), 2, charge)).toBe(true);
  });
});
