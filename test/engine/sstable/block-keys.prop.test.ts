/**
 * BlockKeys (the decoded keys of a block, for point reads) and PointIndex against a model:
 * for any sorted block and any target internal key, find() is the model's lower bound (the
 * first key >= target), and every entry's key and value ranges are the block's own.
 * Keys come from a tiny alphabet with long shared prefixes, include the empty user key,
 * keys that are prefixes of each other, many versions of one user key, and a last key that
 * shares no prefix with the others (as the table writer's shortened last index key does).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Block } from '../../../engine/sstable/block.js';
import { BlockBuilder } from '../../../engine/sstable/block-builder.js';
import { BlockKeys } from '../../../engine/sstable/block-keys.js';
import { PointIndex } from '../../../engine/sstable/point-index.js';
import { encodeBlockHandle } from '../../../engine/sstable/format.js';
import {
  compareInternalKeys,
  EntryKind,
  makeInternalKey,
  userKeyOf,
} from '../../../engine/version/internal-key.js';
import { bloomHash } from '../../../engine/util/checksum.js';

/**
 * A failing run must report, not hang: shrinking a counterexample of these arbitraries can
 * go on without end (a mutation of findUser made fast-check shrink one fixed case for
 * minutes, synchronously, out of reach of the test timeout). The limit also covers
 * shrinking; an interrupted run fails with the smallest case found so far.
 */
const BOUNDED = { interruptAfterTimeLimit: 20_000, markInterruptAsFailure: true } as const;

interface Entry {
  key: Uint8Array;
  value: Uint8Array;
}

function buildBlock(entries: readonly Entry[], restartInterval: number): Block {
  const builder = new BlockBuilder(restartInterval);
  for (const e of entries) builder.add(e.key, e.value);
  return new Block(builder.finish().slice(), 'test.sst', 0);
}

/** Model: index of the first key >= target, or the count. */
function lowerBound(entries: readonly Entry[], target: Uint8Array): number {
  const i = entries.findIndex((e) => compareInternalKeys(e.key, target) >= 0);
  return i < 0 ? entries.length : i;
}

/** User keys: a shared prefix (often long, so the four-byte window starts past it) then 0-6 bytes. */
const userKeyArb = fc
  .tuple(
    fc.constantFrom('', '0000000000', 'abcdefgh'),
    fc.array(fc.constantFrom(0x00, 0x01, 0x30, 0x31, 0x39, 0xff), { maxLength: 6 }),
  )
  .map(([prefix, rest]) => new Uint8Array([...Buffer.from(prefix), ...rest]));

const internalKeyArb = fc
  .tuple(
    userKeyArb,
    fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(2 ** 53 - 1)),
    fc.constantFrom(EntryKind.Put, EntryKind.Delete),
  )
  .map(([user, seq, kind]) => makeInternalKey(user, seq, kind));

/** Sorted distinct internal keys, optionally followed by a short last key above them all. */
const entriesArb = fc
  .tuple(
    fc.uniqueArray(internalKeyArb, { maxLength: 60, selector: (k) => Array.from(k).join(',') }),
    fc.boolean(),
  )
  .map(([keys, shortLast]) => {
    keys.sort(compareInternalKeys);
    if (shortLast) {
      const last = makeInternalKey(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), 7, EntryKind.Put);
      if (keys.length === 0 || compareInternalKeys(keys[keys.length - 1]!, last) < 0) keys.push(last);
    }
    // Values of varied lengths (0-12 bytes), each naming its entry.
    return keys.map((key, i) => ({ key, value: new Uint8Array(i % 13).fill(i) }));
  });

