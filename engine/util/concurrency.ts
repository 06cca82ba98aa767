/**
 * Bounded concurrency for file work that overlaps well (copies, reads ahead, fsyncs), where
 * a caller that fails must not clean up while some of the work is still writing.
 */

/**
 * Calls `work` on every item, in order of start, with at most `concurrency` calls pending
 * at once. After a call fails no new call starts; the promise settles only when every call
 * that started has settled, and then rejects with the first failure. So a caller's cleanup
 * after a rejection never races a call that is still creating files.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (err) {
        if (!failed) {
          failed = true;
          failure = err;
        }
      }
    }
  };
  const lanes = Math.max(1, Math.min(concurrency, items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failed) throw failure;
}
