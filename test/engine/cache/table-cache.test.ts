import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlockCache } from '../../../engine/cache/block-cache.js';
import { TableCache } from '../../../engine/cache/table-cache.js';
import { ClosedError, CorruptionError, InvalidArgumentError } from '../../../engine/errors.js';
import { bloomHash, initHashing } from '../../../engine/util/checksum.js';
import { tableFileName } from '../../../engine/version/file-names.js';
import { MAX_SEQUENCE } from '../../../engine/version/internal-key.js';
import { bytes, CountingFileSystem, put, sortEntries, writeTable } from '../sstable/table-fixtures.js';
import type { ModelEntry } from '../sstable/table-fixtures.js';

beforeAll(async () => {
  await initHashing();
});

const DIR = '/db';

/** A directory with tables 1..n; table i maps `k<j>` to `t<i>-<j>` for j < 50. */
function setup(n: number): CountingFileSystem {
  const fs = new CountingFileSystem();
  fs.mkdirp(DIR);
  for (let i = 1; i <= n; i++)
    writeTable(fs, `${DIR}/${tableFileName(i)}`, entriesOf(i), { blockSizeBytes: 256 });
  return fs;
}

function entriesOf(i: number): ModelEntry[] {
  return sortEntries(
    Array.from({ length: 50 }, (_, j) => put(`k${String(j).padStart(2, '0')}`, j + 1, `t${i}-${j}`)),
  );
}

function read(cache: TableCache, file: number, key: string): string | undefined {
  const k = bytes(key);
  const v = cache.get(file).get(k, MAX_SEQUENCE, bloomHash(k));
  return v instanceof Uint8Array ? new TextDecoder().decode(v) : undefined;
}

describe('TableCache', () => {
  it('opens each table lazily once and returns the same table on later gets', () => {
    const fs = setup(3);
    const cache = new TableCache(fs, DIR, { maxOpenFiles: 10 });
    expect(fs.opened).toBe(0);
    const t = cache.get(2);
    expect(cache.get(2)).toBe(t);
    expect(fs.opened).toBe(1);
    expect(read(cache, 2, 'k07')).toBe('t2-7');
    expect(read(cache, 3, 'k07')).toBe('t3-7');
    expect(cache.openCount).toBe(2);
  });

  it('never keeps more than maxOpenFiles files open, closing the least recently used table', () => {
    const fs = setup(6);
    const cache = new TableCache(fs, DIR, { maxOpenFiles: 3 });
    for (const n of [1, 2, 3, 1, 4, 5, 1, 6]) {
      expect(read(cache, n, 'k01')).toBe(`t${n}-1`);
      expect(fs.openFiles).toBeLessThanOrEqual(3);
    }
    // 1 was used recently throughout, so it stayed open.
    expect(fs.opened).toBe(6);
  });

  it('agrees with a model of recency for any access sequence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 40 }),
        (maxOpenFiles, accesses) => {
          const fs = setup(6);
          const cache = new TableCache(fs, DIR, { maxOpenFiles });
          let open: number[] = [];
          let opens = 0;
          for (const n of accesses) {
            expect(read(cache, n, 'k03')).toBe(`t${n}-3`);
            if (!open.includes(n)) opens++;
            open = [n, ...open.filter((x) => x !== n)].slice(0, maxOpenFiles);
            expect(fs.opened).toBe(opens);
            expect(fs.openFiles).toBe(open.length);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('an evicted table stays readable by an iterator opened before the eviction', () => {
    const fs = setup(3);
    const cache = new TableCache(fs, DIR, { maxOpenFiles: 1 });
    const it = cache.get(1).iterator();
    it.seekToFirst();
    read(cache, 2, 'k00'); // evicts table 1
    expect(fs.openFiles).toBe(2);
    let n = 0;
    for (; it.valid(); it.next()) n++;
    expect(n).toBe(50);
    it.close();
    expect(fs.openFiles).toBe(1);
  });

  it('evict closes the table and drops its blocks from the block cache', () => {
    const fs = setup(2);
    const blocks = new BlockCache(1 << 20);
    const cache = new TableCache(fs, DIR, { maxOpenFiles: 5, blockCache: blocks });
    read(cache, 1, 'k10');
    read(cache, 2, 'k10');
    expect(blocks.stats().blocks).toBe(2);
    cache.evict(1);
    expect(fs.openFiles).toBe(1);
    expect(blocks.stats().blocks).toBe(1);
    expect(read(cache, 1, 'k10')).toBe('t1-10'); // reopens on demand
  });

  it('close closes every file and later gets throw ClosedError', () => {
    const fs = setup(3);
    const cache = new TableCache(fs, DIR, { maxOpenFiles: 5 });
    for (const n of [1, 2, 3]) cache.get(n);
    cache.close();
    cache.close();
    expect(fs.openFiles).toBe(0);
    expect(() => cache.get(1)).toThrow(ClosedError);
  });

  it('a missing file throws the file system error and a damaged one CorruptionError, leaving no file open', () => {
    const fs = setup(1);
    const cache = new TableCache(fs, DIR, { maxOpenFiles: 5 });
    expect(() => cache.get(42)).toThrow(/ENOENT/);
    fs.corruptByte(`${DIR}/${tableFileName(1)}`, fs.fileSize(`${DIR}/${tableFileName(1)}`) - 20);
    expect(() => cache.get(1)).toThrow(CorruptionError);
    expect(fs.openFiles).toBe(0);
    expect(cache.openCount).toBe(0);
  });

  it('rejects maxOpenFiles below 1, naming the API', () => {
    const fs = setup(0);
    expect(() => new TableCache(fs, DIR, { maxOpenFiles: 0 })).toThrow(InvalidArgumentError);
    expect(() => new TableCache(fs, DIR, { maxOpenFiles: 2.5 })).toThrow(/^TableCache: maxOpenFiles/);
  });
});
