/**
 * The egress records waiting for a checkpoint stay bounded (exactly-once mode).
 *
 * - Staged by a shard while the next checkpoint's barrier is queued behind a backlog: a
 *   shard whose staged records reach its share of `stateWriteBufferBytes` snapshots as
 *   soon as the barrier is delivered, ahead of the messages queued before it (recording
 *   them as in flight), and takes no messages past twice its share while no barrier has
 *   been delivered (shard.ts). Whatever point a crash comes at, every message is processed
 *   once.
 * - Carried by checkpoints that failed into the next one: at `stateWriteBufferBytes` the
 *   shards take no messages until a checkpoint has taken them.
 */
import { describe, expect, it } from 'vitest';
import type { WritableFile, WritableFileOptions } from '../../../engine/env/file-system.js';
import { MemoryFileSystem } from '../../../engine/index.js';
import { ImmediateScheduler, SeededScheduler } from '../../../runtime/clock.js';
import { Runtime, StateFun } from '../../../runtime/index.js';
import { egressMessageBuilder, messageBuilder } from '../../../runtime/sdk/message-builder.js';
import { OUT, TestRuntime, stepUntil, turns, until } from '../runtime-harness.js';

const SOURCE = 'test/source';
const LOUD = 'test/loud';
/** 16 KiB per egress record: a 1 MiB share holds 64 of them. */
const RECORD_CHARS = 16 * 1024;
/** Messages queued at once: about 6.4 MiB of egress records, six times the share. */
const MESSAGES = 400;
const BUFFER = 1 << 20;

/**
 * test/loud emits its message with 16 KiB of padding; test/source sends `MESSAGES`
 * numbered messages to test/loud, spread over ids, so that they queue between functions.
 * `probe` runs at each invocation of test/loud: a shard stages and snapshots within one
 * turn, so the staged bytes must be read while it runs.
 */
function loudApp(probe: () => void = () => undefined): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: LOUD,
    fn(context, message) {
      probe();
      context.send(
        egressMessageBuilder({
          typename: OUT,
          value: `${message.asString()} ${'.'.repeat(RECORD_CHARS)}`,
          valueType: StateFun.stringType(),
        }),
      );
    },
  });
  statefun.bind({
    typename: SOURCE,
    fn(context) {
      for (let n = 0; n < MESSAGES; n++) {
        context.send(messageBuilder({ typename: LOUD, id: `l${n % 7}`, value: String(n) }));
      }
    },
  });
  return statefun;
}

/** Starts a stepped runtime of loudApp that keeps the most egress staged at any invocation. */
async function startLoud(
  shards: number,
  seed: number,
): Promise<{ h: TestRuntime; scheduler: SeededScheduler; most: () => number }> {
  const scheduler = new SeededScheduler(seed);
  let most = 0;
  const started: { h?: TestRuntime } = {};
  const app = loudApp(() => {
    if (started.h !== undefined) most = Math.max(most, started.h.rt.stats().stagedEgressBytes);
  });
  const h = await TestRuntime.start(app, { shards, stateWriteBufferBytes: BUFFER, scheduler });
  started.h = h;
  return { h, scheduler, most: () => most };
}

/** Every message ran, and no egress record waits in a shard (the last checkpoint may be running). */
function drained(h: TestRuntime): () => boolean {
  return () => h.rt.quiescent && h.rt.stats().stagedEgressBytes === 0;
}

/** The numbers the egress lines start with. */
function numbers(lines: readonly string[]): number[] {
  return lines.map((line) => Number(line.split(' ')[0]));
}

/** Each shard: its share, twice, and the records of the turn's last invocation past it. */
function bound(shards: number): number {
  return 2 * BUFFER + shards * 2 * (RECORD_CHARS + 1024);
}

