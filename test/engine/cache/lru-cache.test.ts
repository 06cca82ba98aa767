import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruCache } from '../../../engine/cache/lru-cache.js';
import { InvalidArgumentError } from '../../../engine/errors.js';

describe('LruCache', () => {
  it('evicts the least recently used entries once the charges exceed the capacity', () => {
    const cache = new LruCache<string, number>(10);
    cache.set('a', 1, 4);
    cache.set('b', 2, 4);
    expect(cache.get('a')).toBe(1); // a is now more recent than b
    cache.set('c', 3, 4);
    expect(cache.has('b')).toBe(false);
    expect(cache.keys()).toEqual(['c', 'a']);
    expect(cache.bytes).toBe(8);
  });

  it('counts hits and misses on get but not on peek', () => {
    const cache = new LruCache<number, string>(100);
    cache.set(1, 'one', 1);
    cache.get(1);
    cache.get(2);
    cache.peek(1);
    cache.peek(2);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('calls onRemove for every entry that leaves: evicted, deleted, replaced or cleared', () => {
    const removed: string[] = [];
    const cache = new LruCache<string, string>(3, { onRemove: (k, v) => removed.push(`${k}=${v}`) });
    cache.set('a', '1', 1);
    cache.set('b', '1', 1);
    cache.set('a', '2', 1);
    cache.delete('b');
    cache.set('c', '1', 1);
    cache.set('d', '1', 2); // evicts a (coldest)
    cache.clear();
    expect(removed).toEqual(['a=1', 'b=1', 'a=2', 'c=1', 'd=1']);
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
  });

  it('an entry charged more than the capacity is not kept, and capacity 0 keeps nothing', () => {
    const cache = new LruCache<string, number>(5);
    cache.set('small', 1, 2);
    cache.set('huge', 2, 6);
    expect(cache.has('huge')).toBe(false);
    expect(cache.has('small')).toBe(false);
    const none = new LruCache<string, number>(0);
    none.set('a', 1, 1);
    expect(none.size).toBe(0);
  });

  it('rejects a capacity that is negative or not an integer', () => {
    expect(() => new LruCache(-1)).toThrow(InvalidArgumentError);
    expect(() => new LruCache(1.5)).toThrow(/^LruCache: capacityBytes/);
  });

  it('holds exactly what a simple recency-list model holds after any sequence of operations', () => {
    type Op =
      { op: 'get'; key: number } | { op: 'delete'; key: number } | { op: 'set'; key: number; charge: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({
        op: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 9 }),
        charge: fc.integer({ min: 0, max: 8 }),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.array(opArb, { maxLength: 100 }), (capacity, ops) => {
        const cache = new LruCache<number, number>(capacity);
        // Model: most recent first.
        const model: { key: number; charge: number }[] = [];
        let hits = 0;
        for (const o of ops) {
          const at = model.findIndex((e) => e.key === o.key);
          if (o.op === 'get') {
            const got = cache.get(o.key);
            expect(got !== undefined).toBe(at >= 0);
            if (at >= 0) {
              hits++;
              model.unshift(...model.splice(at, 1));
            }
          } else if (o.op === 'delete') {
            expect(cache.delete(o.key)).toBe(at >= 0);
            if (at >= 0) model.splice(at, 1);
          } else {
            cache.set(o.key, o.key, o.charge);
            if (at >= 0) model.splice(at, 1);
            model.unshift({ key: o.key, charge: o.charge });
            let total = model.reduce((n, e) => n + e.charge, 0);
            while (total > capacity) total -= model.pop()!.charge;
          }
          expect(cache.keys()).toEqual(model.map((e) => e.key));
          expect(cache.bytes).toBe(model.reduce((n, e) => n + e.charge, 0));
          expect(cache.hits).toBe(hits);
        }
      }),
      { numRuns: 300 },
    );
  });
});
