/**
 * maxSubcompactions: a large compaction runs as parts split by key range, and what it writes
 * is what one job would have written: every key's newest value, tombstones honoured, one
 * sorted run of disjoint files per level, on the main thread and on worker threads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, InvalidArgumentError, MemoryFileSystem } from '../../../engine/index.js';
import type { EngineOptions } from '../../../engine/index.js';
import { importBuiltEngine } from '../../support/built-engine.js';

const DIR = '/db';

const key = (n: number): string => `key-${String(n).padStart(6, '0')}`;
const value = (n: number, round: number): string => `${round}:${n}:${'v'.repeat(40 + (n % 50))}`;

/** Writes rounds of puts and deletes, flushing after each round, and returns the model. */
async function load(
  db: Pick<Engine, 'put' | 'delete' | 'flush'>,
  keys: number,
  rounds: number,
): Promise<Map<string, string>> {
  const model = new Map<string, string>();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < keys; i++) {
      const n = (i * 7919 + round * 104729) % keys;
      if ((n + round) % 11 === 0) {
        await db.delete(key(n));
        model.delete(key(n));
      } else if ((n + round) % 3 !== 0) {
        await db.put(key(n), value(n, round));
        model.set(key(n), value(n, round));
      }
    }
    await db.flush();
  }
  return model;
}

type Readable = Pick<Engine, 'get' | 'iterator'>;

function expectModel(db: Readable, model: Map<string, string>, keys: number): void {
  const text = (b: Uint8Array | undefined): string | undefined =>
    b === undefined ? undefined : Buffer.from(b).toString();
  for (let n = 0; n < keys; n++) expect(text(db.get(key(n))), key(n)).toBe(model.get(key(n)));
  const scanned = [...db.iterator()].map(([k, v]) => [Buffer.from(k).toString(), Buffer.from(v).toString()]);
  expect(scanned).toEqual([...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Every level below 0 is one sorted run: its files' key ranges are disjoint and ascending. */
async function expectSortedRuns(describeDir: () => ReturnType<typeof Engine.describe>): Promise<number> {
  const d = await describeDir();
  let files = 0;
  for (const level of d.levels.slice(1)) {
    for (let i = 1; i < level.files.length; i++) {
      expect(Buffer.compare(level.files[i - 1]!.largestKey, level.files[i]!.smallestKey)).toBeLessThan(0);
    }
    files += level.files.length;
  }
  return files;
}

const OPTIONS: EngineOptions = {
  writeBufferSizeBytes: 64 * 1024,
  blockSizeBytes: 1024,
  targetFileSizeBytes: 16 * 1024,
  l0CompactionTrigger: 8,
  l0StopWritesTrigger: 16,
};

describe('maxSubcompactions', () => {
  it('splits a compaction into parts whose files hold exactly the merged data', async () => {
    const fs = new MemoryFileSystem();
    const options = { ...OPTIONS, fileSystem: fs, maxSubcompactions: 4 };
    let db = await Engine.open(DIR, options);
    const keys = 3000;
    const model = await load(db, keys, 5);
    await db.compactRange();
    const stats = db.stats();
    expect(stats.splitCompactions.count).toBeGreaterThan(0);
    expect(stats.splitCompactions.parts).toBeGreaterThan(stats.splitCompactions.count);
    expect(stats.splitCompactions.parts).toBeLessThanOrEqual(4 * stats.splitCompactions.count);
    expect(stats.levels[0]!.files).toBe(0);
    expectModel(db, model, keys);
    await db.close();
    expect(await expectSortedRuns(() => Engine.describe(DIR, { fileSystem: fs }))).toBeGreaterThan(4);

    // What the parts committed is what a reopened engine reads.
    db = await Engine.open(DIR, options);
    expectModel(db, model, keys);
    await db.close();
  });

  it('never splits with the default of 1, and the data is the same either way', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open(DIR, { ...OPTIONS, fileSystem: fs });
    const keys = 3000;
    const model = await load(db, keys, 5);
    await db.compactRange();
    expect(db.stats().splitCompactions).toEqual({ count: 0, parts: 0 });
    expect(db.stats().compactions).toBeGreaterThan(0);
    expectModel(db, model, keys);
    await db.close();
  });

  it('runs the parts on worker threads too', async () => {
    const { Engine: BuiltEngine } = await importBuiltEngine();
    const dir = mkdtempSync(join(tmpdir(), 'statefn-subcompactions-'));
    try {
      const db = await BuiltEngine.open(dir, { ...OPTIONS, backgroundMode: 'worker', maxSubcompactions: 3 });
      const keys = 3000;
      const model = await load(db, keys, 4);
      await db.compactRange();
      expect(db.stats().splitCompactions.count).toBeGreaterThan(0);
      expectModel(db, model, keys);
      await db.close();
      await expectSortedRuns(() => BuiltEngine.describe(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets compactRange split its compactions where the engine does not', async () => {
    const fs = new MemoryFileSystem();
    const db = await Engine.open(DIR, { ...OPTIONS, fileSystem: fs });
    try {
      const keys = 3000;
      const model = await load(db, keys, 5);
      await db.compactRange(undefined, undefined, { maxSubcompactions: 3 });
      const split = db.stats().splitCompactions;
      expect(split.count).toBeGreaterThan(0);
      expect(split.parts).toBeLessThanOrEqual(3 * split.count);
      expectModel(db, model, keys);
      for (const [bad, problem] of [
        [0, 'options must be an object'],
        [{ maxSubcompactions: 0 }, 'options.maxSubcompactions must be an integer between 1 and 16, got 0'],
        [{ maxSubcompactions: 17 }, 'options.maxSubcompactions must be an integer between 1 and 16, got 17'],
        [
          { maxSubcompactions: true },
          'options.maxSubcompactions must be an integer between 1 and 16, got true',
        ],
        [{ parts: 2 }, "unknown option 'parts'"],
      ] as const) {
        await expect(db.compactRange(undefined, undefined, bad as never)).rejects.toThrow(
          new InvalidArgumentError(`Engine.compactRange: ${problem}`),
        );
      }
    } finally {
      await db.close();
    }
  });

  it('rejects a value out of range, naming the option', async () => {
    for (const bad of [0, 17, 1.5, '2']) {
      await expect(
        Engine.open(DIR, { fileSystem: new MemoryFileSystem(), maxSubcompactions: bad as number }),
      ).rejects.toThrow(
        new InvalidArgumentError(
          `Engine.open: maxSubcompactions must be an integer between 1 and 16, got ${typeof bad === 'string' ? `"${bad}"` : bad}`,
        ),
      );
    }
  });
});