describe('BlockKeys against a model', () => {
  it('find returns the first key >= any target, and each entry keeps its key and value', () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.integer({ min: 1, max: 17 }),
        fc.array(internalKeyArb, { maxLength: 40 }),
        (entries, restartInterval, probes) => {
          const block = buildBlock(entries, restartInterval);
          const keys = BlockKeys.decode(block);
          expect(keys.count).toBe(entries.length);
          for (let i = 0; i < entries.length; i++) {
            expect(keys.keys.slice(keys.keyStart(i), keys.keyEnd(i))).toEqual(entries[i]!.key);
            expect(block.data.slice(keys.valueStart(i), keys.valueEnd(i))).toEqual(entries[i]!.value);
          }
          // Every key itself, its neighbours by sequence, and the random probes.
          const targets = [...probes];
          for (const e of entries) targets.push(e.key);
          for (const target of targets) {
            expect(keys.find(target, 0, target.length)).toBe(lowerBound(entries, target));
            // The same target placed inside a larger buffer.
            const padded = new Uint8Array(target.length + 5);
            padded.set(target, 3);
            expect(keys.find(padded, 3, 3 + target.length)).toBe(lowerBound(entries, target));
          }
          expect(keys.byteLength).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300, ...BOUNDED },
    );
  });

  it("findUser returns the first entry of a user key visible at a sequence, as find's lower bound does", () => {
    fc.assert(
      fc.property(
        entriesArb,
        fc.integer({ min: 1, max: 17 }),
        fc.array(fc.tuple(userKeyArb, fc.integer({ min: 0, max: 8 })), { maxLength: 40 }),
        (entries, restartInterval, probes) => {
          const keys = BlockKeys.decode(buildBlock(entries, restartInterval), true);
          expect(keys.hashed).toBe(entries.length > 0);
          if (!keys.hashed) return;
          // Every user key of the block at every sequence around its versions, and the probes.
          const targets: [Uint8Array, number][] = [...probes];
          for (const e of entries)
            for (const seq of [0, 1, 3, 5, 6, 2 ** 53 - 1]) targets.push([userKeyOf(e.key), seq]);
          for (const [user, seq] of targets) {
            const bound = lowerBound(entries, makeInternalKey(user, seq, EntryKind.Put));
            const expected =
              bound < entries.length && Buffer.from(userKeyOf(entries[bound]!.key)).equals(user)
                ? bound
                : entries.length;
            // The user key at the start of a larger buffer, as a get's lookup buffer holds it.
            const padded = new Uint8Array(user.length + 9);
            padded.set(user);
            expect(keys.findUser(padded, user.length, bloomHash(user), seq)).toBe(expected);
          }
        },
      ),
      { numRuns: 300, ...BOUNDED },
    );
  });

  it('a block too big for 16-bit slots is decoded without the hash table', () => {
    const entries: Entry[] = [];
    for (let i = 0; i < (1 << 14) + 1; i++) {
      entries.push({
        key: makeInternalKey(Buffer.from(String(i).padStart(6, '0')), 1, EntryKind.Put),
        value: new Uint8Array(0),
      });
    }
    const keys = BlockKeys.decode(buildBlock(entries, 16), true);
    expect(keys.count).toBe(entries.length);
    expect(keys.hashed).toBe(false);
    expect(BlockKeys.decode(buildBlock(entries.slice(0, 1 << 14), 16), true).hashed).toBe(true);
  });

  it('a block of keys that differ only past the window, or only in sequence, still finds each', () => {
    const entries: Entry[] = [];
    for (const suffix of ['', 'a', 'aa', 'ab', 'b']) {
      for (const seq of [9, 5, 1]) {
        entries.push({
          key: makeInternalKey(Buffer.from(`0000000000wxyz${suffix}`), seq, EntryKind.Put),
          value: Buffer.from(`${suffix}@${seq}`),
        });
      }
    }
    entries.sort((a, b) => compareInternalKeys(a.key, b.key));
    const keys = BlockKeys.decode(buildBlock(entries, 4));
    for (const seq of [10, 9, 6, 5, 2, 1, 0]) {
      for (const suffix of ['', 'a', 'aa', 'ab', 'b', 'c', 'a\u0000']) {
        const target = makeInternalKey(Buffer.from(`0000000000wxyz${suffix}`), seq, EntryKind.Put);
        expect(keys.find(target, 0, target.length)).toBe(lowerBound(entries, target));
      }
    }
  });
});

describe('PointIndex', () => {
  it('finds the same block as a search of the index keys, and decodes each handle', () => {
    fc.assert(
      fc.property(entriesArb, fc.array(internalKeyArb, { maxLength: 30 }), (entries, probes) => {
        const handles = entries.map((_, i) => ({ offset: i * 100, size: 90 + (i % 7) }));
        const index = buildBlock(
          entries.map((e, i) => ({ key: e.key, value: encodeBlockHandle(handles[i]!) })),
          1,
        );
        const decoded = PointIndex.decode(index, entries.length * 100 + 100);
        expect(decoded.blockCount).toBe(entries.length);
        for (let i = 0; i < entries.length; i++) {
          expect([decoded.offsetOf(i), decoded.sizeOf(i)]).toEqual([handles[i]!.offset, handles[i]!.size]);
        }
        for (const target of [...probes, ...entries.map((e) => e.key)]) {
          expect(decoded.find(target, 0, target.length)).toBe(lowerBound(entries, target));
        }
      }),
      { numRuns: 200, ...BOUNDED },
    );
  });

  it('rejects an index whose handle points past the data blocks', () => {
    const key = makeInternalKey(Buffer.from('k'), 1, EntryKind.Put);
    const index = buildBlock([{ key, value: encodeBlockHandle({ offset: 100, size: 50 }) }], 1);
    expect(() => PointIndex.decode(index, 120)).toThrow(/index points past the data blocks/);
  });
});
