/**
 * A writer that awaits one unsynced write after another never waits on I/O, so without help
 * it would run on microtasks alone and starve the event loop, where the engine takes in the
 * results of its flushes and compactions (Engine#pace). Its acknowledgements must let the
 * event loop turn while background work is in flight.
 */
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../support/temp-dirs.js';
import { Engine, WriteBatch } from '../../../engine/index.js';

const tempDir = useTempDirs('statefn-pacing');

describe('write acknowledgements while background work is in flight', () => {
  it('let the event loop turn, so a flush finishes while the writer never yields by itself', async () => {
    const dir = tempDir();
    const db = await Engine.open(dir, { writeBufferSizeBytes: 4 << 20 });
    try {
      // Fill one memtable so that it is sealed and its flush queued.
      const big = new Uint8Array(64 << 10).fill(1);
      for (let i = 0; db.stats().immutableMemtables === 0; i++) {
        await db.write(new WriteBatch().put(`big${String(i).padStart(4, '0')}`, big));
      }
      expect(db.stats().flushes).toBe(0);

      // Small writes that fit the new memtable (50,000 of ~40 bytes): none of them waits on I/O.
      let turned = false;
      setImmediate(() => (turned = true));
      let writes = 0;
      const value = new Uint8Array(8);
      while (!turned && writes < 50_000) {
        await db.put(`small${writes++}`, value);
      }
      expect(turned).toBe(true);
      // And the background work makes progress while the writer keeps going.
      while (db.stats().flushes === 0 && writes < 50_000) await db.put(`small${writes++}`, value);
      expect(db.stats().flushes).toBe(1);
      expect(db.stats().stalls.count).toBe(0);
    } finally {
      await db.close();
    }
  });
});

describe('backpressure', () => {
  it('writers wait when flushes fall behind, memtables and level-0 files stay within their limits, and every write is kept', async () => {
    const dir = tempDir();
    const options = {
      writeBufferSizeBytes: 4096,
      maxImmutableMemtables: 1,
      l0CompactionTrigger: 2,
      l0StopWritesTrigger: 3,
      targetFileSizeBytes: 8192,
    };
    const db = await Engine.open(dir, options);
    const value = new Uint8Array(200).fill(7);
    const key = (i: number): string => `key${String(i).padStart(5, '0')}`;
    let maxImmutable = 0;
    let maxLevel0 = 0;
    const sample = (): void => {
      const s = db.stats();
      maxImmutable = Math.max(maxImmutable, s.immutableMemtables);
      maxLevel0 = Math.max(maxLevel0, s.levels[0]!.files);
    };
    try {
      // 2,000 writes at once: about a hundred memtables' worth, far more than flushes keep up with.
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 2000; i++) writes.push(db.put(key(i), value).then(sample));
      await Promise.all(writes);
      const { stalls } = db.stats();
      expect(stalls.count).toBeGreaterThan(0);
      expect(stalls.totalMs).toBeGreaterThan(0);
      expect(maxImmutable).toBeLessThanOrEqual(options.maxImmutableMemtables);
      // A flush already under way when level 0 reaches the stop trigger may add one more.
      expect(maxLevel0).toBeLessThanOrEqual(options.l0StopWritesTrigger + options.maxImmutableMemtables);
      for (let i = 0; i < 2000; i++) expect(db.get(key(i)), key(i)).toEqual(value);
    } finally {
      await db.close();
    }
  });
});
