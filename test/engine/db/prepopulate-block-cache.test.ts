/**
 * EngineOptions.prepopulateBlockCache: a flush hands the data blocks it wrote to its new
 * table, and a get that misses one of them in the block cache caches a copy instead of
 * reading the file. Checked through the cache's counters: every miss of such a block counts
 * as `prepopulated`, so misses minus prepopulated are the reads of the file. On the in-memory
 * file system with jobs inline, and on a real directory with the built engine (dist/), whose
 * flush runs on the worker thread and moves the blocks to the main thread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineOptions } from '../../../engine/index.js';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import { importBuiltEngine } from '../../support/built-engine.js';

const DIR = '/db';
const KEYS = 600;
const key = (i: number): string => `key-${String(i).padStart(5, '0')}`;
const value = (i: number): string => `${i}:`.padEnd(100, String.fromCharCode(97 + (i % 26)));

type CacheCounters = { hits: number; misses: number; prepopulated: number };
interface Readable {
  get(k: string): Uint8Array | undefined;
  stats(): { blockCache: CacheCounters };
}

/** Opens an engine and writes keys [from, to), then flushes them into one table. */
async function flushedEngine(options: EngineOptions, from = 0, to = KEYS): Promise<Engine> {
  const db = await Engine.open(DIR, {
    fileSystem: new MemoryFileSystem(),
    blockSizeBytes: 1024,
    blockCacheBytes: 1 << 20,
    ...options,
  });
  await writeAndFlush(db, from, to);
  return db;
}

async function writeAndFlush(db: Engine, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await db.put(key(i), value(i));
  await db.flush();
}

/** Reads keys [from, to), checking each value; returns how the cache's counters moved. */
function read(db: Readable, from = 0, to = KEYS): { hits: number; fileReads: number; prepopulated: number } {
  const before = db.stats().blockCache;
  for (let i = from; i < to; i++) {
    const got = db.get(key(i));
    expect(got && Buffer.from(got).toString(), key(i)).toBe(value(i));
  }
  const after = db.stats().blockCache;
  const prepopulated = after.prepopulated - before.prepopulated;
  return {
    hits: after.hits - before.hits,
    fileReads: after.misses - before.misses - prepopulated,
    prepopulated,
  };
}

/** Data blocks of KEYS entries: at least one per 1024 bytes of entries. */
const MIN_BLOCKS = Math.floor((KEYS * 100) / 1024);

describe('prepopulateBlockCache', () => {
  it("'flush', the default: no read of a flushed table goes to the file", async () => {
    const db = await flushedEngine({});
    try {
      expect(db.stats().levels[0]!.files).toBe(1);
      expect(db.stats().blockCache.handedOverBytes).toBeGreaterThanOrEqual(KEYS * 100);
      const first = read(db);
      expect(first.fileReads).toBe(0);
      expect(first.prepopulated).toBeGreaterThanOrEqual(MIN_BLOCKS);
      // Every block was taken: the table let go of what the flush handed over.
      expect(db.stats().blockCache.handedOverBytes).toBe(0);
      // The blocks taken are cached: a second pass hits on every get.
      expect(read(db)).toEqual({ hits: KEYS, fileReads: 0, prepopulated: 0 });
    } finally {
      await db.close();
    }
  });

  it("'off': the same reads go to the file once per block", async () => {
    const db = await flushedEngine({ prepopulateBlockCache: 'off' });
    try {
      const first = read(db);
      expect(first.prepopulated).toBe(0);
      expect(first.fileReads).toBeGreaterThanOrEqual(MIN_BLOCKS);
    } finally {
      await db.close();
    }
  });

  it('a flush hands over a quarter of the cache at most, from the first block on', async () => {
    const capacity = 64 * 1024;
    const db = await flushedEngine({ blockCacheBytes: capacity });
    try {
      // A quarter of 64 KiB holds at least 14 blocks of 1 KiB or a little more.
      expect(read(db, 0, 20)).toMatchObject({ fileReads: 0 });
      const tail = read(db, KEYS - 50, KEYS);
      expect(tail.prepopulated).toBe(0);
      expect(tail.fileReads).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });

  it("tables hold flushed blocks up to half the cache's capacity together: the oldest let go first", async () => {
    // Each flush of KEYS entries hands over a quarter of the capacity (16 KiB): after three,
    // the first table's blocks are let go, the later two keep theirs.
    const db = await flushedEngine({ blockCacheBytes: 64 * 1024, blockSizeBytes: 1024 }, 0, KEYS);
    try {
      await writeAndFlush(db, KEYS, 2 * KEYS);
      await writeAndFlush(db, 2 * KEYS, 3 * KEYS);
      expect(db.stats().levels[0]!.files).toBe(3);
      const held = db.stats().blockCache.handedOverBytes;
      expect(held).toBeGreaterThan(16 * 1024);
      expect(held).toBeLessThanOrEqual(32 * 1024);
      expect(read(db, 0, 10)).toMatchObject({ prepopulated: 0 });
      expect(read(db, KEYS, KEYS + 10)).toMatchObject({ fileReads: 0 });
      expect(read(db, 2 * KEYS, 2 * KEYS + 10)).toMatchObject({ fileReads: 0 });
    } finally {
      await db.close();
    }
  });

  it('handed-over blocks give the same values as the file after a reopen, and later writes shadow them', async () => {
    const fileSystem = new MemoryFileSystem();
    let db = await flushedEngine({ fileSystem });
    const expected = (i: number): string => (i % 3 === 0 ? `new ${i}` : value(i));
    try {
      for (let i = 0; i < KEYS; i += 3) await db.put(key(i), `new ${i}`);
      for (let i = 0; i < KEYS; i++) expect(Buffer.from(db.get(key(i))!).toString()).toBe(expected(i));
      await db.close();
      db = await Engine.open(DIR, { fileSystem, blockSizeBytes: 1024, prepopulateBlockCache: 'off' });
      for (let i = 0; i < KEYS; i++) expect(Buffer.from(db.get(key(i))!).toString()).toBe(expected(i));
    } finally {
      await db.close();
    }
  });

  it('on a real directory, the blocks of a flush on the worker thread reach the reads', async () => {
    const built = await importBuiltEngine();
    const dir = mkdtempSync(join(tmpdir(), 'statefn-prepopulate-'));
    try {
      const db = await built.Engine.open(dir, { blockSizeBytes: 1024, backgroundMode: 'worker' });
      try {
        for (let i = 0; i < KEYS; i++) await db.put(key(i), value(i));
        await db.flush();
        const first = read(db);
        expect(first.fileReads).toBe(0);
        expect(first.prepopulated).toBeGreaterThanOrEqual(MIN_BLOCKS);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
