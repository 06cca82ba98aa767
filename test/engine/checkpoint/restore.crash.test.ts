/**
 * Crash tests of a restore (Engine.open with restoreFrom): the target's file system fails
 * from its N-th mutation on, for every N the restore reaches, then the machine "crashes"
 * (MemoryFileSystem.crash keeps what was synced and a random prefix of each unsynced tail).
 *
 * Invariant after the crash (engine/FORMAT.md, "Restoring"): if the directory has a
 * CURRENT, a plain open finds exactly the checkpoint's contents (every file CURRENT
 * depends on was durable before it); if not, it holds no engine, and a restore into it
 * succeeds and finds exactly the checkpoint's contents.
 * Run twice: with the store on its own file system (tables copied) and on the target's
 * (tables hard-linked).
 */
import { describe, expect, it } from 'vitest';
import { CheckpointStore, Engine, MemoryFileSystem } from '../../../engine/index.js';
import type { Checkpoint } from '../../../engine/index.js';
import { FaultyFileSystem } from '../../../engine/env/faulty-file-system.js';
import { seededRandom } from '../../support/seeded-random.js';
import { contents, entries, TINY } from './checkpoint-helpers.js';

interface Source {
  /** The file system the restore writes to (and, with links, the store's). */
  memory: MemoryFileSystem;
  storeFs: MemoryFileSystem;
  cp: Checkpoint;
  expected: Array<[string, string]>;
}

/** An engine's checkpoint with tables at several levels and a WAL tail. */
async function source(sameFs: boolean): Promise<Source> {
  const memory = new MemoryFileSystem();
  const storeFs = sameFs ? memory : new MemoryFileSystem();
  const db = await Engine.open('/db', { ...TINY, fileSystem: memory });
  const store = await CheckpointStore.open('/store', { fileSystem: storeFs });
  for (let i = 0; i < 400; i++) await db.put(`k${String(i % 150).padStart(3, '0')}`, `${i} `.repeat(30));
  const cp = await db.checkpoint(store);
  expect(new Set(cp.files.map((f) => f.kind))).toEqual(new Set(['table', 'log']));
  const expected = entries(contents(db));
  await Promise.all([db.close(), store.close()]);
  return { memory, storeFs, cp, expected };
}

/** Restores with the fault at mutation `failAt` (none if undefined), crashes, checks. */
async function scenario(
  { memory, storeFs, cp, expected }: Source,
  failAt: number | undefined,
  seed: number,
): Promise<{ used: number; committed: boolean }> {
  // Each scenario starts from the same durable state: a crash of the source's file system.
  const before = memory.crash();
  const faulty = new FaultyFileSystem(before);
  const store = await CheckpointStore.open('/store', { fileSystem: storeFs === memory ? faulty : storeFs });
  const start = faulty.mutations;
  faulty.failAt = failAt === undefined ? undefined : start + failAt;
  try {
    const db = await Engine.open('/restored', {
      ...TINY,
      fileSystem: faulty,
      restoreFrom: { store, id: cp.id },
    });
    await db.close();
  } catch (err) {
    if (!faulty.failed) throw err;
  }
  const used = faulty.mutations - start;
  await store.close().catch(() => undefined);

  const crashed = before.crash({ random: seededRandom(seed) });
  const committed = crashed.exists('/restored/CURRENT');
  const reopenedStore = await CheckpointStore.open('/store', {
    fileSystem: storeFs === memory ? crashed : storeFs,
  });
  try {
    const db = await Engine.open('/restored', {
      ...TINY,
      fileSystem: crashed,
      ...(committed ? {} : { restoreFrom: { store: reopenedStore, id: cp.id } }),
    });
    expect(entries(contents(db))).toEqual(expected);
    await db.close();
  } finally {
    await reopenedStore.close();
  }
  return { used, committed };
}

describe('restore crashes', () => {
  for (const sameFs of [false, true]) {
    it(`a crash at any step of a restore leaves either the whole checkpoint or a directory that takes the restore again (${sameFs ? 'hard links' : 'copies'})`, async () => {
      const src = await source(sameFs);
      const { used } = await scenario(src, undefined, 1);
      expect(used).toBeGreaterThan(10);
      let committed = 0;
      for (let failAt = 0; failAt <= used; failAt++) {
        if ((await scenario(src, failAt, failAt * 7919 + 1)).committed) committed++;
      }
      // Both outcomes were reached: crashes before and after the commit point.
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(used + 1);
    });
  }
});
