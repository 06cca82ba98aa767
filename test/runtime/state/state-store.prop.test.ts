/**
 * StateStore against a model map: whatever the hot cache holds or has evicted, whatever
 * layers are buffered, submitted, held or written, and whether the engine's writes have
 * resolved yet, `get` and `range` give the newest value of every key; and `bufferedBytes`
 * counts each buffered key once, with its newest value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import { StateStore } from '../../../runtime/state/state-store.js';

/** Keys share a prefix and differ in their last characters, as state keys do. */
function keyOf(n: number): string {
  return `\u0000\u0001prefix\u00ff${String.fromCharCode(n % 7)}${n}`;
}

const ops = fc.array(
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({ op: fc.constant('put' as const), key: fc.nat(40), value: fc.nat(300) }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.nat(40) }) },
    { weight: 5, arbitrary: fc.record({ op: fc.constant('get' as const), key: fc.nat(40) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('range' as const),
        from: fc.nat(40),
        to: fc.nat(40),
        limit: fc.integer({ min: 1, max: 8 }),
      }),
    },
    { weight: 2, arbitrary: fc.constant({ op: 'submit' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'hold' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'release' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'settle' as const }) },
  ),
  { maxLength: 200, size: 'max' },
);

describe('StateStore', () => {
  it('reads the newest value of every key, with any cache size', async () => {
    const seen = { evictions: 0, engineReads: 0, layerReads: 0, boundedRanges: 0 };
    await fc.assert(
      fc.asyncProperty(ops, fc.constantFrom(0, 200, 600, 1 << 20), async (script, cacheBytes) => {
        const db = await Engine.open('/db', { fileSystem: new MemoryFileSystem() });
        const store = new StateStore(db, cacheBytes, (err) => {
          throw err;
        });
        const model = new Map<string, Uint8Array>();
        /** Bytes of each key written since the store last submitted: what bufferedBytes counts. */
        const buffered = new Map<string, number>();
        const value = (v: number): Uint8Array => new Uint8Array(1 + (v % 50)).fill(v % 256);
        try {
          for (const step of script) {
            switch (step.op) {
              case 'put': {
                const v = value(step.value);
                store.put(keyOf(step.key), v);
                model.set(keyOf(step.key), v.slice());
                buffered.set(keyOf(step.key), keyOf(step.key).length + v.length);
                break;
              }
              case 'delete':
                store.delete(keyOf(step.key));
                model.delete(keyOf(step.key));
                buffered.set(keyOf(step.key), keyOf(step.key).length);
                break;
              case 'get': {
                const before = store.cacheStats();
                const got = store.get(keyOf(step.key));
                expect(got).toEqual(model.get(keyOf(step.key)));
                if (store.cacheStats().misses > before.misses) seen.engineReads++;
                // The bytes are the reader's own: changing them changes no later read.
                got?.fill(0xee);
                break;
              }
              case 'range': {
                const [lo, hi] = [keyOf(step.from), keyOf(step.to)].sort() as [string, string];
                const expected = [...model.entries()]
                  .filter(([k]) => k >= lo && k < hi)
                  .sort(([a], [b]) => (a < b ? -1 : 1));
                const actual = store.range(lo, hi);
                expect(actual.map(([k]) => k)).toEqual(expected.map(([k]) => k));
                expect(actual.map(([, v]) => v)).toEqual(expected.map(([, v]) => v));
                // Bounded: complete up to its bound and nothing past it; the whole range without one.
                const { entries, complete } = store.rangeUpTo(lo, hi, step.limit);
                const upTo = expected.filter(([k]) => complete === undefined || k <= complete);
                expect(entries.map(([k]) => k)).toEqual(upTo.map(([k]) => k));
                expect(entries.map(([, v]) => v)).toEqual(upTo.map(([, v]) => v));
                if (complete !== undefined) seen.boundedRanges++;
                break;
              }
              case 'submit':
                store.submit();
                if (!store.held) buffered.clear();
                break;
              case 'hold':
                if (!store.held) {
                  // What it returns settles with the writes, which settled() awaits below.
                  void store.hold();
                  buffered.clear();
                }
                break;
              case 'release':
                if (store.held) {
                  store.release();
                  buffered.clear();
                }
                break;
              case 'settle':
                await store.settled();
                break;
            }
            // Rewriting a key replaces its bytes: what a held checkpoint bounds is memory.
            expect(store.bufferedBytes).toBe([...buffered.values()].reduce((a, b) => a + b, 0));
            const stats = store.cacheStats();
            expect(stats.bytes).toBeLessThanOrEqual(cacheBytes);
            if (stats.entries < model.size) seen.evictions++;
          }
          if (store.held) store.release();
          else store.submit();
          await store.settled();
          // The engine alone (a new store with a cold cache) holds the same.
          const cold = new StateStore(db, 0, () => undefined);
          for (let k = 0; k <= 40; k++) expect(cold.get(keyOf(k))).toEqual(model.get(keyOf(k)));
        } finally {
          await db.close();
        }
      }),
      { numRuns: 150 },
    );
    // The runs went through the paths that matter: evictions and reads that missed the cache.
    expect(seen.evictions).toBeGreaterThan(0);
    expect(seen.engineReads).toBeGreaterThan(0);
    expect(seen.boundedRanges).toBeGreaterThan(0);
  });
});
