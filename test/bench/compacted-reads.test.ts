// readrandom-compacted: each store compacts its whole key space (untimed), then the reads of
// readrandom run over what is left. Nothing here measures speed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClassicLevelStore } from '../../bench/stores/classic-level-store.js';
import { LmdbStore } from '../../bench/stores/lmdb-store.js';
import { RocksdbStore } from '../../bench/stores/rocksdb-store.js';
import { StatefnStore } from '../../bench/stores/statefn-store.js';
import type { BenchStore } from '../../bench/stores/store.js';
import { FILL_RANDOM, OVERWRITE } from '../../bench/workloads/fill.js';
import { READ_RANDOM_COMPACTED } from '../../bench/workloads/point-reads.js';
import type { WorkloadContext } from '../../bench/workloads/workload.js';
import { Engine } from '../../engine/index.js';
import { workloadContexts } from './workload-context-fixture.js';

// Small memtables, so that the fills leave several level-0 tables for the compaction.
const OPEN_OPTIONS = { blockCacheBytes: 1 << 20, writeBufferBytes: 64 << 10 };
const NUM = 4_000;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'statefn-compacted-reads-'));
  dirs.push(dir);
  return dir;
}

function contextOf(store: BenchStore, keyCount: number): (label: string) => WorkloadContext {
  return workloadContexts(store, { keyCount, reads: NUM, seed: 5 });
}

/** Loads `store` as a run does before the point reads: fillrandom, then overwrite. */
async function load(store: BenchStore): Promise<void> {
  const context = contextOf(store, NUM);
  await FILL_RANDOM.run(context('fillrandom'));
  await OVERWRITE.run(context('overwrite'));
}

describe('readrandom-compacted', () => {
  it('leaves statefn with no level-0 table, and finds every key', async () => {
    const dir = freshDir();
    const store = new StatefnStore();
    await store.open(dir, OPEN_OPTIONS);
    await load(store);
    const measured = await READ_RANDOM_COMPACTED.run(contextOf(store, NUM)(READ_RANDOM_COMPACTED.name));
    await store.close();
    expect(measured.ops).toBe(NUM);
    expect(measured.notes).toHaveLength(1);
    expect(measured.notes[0]).toMatch(/^compacted in \d+\.\d\d s before the reads \(not timed\)$/);
    const after = await Engine.describe(dir);
    expect(after.levels[0]!.files).toEqual([]);
    expect(after.levels.filter((level) => level.files.length > 0)).toHaveLength(1);
  });

  it('reports the keys it did not find', async () => {
    const store = new StatefnStore();
    await store.open(freshDir(), OPEN_OPTIONS);
    await FILL_RANDOM.run(contextOf(store, NUM)('fillrandom'));
    // Reads drawn from twice the keys the fill wrote: about half of them miss.
    const measured = await READ_RANDOM_COMPACTED.run(contextOf(store, 2 * NUM)(READ_RANDOM_COMPACTED.name));
    await store.close();
    expect(measured.notes).toHaveLength(2);
    expect(measured.notes[1]).toMatch(/^[\d,]+ of 4,000 keys NOT FOUND$/);
  });

  it('runs over classic-level and lmdb, which find every key', async () => {
    for (const store of [new ClassicLevelStore(), new LmdbStore()]) {
      await store.open(freshDir(), OPEN_OPTIONS);
      await load(store);
      const measured = await READ_RANDOM_COMPACTED.run(contextOf(store, NUM)(READ_RANDOM_COMPACTED.name));
      await store.close();
      expect(measured.ops, store.name).toBe(NUM);
      expect(measured.notes, store.name).toHaveLength(1);
    }
  });

  it('is refused by rocksdb, whose binding has no manual compaction', async () => {
    await expect(new RocksdbStore().compact()).rejects.toThrow(
      'RocksdbStore.compact: @nxtedition/rocksdb binds no manual compaction',
    );
  });
});
