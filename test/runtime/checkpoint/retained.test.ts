/**
 * retainedCheckpoints: the runtime keeps its newest N checkpoints in its store and deletes
 * the older ones (with the shared files only they used), and still recovers from the newest.
 */
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../../engine/index.js';
import { StateFun } from '../../../runtime/index.js';
import { TestRuntime, scripted } from '../runtime-harness.js';

const COUNTER = 'test/counter';

function counterApp(): StateFun {
  const statefun = new StateFun();
  scripted(statefun, COUNTER, [{ name: 'n', type: StateFun.intType() }], {
    inc: (context) => {
      const n = ((context.storage.n as number | null) ?? 0) + 1;
      context.storage.n = n;
      return n;
    },
  });
  return statefun;
}

async function storedIds(h: TestRuntime): Promise<string[]> {
  const store = await CheckpointStore.open('/app/checkpoints', { fileSystem: h.fs, readOnly: true });
  try {
    return (await store.list()).map((c) => c.id);
  } finally {
    await store.close();
  }
}

describe('retainedCheckpoints', () => {
  it('keeps the newest checkpoints in the store, deletes the older ones, and recovers from the newest', async () => {
    const h = await TestRuntime.start(counterApp(), { retainedCheckpoints: 2 });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3; i++) await h.send(COUNTER, `c${i}`, 'inc');
      await h.settle();
      await h.rt.checkpoint();
    }
    const taken = h.rt.stats().checkpoints.map((c) => c.id);
    expect(taken).toHaveLength(5);
    expect(await storedIds(h)).toEqual(taken.slice(-2));

    await h.restart();
    for (let i = 0; i < 3; i++) await h.send(COUNTER, `c${i}`, 'inc');
    // Every count went on from the newest checkpoint: 5 rounds, then one more.
    const records = await h.output();
    expect(records).toHaveLength(18);
    expect(records.slice(-3).sort()).toEqual(['c0 inc 6', 'c1 inc 6', 'c2 inc 6']);
    // The stop before the restart took a checkpoint, and output() one more: the store holds
    // those two, none of the first five.
    const after = await storedIds(h);
    expect(after).toHaveLength(2);
    expect(after.filter((id) => taken.includes(id))).toEqual([]);
    expect(after.every((id) => id > taken.at(-1)!)).toBe(true);
    await h.stop();
  });
});
