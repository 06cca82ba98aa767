/**
 * The data block hash index (engine/FORMAT.md, "Block hash index"): what the builder writes,
 * what a point read finds through it, what the reader refuses, and the format versions.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlockCache } from '../../../engine/cache/block-cache.js';
import { CorruptionError } from '../../../engine/errors.js';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { Block, BlockIterator, hashHit } from '../../../engine/sstable/block.js';
import { BlockBuilder } from '../../../engine/sstable/block-builder.js';
import { TABLE_FORMAT_VERSION } from '../../../engine/sstable/format.js';
import type { BlockHandle } from '../../../engine/sstable/format.js';
import { Table } from '../../../engine/sstable/table.js';
import { verifyTable } from '../../../engine/sstable/table-verifier.js';
import { bytesEqual, compareBytes } from '../../../engine/util/bytes.js';
import { bloomHash, initHashing } from '../../../engine/util/checksum.js';
import { MAX_SEQUENCE } from '../../../engine/version/internal-key.js';
import {
  bytes,
  modelGet,
  put,
  setFooterVersion,
  sortEntries,
  userKeyArb,
  writeTable,
} from './table-fixtures.js';
import type { ModelEntry } from './table-fixtures.js';

beforeAll(async () => {
  await initHashing();
});

const PATH = '/000005.sst';

/** A block of `entries` (sorted) with a hash index: the table builder's calls, one block. */
function hashedBlockBytes(entries: readonly ModelEntry[]): Uint8Array {
  const builder = new BlockBuilder(1, true);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const startsKey = i === 0 || !bytesEqual(e.userKey, entries[i - 1]!.userKey);
    builder.add(e.key, e.value, startsKey ? bloomHash(e.userKey) : undefined);
  }
  return builder.finish().slice();
}

/** Index of the first entry of each user key. */
function firstEntries(entries: readonly ModelEntry[]): number[] {
  return entries.flatMap((e, i) => (i === 0 || !bytesEqual(e.userKey, entries[i - 1]!.userKey) ? [i] : []));
}

/** The value range of every entry, by the block's own iterator. */
function valueStarts(block: Block): number[] {
  const it = new BlockIterator();
  it.reset(block);
  const out: number[] = [];
  for (it.seekToFirst(); it.valid(); it.next()) out.push(it.valueStart);
  return out;
}

/** Sorted entries with 1-4 versions per user key. */
function entriesArb(minLength: number, maxLength: number): fc.Arbitrary<ModelEntry[]> {
  return fc
    .uniqueArray(fc.tuple(userKeyArb, fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 12 })), {
      minLength,
      maxLength,
      selector: ([k, s]) => `${Array.from(k).join(',')}/${s}`,
    })
    .map((list) => sortEntries(list.map(([k, s, v]) => put(k, s, v))));
}

/** Blocks of up to 60 entries, and of 256 to 400 (past 255 restarts, slots take 2 bytes). */
const blockEntriesArb = fc.oneof(entriesArb(1, 60), entriesArb(256, 400));

describe('Block hash index', () => {
  it('leads every user key to its first entry in the block and finds no absent key', () => {
    let wide = 0;
    fc.assert(
      fc.property(blockEntriesArb, fc.array(userKeyArb, { maxLength: 30 }), (entries, probes) => {
        const block = new Block(hashedBlockBytes(entries), 'test.sst', 0, true);
        expect(block.hashed).toBe(true);
        if (block.restartCount > 255) wide++;
        const starts = valueStarts(block);
        for (const i of firstEntries(entries)) {
          const { userKey } = entries[i]!;
          expect(block.findHashed(userKey, userKey.length, bloomHash(userKey))).toBe(true);
          expect(hashHit.valueStart).toBe(starts[i]);
          expect(hashHit.valueEnd - hashHit.valueStart).toBe(entries[i]!.value.length);
        }
        for (const probe of probes) {
          const present = entries.some((e) => compareBytes(e.userKey, probe) === 0);
          expect(block.findHashed(probe, probe.length, bloomHash(probe))).toBe(present);
        }
      }),
      { numRuns: 200 },
    );
    // The runs above must reach the 2-byte slot layout.
    expect(wide).toBeGreaterThan(20);
  });

  it('adds no index to an empty block, and the builder refuses one with restarts between keys', () => {
    const block = new Block(new BlockBuilder(1, true).finish().slice(), 'test.sst', 0, true);
    expect(block.hashed).toBe(false);
    expect(() => new BlockBuilder(4, true)).toThrow(/restart interval 1/);
  });

  it('a slot naming an entry past the block is corruption, found when the block is parsed', () => {
    const entries = sortEntries(['a', 'b', 'c'].map((k, i) => put(k, i + 1, k)));
    const data = hashedBlockBytes(entries);
    // Layout: ... restarts (3 × 4), slots (8 × 1), log2(slots) (1), count | flag (4).
    const slotsAt = data.length - 5 - 8;
    const used = Array.from(data.subarray(slotsAt, slotsAt + 8)).findIndex((slot) => slot !== 0);
    data[slotsAt + used] = 9;
    expect(() => new Block(data, 'dir/000007.sst', 4096, true)).toThrow(CorruptionError);
    expect(() => new Block(data, 'dir/000007.sst', 4096, true)).toThrow(/hash slot \d names entry 8 of 3/);
  });

  it('an entry named by a slot that does not parse as a restart entry is corruption', () => {
    const entries = sortEntries(['a', 'b', 'c'].map((k, i) => put(k, i + 1, k)));
    const data = hashedBlockBytes(entries);
    const block = new Block(data, 'test.sst', 0, true);
    const b = bytes('b');
    expect(block.findHashed(b, 1, bloomHash(b))).toBe(true);
    // Entry "b" starts right after entry "a": 3 header bytes, a 9-byte key, a 1-byte value.
    data[13] = 1; // its shared length: a restart entry must have 0
    expect(() => block.findHashed(b, 1, bloomHash(b))).toThrow(
      /bad entry at offset 13 named by the hash index/,
    );
  });

  it('a flag in a block that may not carry an index (an index block, a version 1 table) is corruption', () => {
    const data = hashedBlockBytes(sortEntries([put('a', 1, 'x')]));
    expect(() => new Block(data, 'test.sst', 0)).toThrow(/hash index flag in a block that may not have one/);
  });
});

