/**
 * Group commit on the real file system: concurrent sync writers share fsyncs, and the
 * writers of a group just acknowledged join the next group instead of waiting a whole fsync
 * for the one after (write-pipeline.ts, #loop).
 */
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../support/temp-dirs.js';
import { Engine } from '../../../engine/index.js';

const tempDir = useTempDirs('statefn-group');

describe('group commit of sync writes', () => {
  it.each(['inline', 'async'] as const)(
    "64 writers that write again as soon as they are acknowledged share one fsync per round (walSyncMode '%s')",
    async (walSyncMode) => {
      const dir = tempDir();
      const db = await Engine.open(dir, { walSyncMode });
      try {
        const writers = 64;
        const rounds = 50;
        const value = new Uint8Array(100);
        // A put behind a layer of async functions, as applications (and the benchmark's store
        // adapter) call it: the writer resumes some microtasks after its acknowledgement.
        const layeredPut = async (key: string): Promise<void> => {
          await db.put(key, value, { sync: true });
          await Promise.resolve();
        };
        const before = db.stats().walSyncs;
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            // Half the writers start a turn later, during the first group's fsync. Without the
            // event-loop turn the pipeline takes after acknowledging a group, the two halves
            // would alternate between two groups for good.
            if (w % 2 === 1) await new Promise<void>((resolve) => setImmediate(resolve));
            for (let r = 0; r < rounds; r++) await layeredPut(`w${w}-r${r}`);
          }),
        );
        const syncs = db.stats().walSyncs - before;
        // Every round's 64 writes in one group after the first two: about `rounds` fsyncs, where
        // two alternating half groups take twice as many.
        expect(syncs).toBeLessThanOrEqual(Math.ceil(rounds * 1.2));
        for (let w = 0; w < writers; w += 9) expect(db.get(`w${w}-r${rounds - 1}`)).toEqual(value);
      } finally {
        await db.close();
      }
    },
  );
});
