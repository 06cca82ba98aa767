/**
 * A flush leaves out the versions no reader can see: an entry shadowed by a newer version of
 * its key at or below the oldest live snapshot (or the newest visible sequence when none is
 * live), as compactions do. A snapshot keeps what it reads; a tombstone stays (deeper levels
 * may hold the key).
 */
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import { text, TINY_ENGINE } from '../../support/engine-model.js';

const OPTIONS = { ...TINY_ENGINE, writeBufferSizeBytes: 1 << 20 };

/** A new engine on an empty in-memory file system. */
async function openFresh(): Promise<{ fs: MemoryFileSystem; db: Engine }> {
  const fs = new MemoryFileSystem();
  return { fs, db: await Engine.open('/db', { ...OPTIONS, fileSystem: fs }) };
}

/** Entries in each level-0 file, newest file first. */
async function level0Entries(fs: MemoryFileSystem): Promise<number[]> {
  const description = await Engine.describe('/db', { fileSystem: fs });
  return description.levels[0]!.files.map((f) => f.entries);
}

describe('a flush drops shadowed versions', () => {
  it('keeps only the newest version of each key when no snapshot is live', async () => {
    const { fs, db } = await openFresh();
    for (let v = 1; v <= 5; v++) await db.put('a', `a${v}`);
    await db.put('b', 'b1');
    await db.put('c', 'c1');
    await db.delete('c');
    await db.flush();
    // a5, b1 and c's tombstone.
    expect(await level0Entries(fs)).toEqual([3]);
    expect(text(db.get('a'))).toBe('a5');
    expect(text(db.get('b'))).toBe('b1');
    expect(db.get('c')).toBeUndefined();
    await db.close();
  });

  it('keeps what a live snapshot reads, and the snapshot still reads it after the flush', async () => {
    const { fs, db } = await openFresh();
    await db.put('a', 'a1');
    await db.put('a', 'a2');
    const snapshot = db.snapshot();
    await db.put('a', 'a3');
    await db.put('a', 'a4');
    await db.flush();
    // a1 is shadowed by a2, which the snapshot sees; a2, a3 and a4 stay (LevelDB's rule
    // keeps every version newer than the oldest snapshot).
    expect(await level0Entries(fs)).toEqual([3]);
    expect(text(db.get('a', { snapshot }))).toBe('a2');
    expect(text(db.get('a'))).toBe('a4');
    snapshot.release();

    // Released: the next flush keeps only the newest.
    await db.put('a', 'a5');
    await db.put('a', 'a6');
    await db.flush();
    expect(await level0Entries(fs)).toEqual([1, 3]);
    expect(text(db.get('a'))).toBe('a6');
    await db.close();
  });

  it('an iterator opened before the flush reads its own point in time through it', async () => {
    const { fs, db } = await openFresh();
    await db.put('a', 'a1');
    await db.put('b', 'b1');
    const it = db.iterator();
    await db.put('a', 'a2');
    await db.delete('b');
    await db.flush();
    expect(await level0Entries(fs)).toEqual([2]);
    expect([...it].map(([k, v]) => `${text(k)}=${text(v)}`)).toEqual(['a=a1', 'b=b1']);
    expect([...db.iterator()].map(([k, v]) => `${text(k)}=${text(v)}`)).toEqual(['a=a2']);
    await db.close();
  });

  it('the flushes of WAL replay at open keep only the newest version of each key', async () => {
    const fresh = await openFresh();
    const fs = fresh.fs;
    let db = fresh.db;
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
    for (let i = 0; i < 400; i++) await db.put(keys[i % keys.length]!, `v${i}`, { sync: true });
    const crashed = fs.crash();
    await db.close();
    // Reopened with a memtable far smaller than the WAL: replay flushes as it goes.
    db = await Engine.open('/db', { ...OPTIONS, writeBufferSizeBytes: 4096, fileSystem: crashed });
    const entries = await level0Entries(crashed);
    expect(entries.length).toBeGreaterThanOrEqual(2);
    for (const n of entries) expect(n).toBeLessThanOrEqual(keys.length);
    keys.forEach((k, j) => expect(text(db.get(k))).toBe(`v${395 + j}`));
    await db.close();
  });
});
