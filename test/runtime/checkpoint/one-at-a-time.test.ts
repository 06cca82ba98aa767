/**
 * One checkpoint at a time. A checkpoint asked for while one runs is queued behind it; a
 * call that lands after the running one settled but before the queued one started (a
 * continuation of the running one's promise, registered ahead of the queue's) must join the
 * queued one. Before this was so, such a call started a checkpoint of its own and the queued
 * one started right after it: two checkpoints' barriers were in the channels at once, the
 * first never completed (its caller waited forever), and shards that met the other's
 * barriers began each checkpoint again and again, filling their mailboxes with barriers.
 */
import { describe, expect, it } from 'vitest';
import type { CommittedCheckpoint } from '../../../runtime/index.js';
import { TestRuntime, counterApp, until } from '../runtime-harness.js';

const COUNTER = 'test/counter';

/** Resolves to the checkpoints, or records that they did not all commit in time. */
async function allCommit(checkpoints: Promise<CommittedCheckpoint>[]): Promise<CommittedCheckpoint[]> {
  let settled: CommittedCheckpoint[] | undefined;
  let failed: Error | undefined;
  Promise.all(checkpoints).then(
    (all) => (settled = all),
    (err: unknown) => (failed = err instanceof Error ? err : new Error(String(err))),
  );
  await until(() => settled !== undefined || failed !== undefined, 'every checkpoint asked for settles');
  if (failed !== undefined) throw failed;
  return settled!;
}

describe('checkpoints run one at a time', () => {
  it('a call between the end of one and the start of the queued one joins the queued one', async () => {
    const h = await TestRuntime.start(counterApp(COUNTER), { shards: 4 });
    try {
      await h.send(COUNTER, 'a', 'inc');
      await h.settle();
      const first = h.rt.checkpoint();
      // Registered on the running checkpoint's promise before the queue is: it runs once
      // the first has settled, while the queued one has not started yet.
      const afterFirst = first.then(() => h.rt.checkpoint());
      const queued = h.rt.checkpoint();
      const [a, b, c] = await allCommit([first, afterFirst, queued]);
      expect(b!.id).toBe(c!.id);
      expect(b!.id).not.toBe(a!.id);
      expect(h.rt.stats().checkpoints.map((cp) => cp.id)).toEqual([a!.id, b!.id]);

      // The protocol is still sound: the next message and checkpoint go through.
      await h.send(COUNTER, 'a', 'inc');
      await h.settle();
      await allCommit([h.rt.checkpoint()]);
      expect(await h.read()).toEqual(['a inc 1', 'a inc 2']);
      // No barriers left queued behind (each shard began each checkpoint once).
      expect(h.rt.stats().inFlight).toBe(0);
      expect(h.rt.stats().checkpoints).toHaveLength(3);
    } finally {
      await h.rt.stop();
    }
  });
});
