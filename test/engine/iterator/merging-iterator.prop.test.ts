/**
 * MergingIterator against a model (one sorted array of every child's entries): any sequence
 * of seeks and steps in both directions, over children whose entries interleave in runs
 * (which exercises the remembered runner-up) or not at all.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InternalIterator } from '../../../engine/iterator/internal-iterator.js';
import { MergingIterator } from '../../../engine/iterator/merging-iterator.js';
import { compareInternalKeys, EntryKind, makeInternalKey } from '../../../engine/version/internal-key.js';

/** A child over sorted internal keys; key() is rewritten in a reused buffer, as real children do. */
class ArrayIterator implements InternalIterator {
  #at = -1;
  readonly #buffer = new Uint8Array(64);
  constructor(readonly entries: readonly Uint8Array[]) {}
  valid(): boolean {
    return this.#at >= 0 && this.#at < this.entries.length;
  }
  seekToFirst(): void {
    this.#at = 0;
  }
  seekToLast(): void {
    this.#at = this.entries.length - 1;
  }
  seek(target: Uint8Array): void {
    this.#at = this.entries.findIndex((e) => compareInternalKeys(e, target) >= 0);
    if (this.#at < 0) this.#at = this.entries.length;
  }
  seekForPrev(target: Uint8Array): void {
    this.#at = this.entries.findLastIndex((e) => compareInternalKeys(e, target) <= 0);
  }
  next(): void {
    this.#at++;
  }
  prev(): void {
    this.#at--;
  }
  key(): Uint8Array {
    const e = this.entries[this.#at]!;
    this.#buffer.set(e);
    return this.#buffer.subarray(0, e.length);
  }
  value(): Uint8Array {
    return this.entries[this.#at]!;
  }
  close(): void {
    this.#at = -1;
  }
}

const entryKey = (user: number, seq: number): Uint8Array =>
  makeInternalKey(new Uint8Array([user >> 8, user & 0xff]), seq, EntryKind.Put);

/** Children: distinct (user key, sequence) entries dealt to 1-6 children in runs of random length. */
const childrenArb = fc
  .tuple(
    fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 5 })), {
      maxLength: 120,
      size: 'max',
      selector: ([u, s]) => `${u}/${s}`,
    }),
    fc.integer({ min: 1, max: 6 }),
    fc.array(fc.tuple(fc.nat(5), fc.integer({ min: 1, max: 8 })), {
      minLength: 1,
      maxLength: 30,
      size: 'max',
    }),
  )
  .map(([pairs, count, deal]) => {
    const all = pairs.map(([u, s]) => entryKey(u, s)).sort(compareInternalKeys);
    const children: Uint8Array[][] = Array.from({ length: count }, () => []);
    let d = 0;
    for (let i = 0; i < all.length;) {
      const [child, run] = deal[d++ % deal.length]!;
      for (let j = 0; j < run && i < all.length; j++) children[child % count]!.push(all[i++]!);
    }
    return { all, children };
  });

type Op =
  { op: 'first' | 'last' | 'next' | 'prev' } | { op: 'seek' | 'seekForPrev'; user: number; seq: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ op: 'first' as const }),
  fc.constant({ op: 'last' as const }),
  { weight: 6, arbitrary: fc.constant({ op: 'next' as const }) },
  { weight: 6, arbitrary: fc.constant({ op: 'prev' as const }) },
  fc.record({
    op: fc.constant('seek' as const),
    user: fc.integer({ min: 0, max: 301 }),
    seq: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({
    op: fc.constant('seekForPrev' as const),
    user: fc.integer({ min: 0, max: 301 }),
    seq: fc.integer({ min: 0, max: 6 }),
  }),
);

describe('MergingIterator', () => {
  it('matches the sorted union of its children under any sequence of seeks and steps', () => {
    fc.assert(
      fc.property(childrenArb, fc.array(opArb, { maxLength: 80 }), ({ all, children }, ops) => {
        const it = new MergingIterator(children.map((c) => new ArrayIterator(c)));
        let pos = -1; // model position; -1 or all.length = not valid
        for (const o of ops) {
          const valid = pos >= 0 && pos < all.length;
          if ((o.op === 'next' || o.op === 'prev') && !valid) continue;
          if (o.op === 'first') {
            it.seekToFirst();
            pos = all.length === 0 ? -1 : 0;
          } else if (o.op === 'last') {
            it.seekToLast();
            pos = all.length - 1;
          } else if (o.op === 'next') {
            it.next();
            pos++;
          } else if (o.op === 'prev') {
            it.prev();
            pos--;
          } else if (o.op === 'seek' || o.op === 'seekForPrev') {
            const target = entryKey(o.user, o.seq);
            if (o.op === 'seek') {
              it.seek(target);
              pos = all.findIndex((e) => compareInternalKeys(e, target) >= 0);
              if (pos < 0) pos = all.length;
            } else {
              it.seekForPrev(target);
              pos = all.findLastIndex((e) => compareInternalKeys(e, target) <= 0);
            }
          }
          const expected = all[pos];
          expect(it.valid()).toBe(expected !== undefined);
          if (expected !== undefined) {
            expect(it.key()).toEqual(expected);
            expect(it.value()).toBe(expected);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a full scan in each direction visits every entry once, in order', () => {
    fc.assert(
      fc.property(childrenArb, ({ all, children }) => {
        const it = new MergingIterator(children.map((c) => new ArrayIterator(c)));
        const forward: Uint8Array[] = [];
        for (it.seekToFirst(); it.valid(); it.next()) forward.push(it.value());
        const backward: Uint8Array[] = [];
        for (it.seekToLast(); it.valid(); it.prev()) backward.push(it.value());
        expect(forward).toEqual(all);
        expect(backward).toEqual([...all].reverse());
      }),
      { numRuns: 300 },
    );
  });
});
