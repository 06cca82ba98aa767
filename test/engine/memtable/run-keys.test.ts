/**
 * run-keys.ts: the copy of a sorted run's keys in run order, and the iterator's switch from
 * reading keys in place to reading the copy once the copy pays.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryArena } from '../../../engine/memtable/entry-arena.js';
import { MemTableIterator } from '../../../engine/memtable/memtable-iterator.js';
import { noteReadsInPlace, RunKeys, runKeysIfBuilt } from '../../../engine/memtable/run-keys.js';
import { lowerBound, sortNodes } from '../../../engine/memtable/sort-entries.js';
import { EntryKind, makeInternalKey } from '../../../engine/version/internal-key.js';

/** An arena of `count` entries with random keys (some repeated, as versions) and a sorted run of them. */
function arenaWithRun(count: number, seed: number): { arena: EntryArena; run: Int32Array } {
  const arena = EntryArena.create(64 << 20);
  let x = seed >>> 0 || 1;
  const random = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const run = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const key = Buffer.from(
      `key-${Math.floor(random() * count * 0.7)}${'x'.repeat(Math.floor(random() * 20))}`,
    );
    const value = Buffer.from(`value-${i}`);
    run[i] = arena.append(i + 1, EntryKind.Put, key, 0, key.length, value, 0, value.length);
  }
  sortNodes(arena, run);
  return { arena, run };
}

const nodeKey = (arena: EntryArena, node: number): Uint8Array =>
  arena.bytes.slice(arena.keyStart(node), arena.keyEnd(node));
const nodeValue = (arena: EntryArena, node: number): Uint8Array =>
  arena.bytes.slice(arena.keyEnd(node), arena.valueEnd(node));

describe('RunKeys', () => {
  it('holds every key of the run in run order, and each value range of the arena', () => {
    const { arena, run } = arenaWithRun(5000, 7);
    const keys = new RunKeys(arena, run);
    expect(keys.length).toBe(run.length);
    for (let i = 0; i < run.length; i++) {
      expect(keys.keys.subarray(keys.keyOffsets[i], keys.keyOffsets[i + 1])).toEqual(nodeKey(arena, run[i]!));
      expect(arena.bytes.subarray(keys.valueStarts[i], keys.valueEnds[i])).toEqual(nodeValue(arena, run[i]!));
    }
  });

  it('lowerBound agrees with the search over the arena nodes for any target', () => {
    const { arena, run } = arenaWithRun(3000, 11);
    const keys = new RunKeys(arena, run);
    fc.assert(
      fc.property(fc.nat(3000), fc.string({ maxLength: 3 }), fc.nat(4000), (k, suffix, seq) => {
        const target = makeInternalKey(Buffer.from(`key-${k}${suffix}`), seq, EntryKind.Put);
        expect(keys.lowerBound(target)).toBe(lowerBound(arena, run, target));
      }),
      { numRuns: 500 },
    );
  });

  it('a large run is copied only once reads in place add up to a quarter of its entries', () => {
    const { arena, run } = arenaWithRun(20_000, 3);
    expect(runKeysIfBuilt(arena, run)).toBeUndefined();
    expect(noteReadsInPlace(arena, run, 4_000)).toBeUndefined();
    expect(noteReadsInPlace(arena, run, 999)).toBeUndefined();
    const keys = noteReadsInPlace(arena, run, 1);
    expect(keys).toBeInstanceOf(RunKeys);
    expect(runKeysIfBuilt(arena, run)).toBe(keys);
    const small = arenaWithRun(100, 5);
    expect(runKeysIfBuilt(small.arena, small.run)).toBeInstanceOf(RunKeys);
  });

  it('an iterator over a large run stays on the model while it switches to the copy mid-scan', () => {
    const { arena, run } = arenaWithRun(12_000, 9);
    const it = new MemTableIterator(arena, run);
    // Forward from a seek, backward past it, then forward to the end: the switch comes
    // after 3,000 key reads, in the middle of the first leg.
    it.seek(makeInternalKey(Buffer.from('key-2'), 0, EntryKind.Put));
    let at = lowerBound(arena, run, makeInternalKey(Buffer.from('key-2'), 0, EntryKind.Put));
    const check = (): void => {
      expect(it.valid()).toBe(at >= 0 && at < run.length);
      if (it.valid()) {
        expect(it.key()).toEqual(nodeKey(arena, run[at]!));
        expect(it.value()).toEqual(nodeValue(arena, run[at]!));
      }
    };
    for (let i = 0; i < 5_000 && it.valid(); i++, at++, it.next()) check();
    expect(runKeysIfBuilt(arena, run)).toBeDefined();
    for (let i = 0; i < 6_000 && it.valid(); i++, at--, it.prev()) check();
    for (it.seekToFirst(), at = 0; it.valid(); at++, it.next()) check();
    check();
  });
});
