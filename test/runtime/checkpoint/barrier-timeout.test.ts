/**
 * `barrierTimeoutMs`: a checkpoint's barrier that waits longer than this behind a shard's
 * backlog is overtaken. The shard snapshots without it, records the messages queued ahead
 * as in flight and sets them aside until its barriers have arrived, so the checkpoint does
 * not wait for the backlog to run; the set-aside messages run afterwards, each once, also
 * across a crash right after the checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { ImmediateScheduler, ManualClock, SeededScheduler } from '../../../runtime/clock.js';
import type { CommittedCheckpoint } from '../../../runtime/index.js';
import { StateFun } from '../../../runtime/index.js';
import { TestRuntime, scripted, stepUntil } from '../runtime-harness.js';

const COUNTER = 'test/counter';
const IDS = 10;
/** Several turns' worth (a turn takes at most 512 messages). */
const MESSAGES = 3000;

/** `inc` counts the messages in value state and emits `<id> inc <count>`. */
function counterApp(): StateFun {
  const statefun = new StateFun();
  scripted(statefun, COUNTER, [{ name: 'n', type: StateFun.intType() }], {
    inc: (context) => (context.storage.n = ((context.storage.n as number | null) ?? 0) + 1),
  });
  return statefun;
}

/** Each id's counts, in the order read: every message once means 1..MESSAGES/IDS each. */
function countsById(lines: readonly string[]): Map<string, number[]> {
  const byId = new Map<string, number[]>();
  for (const line of lines) {
    const [id, , n] = line.split(' ') as [string, string, string];
    byId.set(id, [...(byId.get(id) ?? []), Number(n)]);
  }
  return byId;
}

function expectEachOnce(lines: readonly string[]): void {
  const byId = countsById(lines);
  expect(byId.size).toBe(IDS);
  for (const [id, counts] of byId) {
    expect(
      [...counts].sort((a, b) => a - b),
      id,
    ).toEqual(Array.from({ length: MESSAGES / IDS }, (_, i) => i + 1));
  }
}

async function checkpointBehindBacklog(
  barrierTimeoutMs: number,
): Promise<{ h: TestRuntime; scheduler: SeededScheduler; info: CommittedCheckpoint }> {
  const clock = new ManualClock();
  const scheduler = new SeededScheduler(1);
  const h = await TestRuntime.start(counterApp(), { shards: 1, barrierTimeoutMs, clock, scheduler });
  for (let n = 0; n < MESSAGES; n++) await h.send(COUNTER, `c${n % IDS}`, 'inc');
  let info: CommittedCheckpoint | undefined;
  void h.rt.checkpoint().then((i) => (info = i));
  // One turn runs, then the barrier has waited its time.
  await stepUntil(scheduler, () => h.rt.stats().messagesProcessed > 0);
  clock.advance(100);
  await stepUntil(scheduler, () => info !== undefined);
  expect(info).toBeDefined();
  return { h, scheduler, info: info! };
}

describe('barrierTimeoutMs', () => {
  it('overtakes a barrier that waited past it: the checkpoint records the backlog instead of running it', async () => {
    const { h, scheduler, info } = await checkpointBehindBacklog(100);
    expect(h.rt.stats().barriersOvertaken).toBe(1);
    expect(h.rt.stats().barrierTimeouts).toBe(1);
    // What the first turn did not run was recorded in flight, set aside and run after.
    expect(info.inFlightMessages).toBeGreaterThan(MESSAGES / 2);
    expect(info.inFlightMessages).toBeLessThan(MESSAGES);
    expect(h.rt.stats().setAsideTotal).toBe(info.inFlightMessages);
    await stepUntil(scheduler, () => h.rt.quiescent);
    expect(h.rt.stats().messagesProcessed).toBe(MESSAGES);
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    expectEachOnce(await h.output());
    await h.stop();
  });

  it('without it, the same checkpoint waits for the backlog to run', async () => {
    const { h, info } = await checkpointBehindBacklog(0);
    expect(h.rt.stats().barriersOvertaken).toBe(0);
    expect(info.inFlightMessages).toBe(0);
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    expectEachOnce(await h.output());
    await h.stop();
  });

  it('loses and repeats nothing when a crash follows the checkpoint', async () => {
    const { h, info } = await checkpointBehindBacklog(100);
    expect(info.inFlightMessages).toBeGreaterThan(MESSAGES / 2);
    // The checkpoint committed the records of what ran before its snapshot, no more: the
    // recorded messages ran after it, and the crash drops what they did.
    const before = await h.read();
    expect(before).toHaveLength(MESSAGES - info.inFlightMessages);
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    expectEachOnce([...before, ...(await h.output())]);
    await h.stop();
  });
});