describe('egress staged before a barrier queued behind a backlog', () => {
  it('stays bounded with ingress messages queued ahead of the barrier', async () => {
    const { h, scheduler, most } = await startLoud(1, 1);
    // All of them reach the mailbox before the shard runs a turn.
    for (let n = 0; n < MESSAGES; n++) await h.send(LOUD, 'a', String(n));
    await stepUntil(scheduler, drained(h));
    expect(most()).toBeGreaterThan(BUFFER);
    expect(most()).toBeLessThanOrEqual(bound(1));
    const stats = h.rt.stats();
    expect(stats.barriersOvertaken).toBeGreaterThan(0);
    expect(stats.egressWaitsTotal).toBeGreaterThan(0);
    expect(stats.lastCheckpointError).toBeUndefined();
    expect(h.rt.quiescent).toBe(true);
    // One address, one channel: every record once, in the order sent; a crash adds none.
    let committed = false;
    void h.rt.checkpoint().then(() => (committed = true));
    await stepUntil(scheduler, () => committed);
    expect(numbers(await h.read())).toEqual(Array.from({ length: MESSAGES }, (_, n) => n));
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    expect(await h.output()).toEqual([]);
    await h.stop();
  });

  it('stays bounded with messages between functions queued ahead of the barrier', async () => {
    const { h, scheduler, most } = await startLoud(2, 2);
    await h.send(SOURCE, 'x', 'go');
    await stepUntil(scheduler, drained(h));
    expect(most()).toBeGreaterThan(BUFFER / 2);
    expect(most()).toBeLessThanOrEqual(bound(2));
    expect(h.rt.stats().barriersOvertaken).toBeGreaterThan(0);
    expect(h.rt.quiescent).toBe(true);
    let committed = false;
    void h.rt.checkpoint().then(() => (committed = true));
    await stepUntil(scheduler, () => committed);
    const out = numbers(await h.read());
    expect([...out].sort((a, b) => a - b)).toEqual(Array.from({ length: MESSAGES }, (_, n) => n));
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    expect(await h.output()).toEqual([]);
    await h.stop();
  });

  it('loses and repeats nothing whatever points two crashes come at', async () => {
    let crashedOvertaken = 0;
    let recoveredOvertaken = 0;
    for (let steps = 0; steps <= 16; steps++) {
      const { h, scheduler } = await startLoud(1, steps + 1);
      for (let n = 0; n < MESSAGES; n++) await h.send(LOUD, 'a', String(n));
      await stepUntil(scheduler, () => false, steps);
      if (h.rt.stats().barriersOvertaken > 0 && !h.rt.quiescent) crashedOvertaken++;
      // The second run starts with the recorded messages queued on the recovery channel,
      // and overtakes the barrier of its first checkpoint ahead of them.
      const again = new SeededScheduler(steps + 100);
      await h.crash(h.statefun, { scheduler: again });
      await stepUntil(again, () => false, 1 + (steps % 4));
      if (h.rt.stats().barriersOvertaken > 0 && !h.rt.quiescent) recoveredOvertaken++;
      await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
      expect(numbers(await h.output()), `crashes after ${steps} steps`).toEqual(
        Array.from({ length: MESSAGES }, (_, n) => n),
      );
      await h.stop();
    }
    // Coverage: some crashes came after a shard had overtaken a barrier, with messages left,
    // in the first run and in the run after the crash.
    expect(crashedOvertaken).toBeGreaterThan(0);
    expect(recoveredOvertaken).toBeGreaterThan(0);
  });
});

/** A disk whose checkpoint directory refuses every new file while `broken` (a full disk). */
class CheckpointsFailing extends MemoryFileSystem {
  broken = false;

  #check(path: string): void {
    if (this.broken && path.startsWith('/app/checkpoints/')) {
      throw new Error(`injected: no space left for ${path}`);
    }
  }

  override openWritable(
    path: string,
    mode: 'create' | 'append',
    options?: WritableFileOptions,
  ): WritableFile {
    this.#check(path);
    return super.openWritable(path, mode, options);
  }

  override linkOrCopy(existing: string, link: string): boolean {
    this.#check(link);
    return super.linkOrCopy(existing, link);
  }
}

describe('egress carried by checkpoints that failed', () => {
  it('stops the shards at its bound until a checkpoint takes it; then every record commits once, in order', async () => {
    const fs = new CheckpointsFailing();
    let most = 0;
    const started: { rt?: Runtime } = {};
    const app = loudApp(() => {
      const stats = started.rt?.stats();
      if (stats !== undefined) most = Math.max(most, stats.stagedEgressBytes + stats.carriedEgressBytes);
    });
    const rt = await Runtime.start({
      dir: '/app',
      statefun: app,
      fileSystem: fs,
      shards: 1,
      stateWriteBufferBytes: BUFFER,
      checkpointIntervalMs: 0,
    });
    started.rt = rt;
    fs.broken = true;
    try {
      for (let n = 0; n < MESSAGES; n++)
        await rt.send(messageBuilder({ typename: LOUD, id: 'a', value: String(n) }));
      // The shard asks for checkpoints as its staged records reach its share; each fails
      // and carries them, until the carried records reach the bound and the shard stops.
      await until(() => rt.stats().carriedEgressBytes >= BUFFER, 'the carried records reach their bound');
      await turns(20);
      const waiting = rt.stats();
      expect(waiting.lastCheckpointError).toMatch(/injected: no space left/);
      expect(waiting.carriedEgressBytes).toBeGreaterThanOrEqual(BUFFER);
      expect(waiting.messagesProcessed).toBeLessThan(MESSAGES);
      const processed = waiting.messagesProcessed;
      // Messages sent now wait in the mailbox: the shard takes none until a checkpoint.
      for (let n = MESSAGES; n < MESSAGES + 10; n++) {
        await rt.send(messageBuilder({ typename: LOUD, id: 'a', value: String(n) }));
      }
      await turns(20);
      expect(rt.stats().messagesProcessed).toBe(processed);
      expect(rt.stats().egressWaitsTotal).toBeGreaterThan(0);
      // The carried bound, a checkpoint's worth of staged records, and the record past it.
      expect(most).toBeLessThanOrEqual(BUFFER + bound(1));
      // The disk has room again: the next checkpoint takes everything, and the shard goes on.
      fs.broken = false;
      await rt.checkpoint();
      await rt.idle();
      await rt.checkpoint();
      const out: number[] = [];
      for await (const r of rt.egress(OUT, { from: 0, follow: false }))
        out.push(Number(r.value.asString().split(' ')[0]));
      expect(out).toEqual(Array.from({ length: MESSAGES + 10 }, (_, n) => n));
      expect(rt.stats().carriedEgressBytes).toBe(0);
    } finally {
      // A stop takes a last checkpoint.
      fs.broken = false;
      await rt.stop();
    }
  });
});
