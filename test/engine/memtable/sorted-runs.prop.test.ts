/**
 * Ordering of the append-only memtable against a model: the radix sort (sort-entries.ts) on
 * keys built to exercise every branch (long shared prefixes, keys that are prefixes of
 * others, bytes 0 and 255, many versions of one key, groups above and below the
 * insertion-sort size), and the sorted runs (sorted-runs.ts) made by iterators opened
 * between adds, each of which must see exactly the entries added before it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryKind, makeInternalKey } from '../../../engine/version/internal-key.js';
import { MemTable } from '../../../engine/memtable/memtable.js';
import type { InternalIterator } from '../../../engine/iterator/internal-iterator.js';

interface Entry {
  key: Uint8Array;
  seq: number;
}

function modelCompare(a: Entry, b: Entry): number {
  return Buffer.compare(a.key, b.key) || b.seq - a.seq;
}

function expected(entries: readonly Entry[]): string[] {
  return [...entries]
    .sort(modelCompare)
    .map((e) => Buffer.from(makeInternalKey(e.key, e.seq, EntryKind.Put)).toString('hex'));
}

function forward(it: InternalIterator): string[] {
  const out: string[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) out.push(Buffer.from(it.key()).toString('hex'));
  return out;
}

function backward(it: InternalIterator): string[] {
  const out: string[] = [];
  for (it.seekToLast(); it.valid(); it.prev()) out.push(Buffer.from(it.key()).toString('hex'));
  return out.reverse();
}

/** Keys over a tiny alphabet after a shared prefix, so groups share digits at many depths. */
const keys = fc
  .record({
    prefix: fc.uint8Array({ maxLength: 13, size: 'max' }),
    tails: fc.array(fc.array(fc.constantFrom(0, 1, 2, 255), { minLength: 0, maxLength: 9, size: 'max' }), {
      minLength: 1,
      maxLength: 40,
      size: 'max',
    }),
  })
  .map(({ prefix, tails }) =>
    tails.map((t) => Uint8Array.from([...prefix, ...t])).filter((k) => k.length > 0),
  )
  .filter((ks) => ks.length > 0);

/** Entries over those keys in increasing sequence order, up to ~1500 (versions included). */
const scenario = keys.chain((space) =>
  fc
    .array(fc.tuple(fc.nat({ max: space.length - 1 }), fc.integer({ min: 1, max: 3 })), {
      minLength: 1,
      maxLength: 1500,
      size: 'max',
    })
    .map((picks) => {
      let seq = 0;
      return picks.map(([k, gap]) => ({ key: space[k]!, seq: (seq += gap) }));
    }),
);

describe('memtable ordering properties', () => {
  it('the sorted view of a whole memtable (what a flush worker sorts) matches the model, both directions', () => {
    fc.assert(
      fc.property(scenario, (entries) => {
        const m = new MemTable(1 << 20);
        for (const e of entries) m.add(e.seq, EntryKind.Put, e.key, new Uint8Array(0));
        m.seal();
        const view = MemTable.fromShared(m.shared);
        const want = expected(entries);
        const it = view.iterator();
        expect(forward(it)).toEqual(want);
        expect(backward(it)).toEqual(want);
        it.close();
        view.checkInvariants();
      }),
      { numRuns: 150 },
    );
  });

  it('iterators opened between adds each see exactly the entries added before them; runs stay sorted', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.nat(), { maxLength: 30, size: 'max' }), (entries, opens) => {
        const m = new MemTable(1 << 20);
        const openAt = new Set(opens.map((o) => o % (entries.length + 1)));
        const iterators: Array<[InternalIterator, number]> = [];
        entries.forEach((e, i) => {
          if (openAt.has(i)) iterators.push([m.iterator(), i]);
          m.add(e.seq, EntryKind.Put, e.key, new Uint8Array(0));
        });
        iterators.push([m.iterator(), entries.length]);
        for (const [it, count] of iterators) {
          const want = expected(entries.slice(0, count));
          expect(forward(it)).toEqual(want);
          expect(backward(it)).toEqual(want);
          it.close();
        }
        m.checkInvariants();
      }),
      { numRuns: 150 },
    );
  });
});
