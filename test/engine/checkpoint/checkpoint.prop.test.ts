/**
 * Model-based test of checkpoints: random writes, flushes and compactions interleaved with
 * checkpoints (some with writes racing them), retains, deletes and store reopens. At the end
 * every checkpoint the model says is retained must be listed, in order, and restore into a
 * fresh directory with exactly the model's content at the moment it was taken; the store
 * holds no shared file that no checkpoint names. Tiny engine options make many SSTs, so
 * checkpoints share files and compaction replaces them between checkpoints.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore, Engine, MemoryFileSystem, WriteBatch } from '../../../engine/index.js';
import { EngineModel } from '../../support/engine-model.js';
import { soakMs, soakRuns } from '../../support/soak.js';
import { contents, entries, restoredContents, TINY } from './checkpoint-helpers.js';

type Op =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'batch'; ops: Array<[string, string | null]> }
  | { kind: 'flush' }
  | { kind: 'compact' }
  | { kind: 'checkpoint'; racing: Array<[string, string]>; sealed: 'flush' | 'carry' }
  | { kind: 'retain'; count: number }
  | { kind: 'deleteCheckpoint'; pick: number }
  | { kind: 'reopenStore' }
  | { kind: 'reopenEngine' };

const keyArb = fc.integer({ min: 0, max: 120 }).map((i) => `k${String(i).padStart(3, '0')}`);
// Base64 of random bytes: LZ4 cannot shrink it, so the data spreads over many SSTs.
const valueArb = fc.uint8Array({ maxLength: 300, size: 'max' }).map((b) => Buffer.from(b).toString('base64'));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: valueArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      ops: fc.array(fc.tuple(keyArb, fc.option(valueArb, { nil: null })), { minLength: 1, maxLength: 10 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('checkpoint' as const),
      racing: fc.array(fc.tuple(keyArb, valueArb), { maxLength: 4 }),
      sealed: fc.constantFrom('flush' as const, 'carry' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('retain' as const), count: fc.integer({ min: 0, max: 4 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteCheckpoint' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopenStore' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopenEngine' as const }) },
);

const coverage = {
  checkpoints: 0,
  restores: 0,
  reusedFiles: 0,
  copiedFiles: 0,
  deleted: 0,
  racingWrites: 0,
  /** 'carry' checkpoints called while a sealed memtable waited for its flush. */
  carriedSealed: 0,
};

async function run(ops: Op[], sameFileSystem: boolean): Promise<void> {
  const engineFs = new MemoryFileSystem();
  const storeFs = sameFileSystem ? engineFs : new MemoryFileSystem();
  let db = await Engine.open('/db', { ...TINY, fileSystem: engineFs });
  let store = await CheckpointStore.open('/store', { fileSystem: storeFs });
  const model = new EngineModel();
  /** Retained checkpoints, oldest first, with the model's content when each was taken. */
  let taken: Array<{ id: string; data: Map<string, string>; metadata: number }> = [];
  try {
    for (const op of ops) {
      switch (op.kind) {
        case 'put':
          await db.put(op.key, op.value);
          model.put(op.key, op.value);
          break;
        case 'delete':
          await db.delete(op.key);
          model.delete(op.key);
          break;
        case 'batch': {
          const b = new WriteBatch();
          for (const [k, v] of op.ops) {
            if (v === null) {
              b.delete(k);
              model.delete(k);
            } else {
              b.put(k, v);
              model.put(k, v);
            }
          }
          await db.write(b);
          break;
        }
        case 'flush':
          await db.flush();
          break;
        case 'compact':
          await db.compactRange();
          break;
        case 'checkpoint': {
          const data = new Map(model.data);
          const metadata = taken.length + coverage.checkpoints;
          if (op.sealed === 'carry' && db.stats().immutableMemtables > 0) coverage.carriedSealed++;
          const pending = db.checkpoint(store, { metadata: { n: metadata }, sealedMemtables: op.sealed });
          // Writes issued after the call must not be in the checkpoint.
          const racing = op.racing.map(([k, v]) => db.put(k, v));
          for (const [k, v] of op.racing) model.put(k, v);
          coverage.racingWrites += racing.length;
          const [cp] = await Promise.all([pending, ...racing]);
          expect(cp.metadata).toEqual({ n: metadata });
          expect(cp.newFiles).toBe(cp.files.filter((f) => !f.shared).length);
          coverage.checkpoints++;
          coverage.reusedFiles += cp.files.length - cp.newFiles;
          coverage.copiedFiles += cp.newFiles;
          taken.push({ id: cp.id, data, metadata });
          break;
        }
        case 'retain': {
          const deleted = await store.retain(op.count);
          const keep = taken.slice(Math.max(0, taken.length - op.count));
          expect(deleted).toEqual(taken.slice(0, taken.length - keep.length).map((t) => t.id));
          coverage.deleted += deleted.length;
          taken = keep;
          break;
        }
        case 'deleteCheckpoint': {
          if (taken.length === 0) break;
          const victim = taken[op.pick % taken.length]!;
          await store.delete(victim.id);
          taken = taken.filter((t) => t !== victim);
          coverage.deleted++;
          break;
        }
        case 'reopenStore':
          await store.close();
          store = await CheckpointStore.open('/store', { fileSystem: storeFs });
          break;
        case 'reopenEngine':
          await db.close();
          db = await Engine.open('/db', { ...TINY, fileSystem: engineFs });
          break;
      }
    }
    expect(entries(contents(db))).toEqual(entries(model.data));

    const listed = await store.list();
    expect(listed.map((c) => c.id)).toEqual(taken.map((t) => t.id));
    const referenced = new Set(listed.flatMap((c) => c.files.map((f) => f.name)));
    expect(storeFs.list('/store/shared').sort()).toEqual([...referenced].sort());
    for (const [i, t] of taken.entries()) {
      expect(listed[i]!.metadata).toEqual({ n: t.metadata });
      await store.verify(t.id);
      const restored = await restoredContents(engineFs, store, t.id);
      coverage.restores++;
      expect(entries(restored)).toEqual(entries(t.data));
    }
  } finally {
    await db.close();
    await store.close();
  }
}

describe('checkpoints against a model', () => {
  afterAll(() => {
    // The property must not pass vacuously: the runs took, shared, deleted and restored
    // checkpoints, and writes raced them.
    expect(coverage.checkpoints).toBeGreaterThan(500);
    expect(coverage.restores).toBeGreaterThan(200);
    expect(coverage.reusedFiles).toBeGreaterThan(300);
    expect(coverage.copiedFiles).toBeGreaterThan(300);
    expect(coverage.deleted).toBeGreaterThan(100);
    expect(coverage.racingWrites).toBeGreaterThan(300);
    expect(coverage.carriedSealed).toBeGreaterThan(20);
  });

  it(
    'every retained checkpoint restores to the model as of the moment it was taken',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 160, size: 'max' }), fc.boolean(), run),
        { numRuns: soakRuns(150), interruptAfterTimeLimit: soakMs(100_000), markInterruptAsFailure: true },
      );
    },
    soakMs(120_000),
  );
});
