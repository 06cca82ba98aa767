/**
 * Periodic checkpoints: `checkpointIntervalMs` runs from the start of one checkpoint to the
 * start of the next (as Flink's interval does), so the time a checkpoint takes does not
 * stretch the period. The clock is manual and does not move while a checkpoint runs, so a
 * checkpoint "longer than the interval" is made by advancing the clock before it ends.
 */
import { describe, expect, it } from 'vitest';
import { StateFun } from '../../../runtime/index.js';
import { TestRuntime, scripted, turns, until } from '../runtime-harness.js';

const COUNTER = 'test/counter';

function counterApp(): StateFun {
  const statefun = new StateFun();
  scripted(statefun, COUNTER, [{ name: 'n', type: StateFun.intType() }], {
    inc: (c) => {
      const n = ((c.storage.n as number | null) ?? 0) + 1;
      c.storage.n = n;
      return n;
    },
  });
  return statefun;
}

const committed = (h: TestRuntime): number => h.rt.stats().checkpoints.length;

describe('periodic checkpoints', () => {
  it('fire every interval from the start of the last one', async () => {
    const h = await TestRuntime.start(counterApp(), { checkpointIntervalMs: 1000 });
    try {
      await h.send(COUNTER, 'a', 'inc');
      await h.settle();
      h.clock.advance(999);
      await turns(20);
      expect(committed(h)).toBe(0);
      h.clock.advance(1);
      await until(() => committed(h) === 1, 'the first periodic checkpoint commits');
      h.clock.advance(999);
      await turns(20);
      expect(committed(h)).toBe(1);
      h.clock.advance(1);
      await until(() => committed(h) === 2, 'the second periodic checkpoint commits');
      expect(await h.read()).toEqual(['a inc 1']);
    } finally {
      await h.rt.stop();
    }
  });

  it('start the one that fell due while another ran as soon as it ends, once', async () => {
    const h = await TestRuntime.start(counterApp(), { checkpointIntervalMs: 1000 });
    try {
      await h.send(COUNTER, 'a', 'inc');
      await h.settle();
      h.clock.advance(1000);
      expect(committed(h)).toBe(0);
      // Three more periods pass before the first checkpoint ends: one more checkpoint
      // follows it without the clock moving again, and only one.
      h.clock.advance(1000);
      h.clock.advance(1000);
      h.clock.advance(1000);
      await until(() => committed(h) === 2, 'the checkpoint that fell due meanwhile commits');
      await turns(50);
      expect(committed(h)).toBe(2);
      expect(h.rt.stats().lastCheckpointError).toBeUndefined();
      // The timer armed at the last firing keeps the period.
      h.clock.advance(1000);
      await until(() => committed(h) === 3, 'the next period starts a checkpoint');
    } finally {
      await h.rt.stop();
    }
  });
});
