import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../engine/errors.js';
import { Block } from '../../../engine/sstable/block.js';
import type { BlockIterator } from '../../../engine/sstable/block.js';
import { BlockBuilder } from '../../../engine/sstable/block-builder.js';
import { bytesEqual, writeU32 } from '../../../engine/util/bytes.js';
import { initHashing } from '../../../engine/util/checksum.js';
import { InvariantError } from '../../../engine/util/invariant.js';
import { compareInternalKeys, EntryKind, makeInternalKey } from '../../../engine/version/internal-key.js';
import { bytes, put, sortEntries, userKeyArb } from './table-fixtures.js';
import type { ModelEntry } from './table-fixtures.js';

beforeAll(async () => {
  await initHashing();
});

function buildBlock(entries: readonly ModelEntry[], restartInterval: number): Block {
  const builder = new BlockBuilder(restartInterval);
  for (const e of entries) builder.add(e.key, e.value);
  return new Block(builder.finish().slice(), 'test.sst', 0);
}

function keysOf(entries: readonly ModelEntry[]): string[] {
  return entries.map((e) => Array.from(e.key).join(','));
}

function forward(it: BlockIterator): string[] {
  const out: string[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) out.push(Array.from(it.key()).join(','));
  return out;
}

function backward(it: BlockIterator): string[] {
  const out: string[] = [];
  for (it.seekToLast(); it.valid(); it.prev()) out.push(Array.from(it.key()).join(','));
  return out;
}

/** Sorted distinct entries with 1-3 versions per user key. */
const blockEntriesArb = fc
  .uniqueArray(fc.tuple(userKeyArb, fc.integer({ min: 0, max: 1000 }), fc.uint8Array({ maxLength: 40 })), {
    maxLength: 150,
    selector: ([k, s]) => `${Array.from(k).join(',')}/${s}`,
  })
  .map((list) => sortEntries(list.map(([k, s, v]) => put(k, s, v))));

const sample = sortEntries(
  ['apple', 'apricot', 'banana', 'band', 'bandana', 'cherry', 'date', 'fig', 'grape', 'kiwi'].map((k, i) =>
    put(k, 100 + i, `value-${k}`),
  ),
);

