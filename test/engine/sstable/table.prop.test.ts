import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlockCache } from '../../../engine/cache/block-cache.js';
import { CorruptionError, IncompatibleFormatError } from '../../../engine/errors.js';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { Table } from '../../../engine/sstable/table.js';
import { bytesEqual } from '../../../engine/util/bytes.js';
import { bloomHash, initHashing } from '../../../engine/util/checksum.js';
import {
  compareInternalKeys,
  EntryKind,
  makeInternalKey,
  MAX_SEQUENCE,
} from '../../../engine/version/internal-key.js';
import {
  copyFile,
  modelArb,
  modelGet,
  optionsArb,
  put,
  sortEntries,
  userKeyArb,
  writeTable,
} from './table-fixtures.js';
import type { ModelEntry } from './table-fixtures.js';

beforeAll(async () => {
  await initHashing();
});

const PATH = '/000009.sst';

function build(entries: readonly ModelEntry[], options: Parameters<typeof writeTable>[3]): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  writeTable(fs, PATH, entries, options);
  return fs;
}

const targetArb = fc.tuple(
  userKeyArb,
  fc.integer({ min: 0, max: 61 }),
  fc.constantFrom(EntryKind.Put, EntryKind.Delete),
);

describe('Table against a model', () => {
  it('get at any sequence returns what the model holds for every key, present or not', () => {
    fc.assert(
      fc.property(
        modelArb,
        optionsArb,
        fc.array(fc.tuple(userKeyArb, fc.integer({ min: 0, max: 62 })), { maxLength: 60 }),
        (entries, options, probes) => {
          const fs = build(entries, options);
          // No cache (the block's own search), a cache too small to keep a block with its
          // decoded keys, and one that keeps them all (decoded keys reused across gets).
          const tables = [undefined, new BlockCache(4096), new BlockCache(1 << 24)].map((cache) =>
            Table.open(fs.openRandomAccess(PATH), 9, cache),
          );
          const checks: [Uint8Array, number][] = [...probes];
          for (const e of entries)
            checks.push([e.userKey, e.sequence], [e.userKey, e.sequence + 1], [e.userKey, e.sequence - 1]);
          for (const table of tables) {
            for (const [userKey, sequence] of checks) {
              if (sequence < 0) continue;
              const got = table.get(userKey, sequence, bloomHash(userKey));
              const want = modelGet(entries, userKey, sequence);
              expect(got).toEqual(want);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('iteration forward and backward yields exactly the sorted model', () => {
    fc.assert(
      fc.property(modelArb, optionsArb, (entries, options) => {
        const table = Table.open(build(entries, options).openRandomAccess(PATH), 9);
        const it = table.iterator();
        let i = 0;
        for (it.seekToFirst(); it.valid(); it.next(), i++) {
          expect(bytesEqual(it.key(), entries[i]!.key)).toBe(true);
          expect(bytesEqual(it.value(), entries[i]!.value)).toBe(true);
        }
        expect(i).toBe(entries.length);
        for (it.seekToLast(); it.valid(); it.prev()) {
          i--;
          expect(bytesEqual(it.key(), entries[i]!.key)).toBe(true);
          expect(bytesEqual(it.value(), entries[i]!.value)).toBe(true);
        }
        expect(i).toBe(0);
        it.close();
      }),
      { numRuns: 150 },
    );
  });

  it('seek, seekForPrev, next and prev in any order stay on the model position', () => {
    const opArb = fc.oneof(
      fc.constant({ op: 'first' as const }),
      fc.constant({ op: 'last' as const }),
      fc.constant({ op: 'next' as const }),
      fc.constant({ op: 'prev' as const }),
      fc.record({ op: fc.constant('seek' as const), target: targetArb }),
      fc.record({ op: fc.constant('seekForPrev' as const), target: targetArb }),
    );
    fc.assert(
      fc.property(modelArb, optionsArb, fc.array(opArb, { maxLength: 50 }), (entries, options, ops) => {
        const table = Table.open(build(entries, options).openRandomAccess(PATH), 9, new BlockCache(2048));
        const it = table.iterator();
        let pos = -1;
        for (const o of ops) {
          const valid = pos >= 0 && pos < entries.length;
          switch (o.op) {
            case 'first':
              it.seekToFirst();
              pos = entries.length > 0 ? 0 : -1;
              break;
            case 'last':
              it.seekToLast();
              pos = entries.length - 1;
              break;
            case 'next':
              if (!valid) continue;
              it.next();
              pos++;
              break;
            case 'prev':
              if (!valid) continue;
              it.prev();
              pos--;
              break;
            case 'seek': {
              const target = makeInternalKey(...o.target);
              it.seek(target);
              pos = entries.findIndex((e) => compareInternalKeys(e.key, target) >= 0);
              break;
            }
            case 'seekForPrev': {
              const target = makeInternalKey(...o.target);
              it.seekForPrev(target);
              pos = entries.findLastIndex((e) => compareInternalKeys(e.key, target) <= 0);
              break;
            }
          }
          const expected = pos >= 0 ? entries[pos] : undefined;
          expect(it.valid()).toBe(expected !== undefined);
          if (expected !== undefined) expect(bytesEqual(it.key(), expected.key)).toBe(true);
        }
        it.close();
      }),
      { numRuns: 200 },
    );
  });

  it('verifyAll accepts every table the builder writes', () => {
    fc.assert(
      fc.property(modelArb, optionsArb, (entries, options) => {
        Table.open(build(entries, options).openRandomAccess(PATH), 9).verifyAll();
      }),
      { numRuns: 100 },
    );
  });
});

/** What each get of `entries` must return: (userKey, sequence, expected) triples. */
function expectedGets(entries: readonly ModelEntry[]): [Uint8Array, number, Uint8Array | null | undefined][] {
  const out: [Uint8Array, number, Uint8Array | null | undefined][] = [];
  for (const e of entries) {
    for (const seq of [e.sequence, MAX_SEQUENCE])
      out.push([e.userKey, seq, modelGet(entries, e.userKey, seq)]);
  }
  return out;
}

function sameResult(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  return a === b || (a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b));
}

/**
 * Opens the table and reads all of it (gets, both scans), checking every value returned
 * against the model (a wrong value fails the test). Returns the CorruptionError or
 * IncompatibleFormatError thrown, or undefined if everything read fine.
 */
function readEverything(
  fs: MemoryFileSystem,
  entries: readonly ModelEntry[],
  gets = expectedGets(entries),
): unknown {
  const wrong = (what: string): Error => new Error(`wrong ${what} returned from a damaged table`);
  try {
    const table = Table.open(fs.openRandomAccess(PATH), 9, new BlockCache(1 << 16));
    for (const [userKey, seq, want] of gets) {
      if (!sameResult(table.get(userKey, seq, bloomHash(userKey)), want)) throw wrong('get result');
    }
    const it = table.iterator();
    let i = 0;
    for (it.seekToFirst(); it.valid(); it.next(), i++) {
      const e = entries[i];
      if (e === undefined || !bytesEqual(it.key(), e.key) || !bytesEqual(it.value(), e.value))
        throw wrong('entry');
    }
    if (i !== entries.length) throw wrong('entry count');
    for (it.seekToLast(); it.valid(); it.prev()) {
      i--;
      const e = entries[i];
      if (e === undefined || !bytesEqual(it.key(), e.key)) throw wrong('entry in reverse');
    }
    it.close();
    return undefined;
  } catch (err) {
    if (err instanceof CorruptionError || err instanceof IncompatibleFormatError) return err;
    throw err;
  }
}

describe('Table corruption', () => {
  const entries = sortEntries(
    Array.from({ length: 60 }, (_, i) =>
      put(`key${String(i).padStart(3, '0')}`, i + 1, `value-${i}-${'z'.repeat(i % 30)}`),
    ),
  );

  const flipAnyByte = fc.property(
    modelArb,
    optionsArb,
    fc.nat(),
    fc.integer({ min: 1, max: 255 }),
    (model, options, at, xor) => {
      const pristine = build(model, options);
      const fs = copyFile(pristine, PATH);
      const offset = at % fs.fileSize(PATH);
      fs.corruptByte(PATH, offset, xor);
      const err = readEverything(fs, model);
      expect(err, `flip of byte ${offset} went unnoticed`).toBeDefined();
    },
  );

  it('flipping any byte at a random offset is detected and never yields a wrong value', () => {
    fc.assert(flipAnyByte, { numRuns: 300 });
  });

  it('the same, on the case it found: a table format version flipped to an older one (table.test.ts has every flip of it)', () => {
    fc.assert(flipAnyByte, {
      seed: -176350510,
      path: '96:6:7:10:13:16:18:20:23:23:23:24:23:23:23:24:33:35:44:46:49:49:50:49:49:54:53:53:53:53:53:53:53:54:56:55:56:54:55:55',
      endOnFailure: true,
    });
  });

  it('flipping each byte of a small table in turn is always detected', () => {
    for (const compression of ['none', 'lz4'] as const) {
      const pristine = build(entries, { blockSizeBytes: 256, restartInterval: 4, compression });
      const size = pristine.fileSize(PATH);
      const gets = expectedGets(entries);
      for (let offset = 0; offset < size; offset++) {
        const fs = copyFile(pristine, PATH);
        fs.corruptByte(PATH, offset);
        expect(readEverything(fs, entries, gets), `flip of byte ${offset}`).toBeDefined();
      }
    }
  });

  it('an intact copy reads back without error (the corruption checks above are not vacuous)', () => {
    expect(readEverything(copyFile(build(entries, {}), PATH), entries)).toBeUndefined();
  });
});