describe('Tables and the block hash index', () => {
  const entries = sortEntries(
    Array.from({ length: 600 }, (_, i) =>
      put(`key-${String(i).padStart(4, '0')}`, 10 + (i % 7), `value-${i}`),
    ),
  );

  function tableFs(restartInterval: number, version?: number): MemoryFileSystem {
    const fs = new MemoryFileSystem();
    writeTable(fs, PATH, entries, { blockSizeBytes: 1024, restartInterval });
    if (version !== undefined) setFooterVersion(fs, PATH, version);
    return fs;
  }

  function readAll(table: Table): void {
    for (const e of entries) {
      expect(table.get(e.userKey, MAX_SEQUENCE, bloomHash(e.userKey))).toEqual(
        modelGet(entries, e.userKey, MAX_SEQUENCE),
      );
    }
  }

  function firstBlockOf(table: Table): Block {
    const index = table.indexBlock.iterator();
    index.seekToFirst();
    return table.dataBlock({ ...table.decodeIndexValue(index) });
  }

  it('a table of restart interval 1 has hashed data blocks; another interval has none', () => {
    for (const [interval, hashed] of [
      [1, true],
      [2, false],
    ] as const) {
      const table = Table.open(tableFs(interval).openRandomAccess(PATH), 5, new BlockCache(1 << 20));
      expect(table.formatVersion).toBe(TABLE_FORMAT_VERSION);
      expect(firstBlockOf(table).hashed).toBe(hashed);
      readAll(table);
      table.verifyAll();
    }
  });

  it('reads a format version 1 table (blocks without a hash index), as written before version 2', () => {
    const table = Table.open(tableFs(16, 1).openRandomAccess(PATH), 5, new BlockCache(1 << 20));
    expect(table.formatVersion).toBe(1);
    readAll(table);
    table.verifyAll();
  });

  it('reads a format version 2 table (hashed blocks, a footer checksum without the version), as written before version 3', () => {
    const table = Table.open(tableFs(1, 2).openRandomAccess(PATH), 5, new BlockCache(1 << 20));
    expect(table.formatVersion).toBe(2);
    expect(firstBlockOf(table).hashed).toBe(true);
    readAll(table);
    table.verifyAll();
  });

  it('a version 1 footer over hashed data blocks is corruption, not a wrong answer', () => {
    const table = Table.open(tableFs(1, 1).openRandomAccess(PATH), 5, new BlockCache(1 << 20));
    const k = entries[0]!.userKey;
    expect(() => table.get(k, MAX_SEQUENCE, bloomHash(k))).toThrow(CorruptionError);
    expect(() => table.get(k, MAX_SEQUENCE, bloomHash(k))).toThrow(/hash index flag/);
  });

  it('verification fails when a slot leads to the wrong entry', () => {
    const fs = tableFs(1);
    const table = Table.open(fs.openRandomAccess(PATH), 5);
    let tampered = 0;
    const readBlock = (handle: BlockHandle): Block => {
      const block = table.dataBlock(handle);
      if (tampered > 0) return block;
      // Move the first used slot's entry to the next used slot: both stay valid entries.
      const data = block.data.slice();
      const bits = data[data.length - 5]!;
      const slotsAt = data.length - 5 - (1 << bits);
      const used = [];
      for (let s = 0; s < 1 << bits; s++) if (data[slotsAt + s] !== 0) used.push(s);
      data[slotsAt + used[0]!] = data[slotsAt + used[1]!]!;
      tampered++;
      return new Block(data, block.file, block.fileOffset, true);
    };
    expect(() => verifyTable(table, readBlock)).toThrow(/the block hash index does not lead to a key/);
    expect(tampered).toBe(1);
  });
});
