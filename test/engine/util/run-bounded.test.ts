import { describe, expect, it } from 'vitest';
import { runAllBounded } from '../../../engine/util/run-bounded.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('runAllBounded', () => {
  it('runs every task once, never more than the limit at a time', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const tasks = Array.from({ length: 23 }, (_, i) => async () => {
      running++;
      peak = Math.max(peak, running);
      for (let t = 0; t < (i % 4) + 1; t++) await turn();
      running--;
      done.push(i);
    });
    await runAllBounded(tasks, 4);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(peak).toBe(4);
  });

  it('rejects with the first failure only after the running tasks settled, and starts no more', async () => {
    const settled: number[] = [];
    const started: number[] = [];
    const tasks = Array.from({ length: 10 }, (_, i) => async () => {
      started.push(i);
      await turn();
      if (i === 1) throw new Error('copy 1 failed');
      for (let t = 0; t < 5; t++) await turn();
      if (i === 2) throw new Error('copy 2 failed too');
      settled.push(i);
    });
    await expect(runAllBounded(tasks, 3)).rejects.toThrow('copy 1 failed');
    // Tasks 0 and 2 were running when 1 failed: both had settled before the rejection.
    expect(settled).toEqual([0]);
    expect(started).toEqual([0, 1, 2]);
  });

  it('an empty list resolves at once', async () => {
    await runAllBounded([], 4);
  });
});
