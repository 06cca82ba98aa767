/**
 * A disk that starts failing writes at any point of an engine's life, or fails one write
 * and recovers: every promise the engine handed out settles (writes, flushes, compactions,
 * checkpoints, close), each fulfilled or rejected because of the fault, and reopening on
 * the same files finds every write acknowledged with sync, and batches all or nothing.
 */
import { describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../../engine/env/faulty-file-system.js';
import { CheckpointStore, Engine, MemoryFileSystem, WriteBatch } from '../../../engine/index.js';
import { allSettleSoon, faultTolerant, sweepFaults } from '../../support/faults.js';

const KEYS = 40;

const key = (i: number): string => `k${String(i).padStart(4, '0')}`;

/** Runs the workload with writes failing from the `failAfter`-th mutation after open on. */
async function runWith(
  failAfter: number | undefined,
  once = false,
): Promise<{ mutations: number; flushes: number; compactions: number }> {
  const faulty = new FaultyFileSystem(new MemoryFileSystem());
  // Tiny memtables and files: flushes and compactions happen within the workload.
  const options = {
    fileSystem: faulty,
    backgroundMode: 'inline' as const,
    // Jobs are tried again at once (the delays are background-retry.test.ts's subject).
    backgroundRetryDelayMs: 0,
    writeBufferSizeBytes: 4096,
    targetFileSizeBytes: 4096,
  };
  const db = await Engine.open('/db', options);
  const store = await CheckpointStore.open('/cp', { fileSystem: faulty });
  const start = faulty.mutations;
  if (failAfter !== undefined) faulty.failAfter(failAfter, once);
  const synced = new Set<number>();
  const settled: Promise<unknown>[] = [];
  const expectSettledByFault = (p: Promise<unknown>): void => void settled.push(faultTolerant(p));
  for (let i = 0; i < KEYS; i++) {
    const value = 'v'.repeat(100) + String(i);
    if (i % 5 === 0) {
      // A batch of two: both or neither after reopening.
      expectSettledByFault(
        db
          .write(new WriteBatch().put(key(i), value).put(`${key(i)}b`, value), { sync: true })
          .then(() => synced.add(i)),
      );
    } else {
      expectSettledByFault(
        db.put(key(i), value, { sync: i % 2 === 0 }).then(() => {
          if (i % 2 === 0) synced.add(i);
        }),
      );
    }
    if (i === KEYS / 2) {
      expectSettledByFault(db.flush());
      expectSettledByFault(db.checkpoint(store));
    }
  }
  expectSettledByFault(db.compactRange());
  expectSettledByFault(db.checkpoint(store));
  await allSettleSoon(settled, 'the writes, flushes, compactions and checkpoints');
  const { flushes, compactions } = db.stats();
  expectSettledByFault(db.close());
  expectSettledByFault(store.close());
  await allSettleSoon(settled, 'close');
  const mutations = faulty.mutations - start;

  faulty.failAt = undefined;
  const reopened = await Engine.open('/db', options);
  for (const i of synced) expect(reopened.get(key(i)) !== undefined, `synced ${key(i)}`).toBe(true);
  for (let i = 0; i < KEYS; i += 5) {
    expect(reopened.get(`${key(i)}b`) !== undefined, `batch ${i}`).toBe(reopened.get(key(i)) !== undefined);
  }
  await reopened.close();
  return { mutations, flushes, compactions };
}

describe('engine write failures', () => {
  it('at any point: every promise settles, and reopening keeps what was synced', async () => {
    const clean = await runWith(undefined);
    // The workload flushes and compacts, so faults land in those too.
    expect(clean.flushes).toBeGreaterThan(1);
    expect(clean.compactions).toBeGreaterThan(0);
    const total = clean.mutations;
    await sweepFaults(total, runWith);
  }, 300_000);
});
