/**
 * The compaction filter (engine option compactionFilter): compactions remove values their
 * filter module calls expired, without bringing back older versions and without changing
 * what a snapshot sees.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, InvalidArgumentError, MemoryFileSystem } from '../../../engine/index.js';
import { expiringValue } from './fixtures/expiry-filter.js';

const FILTER = new URL('./fixtures/expiry-filter.ts', import.meta.url).href;
const DIR = '/db';

function tableBytes(db: Engine): number {
  return db.stats().levels.reduce((sum, level) => sum + level.bytes, 0);
}

function key(n: number): string {
  return `key-${String(n).padStart(5, '0')}`;
}

describe('compactionFilter', () => {
  it('removes expired values from disk, and only those', async () => {
    let now = 1_000;
    const db = await Engine.open(DIR, {
      fileSystem: new MemoryFileSystem(),
      compactionFilter: { module: FILTER, now: () => now },
    });
    try {
      for (let i = 0; i < 400; i++) {
        // Even keys expire at 2000, odd ones at 5000; each value is 1 KiB.
        await db.put(key(i), expiringValue(i % 2 === 0 ? 2_000 : 5_000, 1024, i % 256));
      }
      await db.flush();
      await db.compactRange();
      const before = tableBytes(db);
      expect(db.get(key(0))).toBeDefined();

      now = 3_000;
      await db.compactRange();
      const after = tableBytes(db);
      // Half the values were expired: their bytes are gone (compressible fill, so compare
      // with what was there rather than with a fixed size).
      expect(after).toBeLessThan(before * 0.75);
      for (let i = 0; i < 400; i++) {
        if (i % 2 === 0) expect(db.get(key(i))).toBeUndefined();
        else expect(db.get(key(i))).toEqual(expiringValue(5_000, 1024, i % 256));
      }
    } finally {
      await db.close();
    }
  });

  it('never brings back an older version, and leaves snapshots their view', async () => {
    const seen = { olderResurfaceChances: 0, snapshotsHeld: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.nat(20),
            expiresAt: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
            flush: fc.boolean(),
            compact: fc.boolean(),
            snapshot: fc.boolean(),
          }),
          { minLength: 1, maxLength: 60, size: 'max' },
        ),
        fc.integer({ min: 0, max: 120 }),
        async (writes, nowMs) => {
          const db = await Engine.open(DIR, {
            fileSystem: new MemoryFileSystem(),
            compactionFilter: { module: FILTER, now: () => nowMs },
            writeBufferSizeBytes: 4096,
          });
          const model = new Map<string, Uint8Array>();
          const snapshots: { snap: ReturnType<Engine['snapshot']>; view: Map<string, Uint8Array> }[] = [];
          try {
            for (const [i, w] of writes.entries()) {
              const k = key(w.key);
              const v =
                w.expiresAt === undefined
                  ? new Uint8Array([1, i % 256])
                  : expiringValue(w.expiresAt, 12, i % 256);
              if (model.has(k) && w.expiresAt !== undefined && w.expiresAt <= nowMs) {
                seen.olderResurfaceChances++;
              }
              await db.put(k, v);
              model.set(k, v);
              if (w.snapshot) {
                snapshots.push({ snap: db.snapshot(), view: new Map(model) });
                seen.snapshotsHeld++;
              }
              if (w.flush) await db.flush();
              if (w.compact) await db.compactRange();
            }
            await db.flush();
            await db.compactRange();
            const expired = (v: Uint8Array): boolean => v[0] === 0xee && readAt(v) <= nowMs;
            for (let n = 0; n <= 20; n++) {
              const expected = model.get(key(n));
              const actual = db.get(key(n));
              // Expired or not yet compacted away: gone or the newest value, never an older one.
              if (expected === undefined) expect(actual).toBeUndefined();
              else if (expired(expected)) expect(actual === undefined || equal(actual, expected)).toBe(true);
              else expect(actual).toEqual(expected);
            }
            for (const { snap, view } of snapshots) {
              for (let n = 0; n <= 20; n++) {
                const expected = view.get(key(n));
                const actual = db.get(key(n), { snapshot: snap });
                if (expected === undefined) expect(actual).toBeUndefined();
                else if (expired(expected))
                  expect(actual === undefined || equal(actual, expected)).toBe(true);
                else expect(actual).toEqual(expected);
              }
            }
          } finally {
            for (const { snap } of snapshots) snap.release();
            await db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(seen.olderResurfaceChances).toBeGreaterThan(10);
    expect(seen.snapshotsHeld).toBeGreaterThan(10);
  });

  it('refuses a bad filter option', async () => {
    const fs = new MemoryFileSystem();
    await expect(
      Engine.open(DIR, { fileSystem: fs, compactionFilter: { module: 'relative.js' } }),
    ).rejects.toThrow(
      new InvalidArgumentError(
        'Engine.open: compactionFilter.module must be a file: URL or an absolute path of an ES module',
      ),
    );
    await expect(
      Engine.open(DIR, {
        fileSystem: fs,
        compactionFilter: { module: FILTER, now: 5 as unknown as () => number },
      }),
    ).rejects.toThrow(InvalidArgumentError);
  });
});

function readAt(v: Uint8Array): number {
  let at = 0;
  for (let i = 1; i < 9; i++) at = at * 256 + v[i]!;
  return at;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