describe('BlockIterator', () => {
  it('scans forward and backward over every entry in order, for any restart interval', () => {
    for (const interval of [1, 2, 3, 16]) {
      const block = buildBlock(sample, interval);
      expect(forward(block.iterator())).toEqual(keysOf(sample));
      expect(backward(block.iterator())).toEqual(keysOf(sample).reverse());
    }
  });

  it('returns each entry value as stored', () => {
    const it = buildBlock(sample, 4).iterator();
    let i = 0;
    for (it.seekToFirst(); it.valid(); it.next()) {
      expect(bytesEqual(it.value(), sample[i]!.value)).toBe(true);
      i++;
    }
    expect(i).toBe(sample.length);
  });

  it('seek lands on the first key >= target and seekForPrev on the last key <= target', () => {
    const it = buildBlock(sample, 3).iterator();
    it.seek(makeInternalKey(bytes('bana'), 0, EntryKind.Put));
    expect(it.key()).toEqual(sample[2]!.key);
    it.seek(sample[5]!.key);
    expect(it.key()).toEqual(sample[5]!.key);
    it.seek(makeInternalKey(bytes('zzz'), 0, EntryKind.Put));
    expect(it.valid()).toBe(false);
    it.seekForPrev(makeInternalKey(bytes('bana'), 0, EntryKind.Put));
    expect(it.key()).toEqual(sample[1]!.key);
    it.seekForPrev(makeInternalKey(bytes('a'), 0, EntryKind.Put));
    expect(it.valid()).toBe(false);
    it.seekForPrev(makeInternalKey(bytes('zzz'), 0, EntryKind.Put));
    expect(it.key()).toEqual(sample[sample.length - 1]!.key);
  });

  it('an empty block has no entries in either direction and no seek result', () => {
    const block = buildBlock([], 16);
    const it = block.iterator();
    it.seekToFirst();
    expect(it.valid()).toBe(false);
    it.seekToLast();
    expect(it.valid()).toBe(false);
    it.seek(sample[0]!.key);
    expect(it.valid()).toBe(false);
    it.seekForPrev(sample[0]!.key);
    expect(it.valid()).toBe(false);
  });

  it('handles keys and values long enough to need multi-byte varints and a larger key buffer', () => {
    const entries = sortEntries(
      Array.from({ length: 20 }, (_, i) =>
        put('k'.repeat(200) + String(i).padStart(3, '0'), i, 'v'.repeat(300 + i)),
      ),
    );
    const block = buildBlock(entries, 4);
    expect(forward(block.iterator())).toEqual(keysOf(entries));
    expect(backward(block.iterator())).toEqual(keysOf(entries).reverse());
    const it = block.iterator();
    it.seek(entries[13]!.key);
    expect(it.value()).toEqual(entries[13]!.value);
  });

  it('prefix compression stores shared prefixes once', () => {
    const entries = sortEntries(Array.from({ length: 64 }, (_, i) => put(`user/profile/${1000 + i}`, 1, '')));
    const raw = entries.reduce((n, e) => n + e.key.length, 0);
    expect(buildBlock(entries, 16).data.length).toBeLessThan(raw * 0.6);
  });

  it('matches a sorted model under any sequence of seeks and steps', () => {
    fc.assert(
      fc.property(
        blockEntriesArb,
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.oneof(
            fc.constant({ op: 'first' as const }),
            fc.constant({ op: 'last' as const }),
            fc.constant({ op: 'next' as const }),
            fc.constant({ op: 'prev' as const }),
            fc.record({
              op: fc.constant('seek' as const),
              key: userKeyArb,
              seq: fc.integer({ min: 0, max: 1001 }),
            }),
            fc.record({
              op: fc.constant('seekForPrev' as const),
              key: userKeyArb,
              seq: fc.integer({ min: 0, max: 1001 }),
            }),
          ),
          { maxLength: 40 },
        ),
        (entries, interval, ops) => {
          const it = buildBlock(entries, interval).iterator();
          let pos = -1; // model position; -1 or entries.length = not valid
          for (const o of ops) {
            const valid = pos >= 0 && pos < entries.length;
            if (o.op === 'first') pos = entries.length === 0 ? -1 : 0;
            else if (o.op === 'last') pos = entries.length - 1;
            else if (o.op === 'next') {
              if (!valid) continue;
              pos++;
            } else if (o.op === 'prev') {
              if (!valid) continue;
              pos--;
            } else {
              const target = makeInternalKey(o.key, o.seq, EntryKind.Put);
              if (o.op === 'seek') {
                pos = entries.findIndex((e) => compareInternalKeys(e.key, target) >= 0);
                if (pos < 0) pos = entries.length;
              } else {
                pos = entries.findLastIndex((e) => compareInternalKeys(e.key, target) <= 0);
              }
              if (o.op === 'seek') it.seek(target);
              else it.seekForPrev(target);
            }
            if (o.op === 'first') it.seekToFirst();
            if (o.op === 'last') it.seekToLast();
            if (o.op === 'next') it.next();
            if (o.op === 'prev') it.prev();
            const expected = entries[pos];
            expect(it.valid()).toBe(expected !== undefined);
            if (expected) {
              expect(it.key()).toEqual(expected.key);
              expect(it.value()).toEqual(expected.value);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('BlockBuilder', () => {
  it('refuses keys that are not strictly increasing', () => {
    const builder = new BlockBuilder(16);
    builder.add(makeInternalKey(bytes('b'), 5, EntryKind.Put), new Uint8Array(0));
    expect(() => builder.add(makeInternalKey(bytes('a'), 9, EntryKind.Put), new Uint8Array(0))).toThrow(
      InvariantError,
    );
    expect(() => builder.add(makeInternalKey(bytes('b'), 5, EntryKind.Put), new Uint8Array(0))).toThrow(
      InvariantError,
    );
  });

  it('reset starts an empty block that encodes like a fresh builder', () => {
    const builder = new BlockBuilder(2);
    for (const e of sample) builder.add(e.key, e.value);
    builder.finish();
    builder.reset();
    expect(builder.empty).toBe(true);
    for (const e of sample.slice(0, 3)) builder.add(e.key, e.value);
    expect(builder.finish().slice()).toEqual(buildBlock(sample.slice(0, 3), 2).data);
  });
});

describe('Block corruption', () => {
  function corrupt(mutate: (data: Uint8Array) => void): () => void {
    const data = buildBlock(sample, 3).data.slice();
    mutate(data);
    return () => {
      const block = new Block(data, 'test.sst', 0);
      forward(block.iterator());
      backward(block.iterator());
      block.iterator().seek(sample[4]!.key);
    };
  }

  it('a restart count larger than the block is corruption', () => {
    expect(corrupt((d) => writeU32(d, d.length - 4, 1_000_000))).toThrow(CorruptionError);
  });

  it('a restart offset past the entries is corruption', () => {
    expect(corrupt((d) => writeU32(d, d.length - 8, d.length))).toThrow(CorruptionError);
  });

  it('restart offsets out of order are corruption', () => {
    expect(corrupt((d) => writeU32(d, d.length - 12, 0))).toThrow(CorruptionError);
  });

  it('a block shorter than its restart count is corruption', () => {
    expect(() => new Block(new Uint8Array(3), 'test.sst', 0)).toThrow(CorruptionError);
  });

  it('an entry whose value runs past the entries is corruption', () => {
    const data = buildBlock([put('a', 1, 'x')], 16).data.slice();
    data[2] = 0x7f; // the header's valueLength byte
    expect(() => new Block(data, 'test.sst', 0).iterator().seekToFirst()).toThrow(CorruptionError);
  });

  it('a restart entry with a shared prefix is corruption', () => {
    expect(corrupt((d) => (d[0] = 3))).toThrow(CorruptionError);
  });

  it('an unterminated varint is corruption', () => {
    const entries = [put('a', 1, '')];
    const data = buildBlock(entries, 1).data.slice();
    // Entries end at the restart array; make the first header a run of continuation bytes.
    const restartsOffset = data.length - 8;
    for (let i = 0; i < restartsOffset; i++) data[i] = 0x80;
    expect(() => new Block(data, 'test.sst', 0).iterator().seekToFirst()).toThrow(CorruptionError);
  });

  it('corruption errors name the file and the block offset', () => {
    const data = buildBlock([put('a', 1, 'x')], 16).data.slice();
    data[2] = 0x7f;
    try {
      new Block(data, 'dir/000007.sst', 4242).iterator().seekToFirst();
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CorruptionError);
      expect((err as CorruptionError).file).toBe('dir/000007.sst');
      expect((err as CorruptionError).offset).toBe(4242);
    }
  });
});
