/**
 * EngineOptions.prepopulateBlockCache: a flush hands the data blocks it wrote to the block
 * cache, so reads of what was just flushed find them there instead of reading the file.
 * Checked through the cache's own counters (a get that finds its block is a hit, one that
 * reads it a miss), on the in-memory file system with jobs inline, and on a real directory
 * with the built engine (dist/), whose flush runs on the worker thread and moves the blocks
 * to the main thread.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineOptions } from '../../../engine/index.js';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';

const DIR = '/db';
const KEYS = 600;
const key = (i: number): string => `key-${String(i).padStart(5, '0')}`;
const value = (i: number): string => `${i}:`.padEnd(100, String.fromCharCode(97 + (i % 26)));

/** Opens an engine, writes KEYS keys and flushes them into one table. */
async function flushedEngine(options: EngineOptions): Promise<Engine> {
  const db = await Engine.open(DIR, {
    fileSystem: new MemoryFileSystem(),
    blockSizeBytes: 1024,
    blockCacheBytes: 1 << 20,
    ...options,
  });
  for (let i = 0; i < KEYS; i++) await db.put(key(i), value(i));
  await db.flush();
  return db;
}

/** Reads every key, checking its value; returns the cache's hits and misses for the reads. */
function readAll(db: {
  get(k: string): Uint8Array | undefined;
  stats(): { blockCache: { hits: number; misses: number } };
}): {
  hits: number;
  misses: number;
} {
  const before = db.stats().blockCache;
  for (let i = 0; i < KEYS; i++) {
    const got = db.get(key(i));
    expect(got && Buffer.from(got).toString(), key(i)).toBe(value(i));
  }
  const after = db.stats().blockCache;
  return { hits: after.hits - before.hits, misses: after.misses - before.misses };
}

describe('prepopulateBlockCache', () => {
  it("'flush', the default: every read of a flushed table finds its block in the cache", async () => {
    const db = await flushedEngine({});
    try {
      expect(db.stats().levels[0]!.files).toBe(1);
      expect(db.stats().blockCache.bytes).toBeGreaterThan(KEYS * 100);
      expect(readAll(db)).toEqual({ hits: KEYS, misses: 0 });
    } finally {
      await db.close();
    }
  });

  it("'off': the same reads miss until each block has been read once", async () => {
    const db = await flushedEngine({ prepopulateBlockCache: 'off' });
    try {
      expect(db.stats().blockCache.bytes).toBe(0);
      const { misses } = readAll(db);
      // One miss per data block: at least a block per 1024 bytes of entries.
      expect(misses).toBeGreaterThanOrEqual((KEYS * 100) / 1024);
    } finally {
      await db.close();
    }
  });

  it('a flush warms at most a quarter of the cache, from the first block on', async () => {
    const capacity = 64 * 1024;
    const db = await flushedEngine({ blockCacheBytes: capacity });
    try {
      const budget = capacity / 4;
      // Blocks of at least 1024 bytes, each charged 96 bytes more than its contents.
      const held = db.stats().blockCache.bytes;
      expect(held).toBeLessThanOrEqual(budget * (1 + 96 / 1024));
      expect(held).toBeGreaterThan(budget - 2 * 1024);
      const before = db.stats().blockCache.misses;
      // The first keys are in the warmed blocks; the last are not.
      for (let i = 0; i < 20; i++) db.get(key(i));
      expect(db.stats().blockCache.misses).toBe(before);
      db.get(key(KEYS - 1));
      expect(db.stats().blockCache.misses).toBe(before + 1);
    } finally {
      await db.close();
    }
  });

  it('warmed blocks give the same values as the file after a reopen, and as later writes shadow them', async () => {
    const fileSystem = new MemoryFileSystem();
    let db = await flushedEngine({ fileSystem });
    try {
      for (let i = 0; i < KEYS; i += 3) await db.put(key(i), `new ${i}`);
      for (let i = 0; i < KEYS; i++) {
        const expected = i % 3 === 0 ? `new ${i}` : value(i);
        expect(Buffer.from(db.get(key(i))!).toString()).toBe(expected);
      }
      await db.close();
      db = await Engine.open(DIR, { fileSystem, blockSizeBytes: 1024, prepopulateBlockCache: 'off' });
      for (let i = 0; i < KEYS; i++) {
        const expected = i % 3 === 0 ? `new ${i}` : value(i);
        expect(Buffer.from(db.get(key(i))!).toString()).toBe(expected);
      }
    } finally {
      await db.close();
    }
  });

  it('on a real directory, the blocks of a flush on the worker thread reach the cache', async () => {
    const distEngine = join(fileURLToPath(new URL('.', import.meta.url)), '../../../dist/engine/index.js');
    expect(existsSync(distEngine), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const built = (await import(distEngine)) as { Engine: typeof Engine };
    const dir = mkdtempSync(join(tmpdir(), 'statefn-prepopulate-'));
    try {
      const db = await built.Engine.open(dir, { blockSizeBytes: 1024, backgroundMode: 'worker' });
      try {
        for (let i = 0; i < KEYS; i++) await db.put(key(i), value(i));
        await db.flush();
        expect(db.stats().blockCache.bytes).toBeGreaterThan(KEYS * 100);
        expect(readAll(db)).toEqual({ hits: KEYS, misses: 0 });
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
