import { describe, expect, it, vi } from 'vitest';
import { StateFun } from '../../runtime/index.js';
import type { EngineShape } from '../../runtime/index.js';
import { SeededScheduler } from '../../runtime/clock.js';
import { TestRuntime, scripted, stepUntil, turns } from './runtime-harness.js';

const COUNTER = 'test/counter';

function counterApp(): StateFun {
  const statefun = new StateFun();
  scripted(statefun, COUNTER, [{ name: 'n', type: StateFun.intType() }], {
    inc: (context) => {
      context.storage.n = ((context.storage.n as number | null) ?? 0) + 1;
      return undefined;
    },
  });
  return statefun;
}

function files(shape: EngineShape): number {
  return shape.levels.reduce((n, l) => n + l.files, 0);
}

function bytes(shape: EngineShape): number {
  return shape.levels.reduce((n, l) => n + l.bytes, 0);
}

describe('Runtime.stats engines', () => {
  it('reports every level of each engine, L0 first, and a fresh runtime has no files', async () => {
    const h = await TestRuntime.start(counterApp());
    const { engines } = h.rt.stats();
    for (const shape of [engines.state, engines.ingress, engines.egress]) {
      expect(shape.levels.length).toBeGreaterThan(1);
      expect(shape.levels.map((l) => l.level)).toEqual(shape.levels.map((_, i) => i));
      expect(files(shape)).toBe(0);
      expect(bytes(shape)).toBe(0);
    }
    await h.stop();
  });

  it('shows state in the memtable after a checkpoint (which carries its WAL), in SST files soon after a restart, and the ingress log in use', async () => {
    const h = await TestRuntime.start(counterApp());
    for (let i = 0; i < 200; i++) await h.send(COUNTER, `c${i}`, 'inc');
    await h.settle();
    const { ingressLog } = h.rt.stats();
    expect(ingressLog).toMatchObject({ segments: 1, firstOffset: 0, nextOffset: 200 });
    // A segment header, and per message a record of 35 bytes or more (typenames, id, value).
    expect(ingressLog.bytes).toBeGreaterThan(16 + 200 * 35);
    await h.rt.checkpoint();
    expect(h.rt.stats().engines.state.memtableBytes).toBeGreaterThan(0);
    // A restart restores the checkpoint: its WAL tail is replayed, then flushed in the background.
    await h.restart();
    await vi.waitFor(() => expect(files(h.rt.stats().engines.state)).toBeGreaterThan(0), {
      timeout: 30_000,
      interval: 20,
    });
    const { state } = h.rt.stats().engines;
    for (const level of state.levels) {
      // A level's bytes are its files': both zero or both positive.
      expect(level.files > 0).toBe(level.bytes > 0);
      expect(level.score).toBeGreaterThanOrEqual(0);
    }
    expect(bytes(state)).toBeGreaterThan(200 * 8);
    await h.stop();
  });

  it('stateWriteBufferBytes sizes the state engine’s memtable: the same writes flush a small one, not the default', async () => {
    const flushesAfter = async (extra: { stateWriteBufferBytes?: number }): Promise<number> => {
      const h = await TestRuntime.start(counterApp(), extra);
      // About 1.5 MiB of state writes: keys of ~40 bytes, 4-byte values, 32k of them.
      for (let i = 0; i < 32_000; i++) await h.send(COUNTER, `instance-with-a-longish-id-${i}`, 'inc');
      await h.settle();
      const { flushes } = h.rt.stats().engines.state;
      await h.stop();
      return flushes;
    };
    expect(await flushesAfter({ stateWriteBufferBytes: 1024 * 1024 })).toBeGreaterThan(0);
    expect(await flushesAfter({})).toBe(0);
  }, 120_000);

  it('still answers after stop, with the shape the engines had when they closed', async () => {
    const h = await TestRuntime.start(counterApp());
    for (let i = 0; i < 50; i++) await h.send(COUNTER, `c${i}`, 'inc');
    await h.settle();
    await h.stop();
    const { state } = h.rt.stats().engines;
    // The state written is in the closed engine's memtable (and WAL), as it was at close.
    expect(state.memtableBytes).toBeGreaterThan(0);
    expect(h.rt.stats().engines).toEqual(h.rt.stats().engines);
  });
});

describe('Runtime.stats backlog', () => {
  it('counts accepted messages not yet processed as ingress backlog and those in mailboxes as in flight, down to zero once processed', async () => {
    // Shards run only when the test steps the scheduler, so the messages wait where they are.
    const scheduler = new SeededScheduler(7);
    const h = await TestRuntime.start(counterApp(), { scheduler });
    for (let i = 0; i < 10; i++) await h.send(COUNTER, `c${i}`, 'inc');
    await turns(1);
    let stats = h.rt.stats();
    expect(stats.messagesProcessed).toBe(0);
    expect(stats.ingressBacklog).toBe(10);
    expect(stats.inFlight).toBeGreaterThan(0);
    expect(stats.inFlight).toBeLessThanOrEqual(10);
    // A few steps process some, not all.
    scheduler.step();
    await turns(1);
    stats = h.rt.stats();
    expect(stats.messagesProcessed).toBeGreaterThan(0);
    expect(stats.messagesProcessed + stats.ingressBacklog).toBe(10);
    await stepUntil(scheduler, () => h.rt.stats().messagesProcessed === 10);
    stats = h.rt.stats();
    expect([stats.messagesProcessed, stats.ingressBacklog, stats.inFlight]).toEqual([10, 0, 0]);
    let stopped = false;
    const stopping = h.stop().then(() => (stopped = true));
    await stepUntil(scheduler, () => stopped);
    await stopping;
  }, 30_000);
});

describe('Runtime.stats checkpoint history', () => {
  it('times a checkpoint with a monotonic clock: a wall clock stepped back meanwhile gives no negative duration', async () => {
    const h = await TestRuntime.start(counterApp());
    await h.send(COUNTER, 'a', 'inc');
    await h.settle();
    // Every read of the wall clock is an hour earlier than the one before (an NTP step).
    let wall = Date.now();
    const stepBack = vi.spyOn(Date, 'now').mockImplementation(() => (wall -= 3_600_000));
    try {
      const committed = await h.rt.checkpoint();
      expect(committed.durationMs).toBeGreaterThanOrEqual(0);
      expect(committed.durationMs).toBeLessThan(3_600_000);
      expect(h.rt.stats().checkpoints.at(-1)?.durationMs).toBe(committed.durationMs);
    } finally {
      stepBack.mockRestore();
    }
    await h.stop();
  });
});
