/**
 * Runs async tasks with bounded concurrency, for work whose failure triggers a cleanup
 * (a checkpoint's file copies): the returned promise settles only once no task runs.
 */

/**
 * Runs every task, at most `limit` at a time, in order of the array. After a failure no
 * further task starts, and the promise rejects with the first failure only once the tasks
 * already running have settled, so the caller's cleanup never races a task still writing.
 */
export async function runAllBounded(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const lanes: Promise<void>[] = [];
  for (let i = 0; i < Math.min(limit, tasks.length); i++) lanes.push(lane());
  await Promise.all(lanes);
  if (failure !== undefined) throw failure.error;
}
