import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../../engine/util/concurrency.js';

/** A promise with its resolve function, for work whose end the test decides. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('forEachConcurrently', () => {
  it('runs every item once, in order of start, with at most `concurrency` pending', async () => {
    const started: number[] = [];
    let pending = 0;
    let most = 0;
    await forEachConcurrently([...Array(20).keys()], 3, async (item, index) => {
      expect(index).toBe(item);
      started.push(item);
      most = Math.max(most, ++pending);
      await turns(1 + (item % 4));
      pending--;
    });
    expect(started).toEqual([...Array(20).keys()]);
    expect(most).toBe(3);
  });

  it('starts nothing after a failure, settles only when the calls under way have, and rejects with the first failure', async () => {
    const slow = gate();
    const started: number[] = [];
    const finished: number[] = [];
    let settled = false;
    const run = forEachConcurrently([0, 1, 2, 3, 4, 5], 3, async (item) => {
      started.push(item);
      if (item === 0) await slow.promise;
      if (item === 1) throw new Error('first');
      if (item === 2) {
        await turns(2);
        throw new Error('second');
      }
      finished.push(item);
    }).finally(() => (settled = true));
    const failure = run.catch((err: unknown) => err);
    await turns(5);
    // Item 1 failed: items 3 and up never started, and item 0 still holds the promise open.
    expect(started).toEqual([0, 1, 2]);
    expect(settled).toBe(false);
    slow.open();
    expect(await failure).toEqual(new Error('first'));
    expect(finished).toEqual([0]);
  });

  it('handles no items and a concurrency above the item count', async () => {
    await forEachConcurrently([], 4, () => Promise.reject(new Error('never called')));
    const seen: string[] = [];
    await forEachConcurrently(['a', 'b'], 16, async (item) => {
      seen.push(item);
      await turns(1);
    });
    expect(seen).toEqual(['a', 'b']);
  });
});
