/**
 * Crash tests of the checkpoint store: a workload of checkpoints, a retain and a delete
 * runs with the store's file system failing from its N-th mutation on, for every N the
 * workload reaches (every step of checkpoint, retain and delete). Then the machine
 * "crashes" (MemoryFileSystem.crash keeps synced bytes, synced directory entries and a
 * random prefix of each unsynced tail) and the store is reopened.
 *
 * Invariants after reopening:
 * - every checkpoint complete before the faulty phase, and not targeted by the retain or
 *   delete under way, is still listed;
 * - every listed checkpoint verifies and restores to exactly the state it was taken at
 *   (metadata says which);
 * - no garbage: no unfinished or half-deleted checkpoint directories, and no shared file
 *   that no checkpoint names.
 * Run twice: with the store on its own file system (files copied) and on the engine's
 * (files hard-linked, and the engine's own flushes fail too).
 */
import { describe, expect, it } from 'vitest';
import { CheckpointStore, Engine, MemoryFileSystem } from '../../../engine/index.js';
import { FaultyFileSystem } from '../../../engine/env/faulty-file-system.js';
import { seededRandom } from '../../support/seeded-random.js';
import { contents, entries, restoredContents, TINY } from './checkpoint-helpers.js';

interface Outcome {
  /** Mutations of the faulty phase. */
  used: number;
  /** Where the fault hit, e.g. "append /store/shared/..."; undefined without a fault. */
  hit: string | undefined;
}

async function scenario(sameFs: boolean, failAt: number | undefined, seed: number): Promise<Outcome> {
  const memory = new MemoryFileSystem();
  const faulty = new FaultyFileSystem(memory);
  // A failed job is tried again at once: these faults never pass, and waiting would only slow the test.
  const db = await Engine.open('/db', {
    ...TINY,
    backgroundRetryDelayMs: 0,
    fileSystem: sameFs ? faulty : new MemoryFileSystem(),
  });
  const store = await CheckpointStore.open('/store', { fileSystem: faulty });
  const states: Array<Map<string, string>> = [];
  let next = 0;
  const write = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++, next++)
      await db.put(`k${String(next % 90).padStart(3, '0')}`, `${next}`.repeat(60));
  };
  const checkpoint = async (): Promise<void> => {
    states.push(contents(db));
    await db.checkpoint(store, { metadata: states.length - 1 });
  };

  await write(200);
  await checkpoint();
  await write(80);
  await checkpoint();
  await write(80);
  await checkpoint();
  const before = (await store.list()).map((c) => c.id);

  const start = faulty.mutations;
  faulty.failAt = failAt === undefined ? undefined : start + failAt;
  faulty.traceEnabled = true;
  const targets = new Set<string>();
  try {
    await write(30);
    await checkpoint();
    const ids = (await store.list()).map((c) => c.id);
    for (const id of ids.slice(0, ids.length - 2)) targets.add(id);
    await store.retain(2);
    await write(30);
    await checkpoint();
    const remaining = (await store.list()).map((c) => c.id);
    targets.add(remaining[0]!);
    await store.delete(remaining[0]!);
  } catch (err) {
    if (!faulty.failed) throw err;
  }
  const used = faulty.mutations - start;
  const hit =
    failAt === undefined ? undefined : faulty.trace.find((t) => Number.parseInt(t, 10) === start + failAt);
  await db.close().catch(() => undefined);

  const crashed = memory.crash({ random: seededRandom(seed) });
  const reopened = await CheckpointStore.open('/store', { fileSystem: crashed });
  try {
    const listed = await reopened.list();
    const ids = listed.map((c) => c.id);
    for (const id of before) if (!targets.has(id)) expect(ids).toContain(id);
    expect(crashed.list('/store/checkpoints').sort()).toEqual([...ids].sort());
    const used = new Set(listed.flatMap((c) => c.files.map((f) => f.name)));
    expect(crashed.list('/store/shared').sort()).toEqual([...used].sort());
    const target = new MemoryFileSystem();
    for (const c of listed) {
      await reopened.verify(c.id);
      const expected = states[c.metadata as number]!;
      expect(entries(await restoredContents(target, reopened, c.id))).toEqual(entries(expected));
    }
  } finally {
    await reopened.close();
  }
  return { used, hit };
}

describe('checkpoint store crashes', () => {
  for (const sameFs of [false, true]) {
    it(`a crash at any step of checkpoint, retain or delete leaves every other checkpoint restorable and no garbage (${sameFs ? 'hard links, shared file system' : 'copies, own file system'})`, async () => {
      const { used } = await scenario(sameFs, undefined, 1);
      expect(used).toBeGreaterThan(30);
      const kinds = new Map<string, number>();
      for (let failAt = 0; failAt <= used; failAt++) {
        const { hit } = await scenario(sameFs, failAt, failAt * 7919 + 1);
        if (hit !== undefined) {
          const kind = / syncdir /.test(hit)
            ? 'syncdir'
            : / (remove|rmdir) /.test(hit)
              ? 'remove'
              : / rename .*checkpoints/.test(hit)
                ? 'rename'
                : /\/store\/shared\//.test(hit)
                  ? 'shared'
                  : /CHECKPOINT/.test(hit)
                    ? 'metadata'
                    : 'other';
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }
      }
      // The faults reached every kind of step: file copies, metadata, renames, fsyncs, removals.
      for (const kind of ['syncdir', 'rename', 'shared', 'metadata', 'remove']) {
        expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
      }
    });
  }
});
