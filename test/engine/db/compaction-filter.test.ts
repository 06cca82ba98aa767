/**
 * The compaction filter (engine option compactionFilter): compactions remove values their
 * filter module calls expired, without bringing back older versions and without changing
 * what a snapshot sees.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, InvalidArgumentError, MemoryFileSystem } from '../../../engine/index.js';
import { importBuiltEngine } from '../../support/built-engine.js';
import { expiringValue, isExpired } from './fixtures/expiry-filter.js';

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

  it("reports the keys its filter answers 'report' for, keeps their values, and bounds the reports", async () => {
    let now = 1_000;
    const reports: string[][] = [];
    const db = await Engine.open(DIR, {
      fileSystem: new MemoryFileSystem(),
      compactionFilter: {
        module: FILTER,
        now: () => now,
        onReport: (keys) => reports.push(keys.map((k) => Buffer.from(k).toString())),
        maxReports: 25,
      },
    });
    try {
      // Every third key is reported once expired, every third removed, the rest kept.
      for (let i = 0; i < 90; i++) {
        const value = i % 3 === 2 ? new Uint8Array([1, 2, 3]) : expiringValue(2_000, 64, i, i % 3 === 0);
        await db.put(key(i), value);
      }
      await db.compactRange();
      await new Promise((resolve) => setImmediate(resolve));
      expect(reports).toEqual([]);

      now = 3_000;
      await db.compactRange();
      await new Promise((resolve) => setImmediate(resolve));
      const expected = Array.from({ length: 30 }, (_, j) => key(3 * j));
      // One compaction per level that holds the keys; each reports what it found expired,
      // at most 25 keys, in key order.
      expect(reports.length).toBeGreaterThan(0);
      for (const r of reports) {
        expect(r).toEqual(expected.slice(0, r.length));
        expect(r.length).toBeLessThanOrEqual(25);
      }
      expect(reports.some((r) => r.length === 25)).toBe(true);
      // Each compaction counts every key it reported, collected or not.
      expect(db.stats().compactionFilter).toEqual({ expired: 30, reported: 30 * reports.length });
      for (let i = 0; i < 90; i++) {
        if (i % 3 === 0) expect(db.get(key(i))).toEqual(expiringValue(2_000, 64, i, true));
        else if (i % 3 === 1) expect(db.get(key(i))).toBeUndefined();
        else expect(db.get(key(i))).toEqual(new Uint8Array([1, 2, 3]));
      }
    } finally {
      await db.close();
    }
  });

  it('brings the reported keys back from a compaction on the worker thread', async () => {
    const built = await importBuiltEngine();
    const dir = mkdtempSync(join(tmpdir(), 'statefn-filter-'));
    try {
      // The worker imports the filter itself, so it must be JavaScript: the fixture's
      // function, written out as a module.
      const module = join(dir, 'filter.mjs');
      writeFileSync(module, `const REPORTED = 0xed;\nexport ${isExpired.toString()}\n`);
      const reported: Uint8Array[][] = [];
      const db = await built.Engine.open(join(dir, 'db'), {
        backgroundMode: 'worker',
        compactionFilter: { module, now: () => 3_000, onReport: (keys) => reported.push(keys) },
      });
      try {
        for (let i = 0; i < 10; i++) await db.put(key(i), expiringValue(2_000, 64, i, i < 4));
        await db.compactRange();
        await new Promise((resolve) => setImmediate(resolve));
        // compactRange compacts level 0 into 1, then level 1 into itself: each reports.
        expect(reported.length).toBeGreaterThan(0);
        for (const keys of reported) {
          expect(keys.map((k) => Buffer.from(k).toString())).toEqual([0, 1, 2, 3].map(key));
          expect(keys.every((k) => k instanceof Uint8Array)).toBe(true);
        }
        expect(db.get(key(0))).toEqual(expiringValue(2_000, 64, 0, true));
        expect(db.get(key(5))).toBeUndefined();
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a value its filter answers 'report' for when there is no onReport", async () => {
    const db = await Engine.open(DIR, {
      fileSystem: new MemoryFileSystem(),
      compactionFilter: { module: FILTER, now: () => 5_000 },
    });
    try {
      await db.put(key(1), expiringValue(2_000, 64, 1, true));
      await db.compactRange();
      expect(db.get(key(1))).toEqual(expiringValue(2_000, 64, 1, true));
    } finally {
      await db.close();
    }
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
    await expect(
      Engine.open(DIR, {
        fileSystem: fs,
        compactionFilter: { module: FILTER, onReport: 'log' as unknown as () => void },
      }),
    ).rejects.toThrow(
      new InvalidArgumentError(
        'Engine.open: compactionFilter.onReport must be a function of the reported keys',
      ),
    );
    for (const [maxReports, shown] of [
      [0, '0'],
      [1.5, '1.5'],
      [1_000_001, '1000001'],
      ['10', 'string'],
    ] as const) {
      await expect(
        Engine.open(DIR, {
          fileSystem: fs,
          compactionFilter: { module: FILTER, maxReports: maxReports as number },
        }),
      ).rejects.toThrow(
        new InvalidArgumentError(
          `Engine.open: compactionFilter.maxReports must be an integer between 1 and 1000000, got ${shown}`,
        ),
      );
    }
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
