/**
 * LevelIterator over real tables against a model (one sorted array of every file's entries):
 * any sequence of seeks and steps in both directions, crossing files both ways. The level
 * reopens the iterator of the file it leaves over the next one (Table.iterator's `reuse`),
 * so this also checks that a reopened iterator carries nothing over from its last table.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlockCache } from '../../../engine/cache/block-cache.js';
import type { InternalIterator } from '../../../engine/iterator/internal-iterator.js';
import { LevelIterator } from '../../../engine/iterator/level-iterator.js';
import { Table } from '../../../engine/sstable/table.js';
import { initHashing } from '../../../engine/util/checksum.js';
import type { FileMetadata } from '../../../engine/version/file-metadata.js';
import { compareInternalKeys, EntryKind, makeInternalKey } from '../../../engine/version/internal-key.js';
import { soakRuns } from '../../support/soak.js';
import { CountingFileSystem, put, writeTable } from '../sstable/table-fixtures.js';
import type { ModelEntry } from '../sstable/table-fixtures.js';

beforeAll(async () => {
  await initHashing();
});

type Op =
  | { op: 'seekToFirst' | 'seekToLast' | 'next' | 'prev' }
  | { op: 'seek' | 'seekForPrev'; key: number; sequence: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constantFrom<Op>({ op: 'seekToFirst' }, { op: 'seekToLast' }),
  fc.constantFrom<Op>({ op: 'next' }, { op: 'prev' }),
  fc.constantFrom<Op>({ op: 'next' }, { op: 'prev' }),
  fc.record({
    op: fc.constantFrom<'seek' | 'seekForPrev'>('seek', 'seekForPrev'),
    key: fc.nat({ max: 400 }),
    sequence: fc.nat({ max: 3 }),
  }),
);

function userKey(n: number): string {
  return `k${String(n).padStart(4, '0')}`;
}

/** The level: the sorted entries cut into files at `cuts`, each a table of small blocks. */
function buildLevel(keys: number[], cuts: number[], fs: CountingFileSystem) {
  const entries: ModelEntry[] = [];
  for (const k of keys) {
    // Two versions of some keys, newest first in internal-key order.
    if (k % 3 === 0) entries.push(put(userKey(k), 2, `new-${k}-${'x'.repeat(k % 40)}`));
    entries.push(put(userKey(k), 1, `old-${k}`));
  }
  const bounds = [...new Set([0, ...cuts.map((c) => c % entries.length), entries.length])].sort(
    (a, b) => a - b,
  );
  const files: FileMetadata[] = [];
  const tables = new Map<number, Table>();
  const cache = new BlockCache(1 << 20);
  for (let i = 0; i + 1 < bounds.length; i++) {
    const part = entries.slice(bounds[i], bounds[i + 1]);
    const number = 10 + i;
    const path = `/db/${number}.sst`;
    writeTable(fs, path, part, { blockSizeBytes: 200, restartInterval: 1 + (i % 4) });
    tables.set(number, Table.open(fs.openRandomAccess(path), number, cache));
    files.push({
      number,
      sizeBytes: fs.fileSize(path),
      smallest: part[0]!.key,
      largest: part.at(-1)!.key,
      entries: part.length,
      smallestSequence: 1,
      largestSequence: 2,
    });
  }
  return { entries, files, tables };
}

describe('LevelIterator', () => {
  it('agrees with the model over any seeks and steps, reusing one table iterator across files', () => {
    let reopened = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 400 }), { minLength: 1, maxLength: 150 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(opArb, { minLength: 1, maxLength: 60 }),
        (keySet, cuts, ops) => {
          const keys = [...keySet].sort((a, b) => a - b);
          const fs = new CountingFileSystem();
          fs.mkdirp('/db');
          const { entries, files, tables } = buildLevel(keys, cuts, fs);
          const model = entries.map((e) => e.key);
          const level = new LevelIterator(files, (file, reuse): InternalIterator => {
            const it = tables.get(file.number)!.iterator(reuse);
            // The level hands over the iterator it leaves: closed, so always reopened.
            if (reuse !== undefined) {
              expect(it).toBe(reuse);
              reopened++;
            }
            return it;
          });
          let at = -1; // model position; -1 or model.length when not valid
          for (const o of ops) {
            switch (o.op) {
              case 'seekToFirst':
                level.seekToFirst();
                at = 0;
                break;
              case 'seekToLast':
                level.seekToLast();
                at = model.length - 1;
                break;
              case 'next':
              case 'prev':
                if (at < 0 || at >= model.length) continue;
                if (o.op === 'next') level.next();
                else level.prev();
                at += o.op === 'next' ? 1 : -1;
                break;
              case 'seek':
              case 'seekForPrev': {
                const target = makeInternalKey(
                  new TextEncoder().encode(userKey(o.key)),
                  o.sequence,
                  EntryKind.Put,
                );
                if (o.op === 'seek') {
                  level.seek(target);
                  at = model.findIndex((k) => compareInternalKeys(k, target) >= 0);
                  if (at < 0) at = model.length;
                } else {
                  level.seekForPrev(target);
                  at = model.findLastIndex((k) => compareInternalKeys(k, target) <= 0);
                }
                break;
              }
            }
            const expected = at >= 0 && at < model.length;
            expect(level.valid()).toBe(expected);
            if (expected) {
              expect(level.key()).toEqual(model[at]);
              expect(level.value()).toEqual(entries[at]!.value);
            }
          }
          level.close();
          for (const table of tables.values()) table.close();
          // Every file the level opened is closed again.
          expect(fs.openFiles).toBe(0);
        },
      ),
      { numRuns: soakRuns(150) },
    );
    // The runs crossed files, so the reuse path was taken.
    expect(reopened).toBeGreaterThan(0);
  });
});
