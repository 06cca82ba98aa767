import { describe, expect, it } from 'vitest';
import { CopyPacer } from '../../../engine/checkpoint/copy-pacer.js';

/** A clock the test moves, and a sleep that records its waits and moves the clock by them. */
function fakeTime(): {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  advance: (ms: number) => void;
  waits: number[];
} {
  let t = 1000;
  const waits: number[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      waits.push(ms);
      t += ms;
      return Promise.resolve();
    },
    advance: (ms) => (t += ms),
    waits,
  };
}

describe('CopyPacer', () => {
  it('waits until the average since it started is back within the limit', async () => {
    const time = fakeTime();
    const pacer = new CopyPacer(1000, time.now, time.sleep); // 1000 bytes/s: 1 ms per byte
    expect(pacer.limited).toBe(true);
    time.advance(100); // a 500-byte copy that took 100 ms is 400 ms ahead of the limit
    await pacer.copied(500);
    expect(time.waits).toEqual([400]);
    time.advance(800); // a slow copy of 300 bytes: 500 ms behind, no wait
    await pacer.copied(300);
    expect(time.waits).toEqual([400]);
    // Being behind is not banked beyond the total: 1500 bytes are due at 1500 ms, now is 1300.
    time.advance(0);
    await pacer.copied(700);
    expect(time.waits).toEqual([400, 200]);
  });

  it('without a limit never waits', async () => {
    const time = fakeTime();
    const pacer = new CopyPacer(Infinity, time.now, time.sleep);
    expect(pacer.limited).toBe(false);
    await pacer.copied(1e12);
    expect(time.waits).toEqual([]);
  });
});
