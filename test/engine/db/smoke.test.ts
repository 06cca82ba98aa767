import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem, WriteBatch } from '../../../engine/index.js';

const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString();

describe('Engine basics', () => {
  it('reads back puts, deletes and batches across flushes, compactions and a reopen', async () => {
    const fs = new MemoryFileSystem();
    const options = {
      fileSystem: fs,
      writeBufferSizeBytes: 4096,
      targetFileSizeBytes: 4096,
      maxBytesForLevelBase: 16 * 1024,
      blockSizeBytes: 1024,
    };
    let db = await Engine.open('/db', options);
    for (let i = 0; i < 2000; i++) await db.put(`key${String(i).padStart(5, '0')}`, `value${i}`);
    for (let i = 0; i < 2000; i += 3) await db.delete(`key${String(i).padStart(5, '0')}`);
    await db.write(new WriteBatch().put('a', '1').put('b', '2').delete('key00001'));
    expect(text(db.get('key00002'))).toBe('value2');
    expect(db.get('key00003')).toBeUndefined();
    expect(db.get('key00001')).toBeUndefined();
    await db.compactRange();
    expect(text(db.get('key01999'))).toBe('value1999');
    expect(db.get('key01998')).toBeUndefined();
    const keys = [...db.iterator({ gte: 'key00000', lt: 'key00010' })].map(([k]) => text(k));
    expect(keys).toEqual(['key00002', 'key00004', 'key00005', 'key00007', 'key00008']);
    const rev = [...db.iterator({ gte: 'key00000', lt: 'key00010', reverse: true })].map(([k]) => text(k));
    expect(rev).toEqual(['key00008', 'key00007', 'key00005', 'key00004', 'key00002']);
    const stats = db.stats();
    expect(stats.flushes).toBeGreaterThan(0);
    await db.close();
    db = await Engine.open('/db', options);
    expect(text(db.get('a'))).toBe('1');
    expect(text(db.get('key00002'))).toBe('value2');
    expect(db.get('key00003')).toBeUndefined();
    await db.close();
  });
});

describe('Engine under concurrent writers', () => {
  it('many writes issued at once never overfill a memtable and all read back (regression: a writer admitted to a memtable lost its room to later writers)', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { fileSystem: fs, writeBufferSizeBytes: 4096 });
    const value = 'x'.repeat(900);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => db.put(`k${String(i).padStart(4, '0')}`, `${i}${value}`)),
    );
    for (let i = 0; i < 300; i++) expect(text(db.get(`k${String(i).padStart(4, '0')}`))).toBe(`${i}${value}`);
    await db.close();
  });
});

describe('Engine close while calls wait', () => {
  it('a flush waiting for background work when the engine closes rejects with ClosedError instead of hanging', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open('/db', { fileSystem: fs, writeBufferSizeBytes: 4096 });
    for (let i = 0; i < 50; i++) await db.put(`k${i}`, 'x'.repeat(200));
    const flushing = db.flush();
    const closing = db.close();
    const outcome = await Promise.race([
      flushing.then(
        () => 'resolved',
        (err: unknown) => (err instanceof Error ? err.name : 'rejected'),
      ),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 5000)),
    ]);
    await closing;
    expect(['resolved', 'ClosedError']).toContain(outcome);
  });

  it('returns keys and values the caller owns: overwriting them changes nothing stored or returned', async () => {
    const db = await Engine.open('/db', { fileSystem: new MemoryFileSystem() });
    const value = (i: number): string => `value-${i}-`.padEnd(100 + (i % 50), 'x');
    const key = (i: number): string => `k${String(i).padStart(4, '0')}`;
    const expectIntact = (from: string): void => {
      // Read everything, then scribble over every returned array, then read again.
      const got = [...db.iterator()];
      const gotReverse = [...db.iterator({ reverse: true })];
      const points = Array.from({ length: 200 }, (_, i) => db.get(key(i))!);
      expect(got.length, from).toBe(200);
      for (const [k, v] of [...got, ...gotReverse]) {
        k.fill(0);
        v.fill(0);
      }
      for (const v of points) v.fill(0);
      for (let i = 0; i < 200; i++) expect(text(db.get(key(i))), from).toBe(value(i));
      expect(
        [...db.iterator()].map(([k, v]) => `${text(k)}=${text(v)}`),
        from,
      ).toEqual(Array.from({ length: 200 }, (_, i) => `${key(i)}=${value(i)}`));
    };
    for (let i = 0; i < 200; i++) await db.put(key(i), value(i));
    expectIntact('memtable');
    await db.flush();
    expectIntact('table');
    await db.close();
  });
});

describe('Engine.stats().blockCache', () => {
  it('counts a first read of a table block as a miss and the second as a hit, and reports their rate', async () => {
    const db = await Engine.open('/db', {
      fileSystem: new MemoryFileSystem(),
      blockSizeBytes: 1024,
      prepopulateBlockCache: 'off',
    });
    try {
      expect(db.stats().blockCache).toMatchObject({ hits: 0, misses: 0, hitRate: 0 });
      for (let i = 0; i < 200; i++) await db.put(`key${String(i).padStart(5, '0')}`, `value${i}`);
      await db.flush();
      const before = db.stats().blockCache;
      expect(text(db.get('key00100'))).toBe('value100');
      const first = db.stats().blockCache;
      expect(first.misses - before.misses).toBe(1);
      expect(first.hits - before.hits).toBe(0);
      expect(text(db.get('key00100'))).toBe('value100');
      const second = db.stats().blockCache;
      expect(second.misses - first.misses).toBe(0);
      expect(second.hits - first.hits).toBe(1);
      expect(second.hitRate).toBeCloseTo(second.hits / (second.hits + second.misses), 12);
      expect(second.hitRate).toBeGreaterThan(0);
      expect(second.hitRate).toBeLessThan(1);
    } finally {
      await db.close();
    }
  });
});
