/**
 * `Engine.describe`: the shape of an engine directory read from its MANIFEST, without the
 * lock and without writing, also while an Engine has the directory open.
 */
import { describe, expect, it } from 'vitest';
import { Engine, InvalidArgumentError, MemoryFileSystem } from '../../../engine/index.js';
import { TINY_ENGINE } from '../../support/engine-model.js';

const key = (i: number): string => `key${String(i).padStart(5, '0')}`;
const str = (b: Uint8Array): string => Buffer.from(b).toString();

/** Every file's name and bytes, to show that nothing changed. */
function snapshotDir(fs: MemoryFileSystem, dir: string): Map<string, string> {
  return new Map(fs.list(dir).map((n) => [n, Buffer.from(fs.readFile(`${dir}/${n}`)).toString('hex')]));
}

describe('Engine.describe', () => {
  it('reports levels, files with user keys and sequences, WALs and write counters, changing nothing', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { ...TINY_ENGINE, fileSystem: fs });
    try {
      for (let i = 0; i < 500; i++) await db.put(key(i), `value-${i}`);
      await db.compactRange();
      await db.put('zz-wal-only', 'x');
      const before = snapshotDir(fs, '/db');
      const shape = await Engine.describe('/db', { fileSystem: fs });
      expect(snapshotDir(fs, '/db')).toEqual(before);

      const stats = db.stats();
      expect(shape.dir).toBe('/db');
      expect(shape.manifest).toMatch(/^MANIFEST-\d{6}$/);
      expect(shape.levels.map((l) => l.level)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      // The level count is an open option (TINY_ENGINE has fewer): describe shows at least 7.
      const shown = shape.levels.slice(0, stats.levels.length);
      expect(shape.levels.slice(stats.levels.length).every((l) => l.files.length === 0)).toBe(true);
      expect(shown.map((l) => l.files.length)).toEqual(stats.levels.map((l) => l.files));
      expect(shown.map((l) => l.files.reduce((n, f) => n + f.sizeBytes, 0))).toEqual(
        stats.levels.map((l) => l.bytes),
      );
      const files = shape.levels.flatMap((l) => l.files);
      expect(files.reduce((n, f) => n + f.entries, 0)).toBe(500);
      const deepest = shape.levels.filter((l) => l.files.length > 0).at(-1)!;
      expect(str(deepest.files[0]!.smallestKey)).toBe(key(0));
      expect(str(deepest.files.at(-1)!.largestKey)).toBe(key(499));
      for (const f of files) {
        expect(f.name).toBe(`${String(f.number).padStart(6, '0')}.sst`);
        expect(f.smallestSequence).toBeLessThanOrEqual(f.largestSequence);
      }
      expect(shape.lastSequence).toBe(500);
      expect(shape.wals).toHaveLength(1);
      expect(shape.wals[0]!.sizeBytes).toBeGreaterThan(0);
      // The MANIFEST's counters (as of the compaction) plus the write only the WAL holds.
      expect(shape.writeCounters).toEqual({
        sequence: 501,
        userBytes: stats.userBytesWritten,
        walBytes: stats.walBytesWritten,
        flushBytes: stats.flushBytesWritten,
        compactionBytesRead: stats.compactionBytesRead,
        compactionBytesWritten: stats.compactionBytesWritten,
      });
      const c = shape.writeCounters!;
      expect(shape.writeAmplification).toBeCloseTo(
        (c.walBytes + c.flushBytes + c.compactionBytesWritten) / c.userBytes,
        10,
      );
    } finally {
      await db.close();
    }
  });

  it('refuses a directory without an engine and a bad argument', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/empty');
    await expect(Engine.describe('/empty', { fileSystem: fs })).rejects.toThrow(
      new InvalidArgumentError('Engine.describe: /empty holds no engine (no CURRENT file)'),
    );
    await expect(Engine.describe('', { fileSystem: fs })).rejects.toThrow(InvalidArgumentError);
  });
});
