/**
 * The state a shard writes between its snapshot and the capture is held in memory; past its
 * bound (a shard's share of `stateWriteBufferBytes`) the shard sets the messages it takes
 * aside instead of running them, so it still reaches the barriers the checkpoint waits for
 * (shard.ts). Set-aside messages run after the capture, in order, exactly once — across a
 * crash at any point too.
 */
import { describe, expect, it } from 'vitest';
import { ImmediateScheduler, ManualClock, SeededScheduler } from '../../../runtime/clock.js';
import { StateFun } from '../../../runtime/index.js';
import { keyGroupOf, shardOfKeyGroup } from '../../../runtime/keys/key-group.js';
import { egressMessageBuilder, messageBuilder } from '../../../runtime/sdk/message-builder.js';
import { SINK, SOURCE, bySink, expectedLines, fanOutApp } from '../fan-out-app.js';
import type { FanOut } from '../fan-out-app.js';
import { OUT, TestRuntime, stepUntil, turns, until } from '../runtime-harness.js';

const SIZES: FanOut = { fanOut: 300, sinks: 6 };
/** About 4 KiB per message, so a few hundred of them pass a shard's half of 1 MiB. */
const ROUND = `r0${'.'.repeat(4000)}`;
const OPTIONS = { shards: 2, stateWriteBufferBytes: 1 << 20 };

async function startStepped(seed: number): Promise<{ h: TestRuntime; scheduler: SeededScheduler }> {
  const scheduler = new SeededScheduler(seed);
  const h = await TestRuntime.start(fanOutApp(SIZES), { ...OPTIONS, scheduler });
  return { h, scheduler };
}

/** An id whose shard is not big's, for the slow function. */
function slowId(): string {
  const shardOf = (id: string) => shardOfKeyGroup(keyGroupOf(id, 128), 128, OPTIONS.shards);
  return ['a', 'b', 'c', 'd', 'e', 'f'].find((id) => shardOf(id) !== shardOf('big'))!;
}

/**
 * test/slow awaits a gate, holding its shard's drain so a checkpoint stays open until
 * `open()`. test/big: 'big' writes past the shard's half of 1 MiB at once (the shard sets
 * aside from then on), 'arm' sends itself 'fire' in 1 s, anything else is emitted to OUT.
 */
function gatedApp(): { statefun: StateFun; open: () => void; started: () => boolean } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let started = false;
  const statefun = new StateFun();
  statefun.bind({
    typename: 'test/slow',
    async fn() {
      started = true;
      await gate;
    },
  });
  statefun.bind({
    typename: 'test/big',
    specs: [{ name: 'blob', type: StateFun.stringType() }],
    fn(context, message) {
      const op = message.asString();
      if (op === 'big') context.storage.blob = 'x'.repeat(600 * 1024);
      else if (op === 'arm') {
        context.sendAfter(1000, messageBuilder({ typename: 'test/big', id: context.self.id, value: 'fire' }));
      } else {
        context.send(egressMessageBuilder({ typename: OUT, value: op, valueType: StateFun.stringType() }));
      }
    },
  });
  return { statefun, open, started: () => started };
}

describe('messages set aside while a checkpoint holds the state written', () => {
  it('are set aside once the held writes reach their bound, and run after the capture, in order', async () => {
    const { h, scheduler } = await startStepped(3);
    await h.send(SOURCE, 'x', ROUND);
    // The barrier is queued before the source runs: the sinks' shards run the source's
    // messages after their snapshot, so what they write is held until the capture.
    let checkpointed = false;
    void h.rt.checkpoint().then(() => (checkpointed = true));
    // The next round's messages queue behind the set-aside ones: each sink must get every
    // message of the first round before any of the second.
    const next = `r1${'.'.repeat(4000)}`;
    await h.send(SOURCE, 'x', next);
    await stepUntil(scheduler, () => checkpointed);
    expect(checkpointed).toBe(true);
    expect(h.rt.stats().setAsideTotal).toBeGreaterThan(0);
    await stepUntil(scheduler, () => h.rt.quiescent);
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    expect(bySink(await h.output())).toEqual(bySink(expectedLines(SIZES, [ROUND, next])));
    await h.stop();
  });

  it('count the egress records staged during the checkpoint too', async () => {
    // Sinks that write no state: only their staged egress records can reach the bound.
    const statefun = new StateFun();
    statefun.bind({
      typename: SOURCE,
      fn(context, message) {
        for (let n = 0; n < SIZES.fanOut; n++) {
          context.send(
            messageBuilder({ typename: SINK, id: `s${n % SIZES.sinks}`, value: message.asString() }),
          );
        }
      },
    });
    statefun.bind({
      typename: SINK,
      fn(context, message) {
        context.send(
          egressMessageBuilder({
            typename: OUT,
            value: message.asString(),
            valueType: StateFun.stringType(),
          }),
        );
      },
    });
    const scheduler = new SeededScheduler(3);
    const h = await TestRuntime.start(statefun, { ...OPTIONS, scheduler });
    await h.send(SOURCE, 'x', ROUND);
    let checkpointed = false;
    void h.rt.checkpoint().then(() => (checkpointed = true));
    await stepUntil(scheduler, () => checkpointed);
    expect(h.rt.stats().setAsideTotal).toBeGreaterThan(0);
    await stepUntil(scheduler, () => h.rt.quiescent);
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    const out = await h.output();
    expect(out).toHaveLength(SIZES.fanOut);
    expect(new Set(out)).toEqual(new Set([ROUND]));
    await h.stop();
  });

  it('leave due delayed messages to fire after the capture, even when none was set aside', async () => {
    const T0 = 1_700_000_000_000;
    const clock = new ManualClock(T0);
    const app = gatedApp();
    const h = await TestRuntime.start(app.statefun, { ...OPTIONS, clock });
    await h.send('test/big', 'big', 'arm');
    await h.settle();
    await h.send('test/slow', slowId(), 'wait');
    await until(() => app.started(), 'the slow invocation starts');
    const checkpoint = h.rt.checkpoint();
    await h.send('test/big', 'big', 'big');
    await until(() => h.rt.stats().perFunction['test/big'] === 2, 'the big write is made');
    // The delayed message falls due while the shard holds more than its bound.
    clock.advance(1000);
    await turns(5);
    app.open();
    await checkpoint;
    await until(() => h.rt.stats().perFunction['test/big'] === 3, 'the delayed message fires');
    expect(await h.output()).toEqual(['fire']);
    await h.stop();
  });

  it('run after the capture before any message taken later', async () => {
    // A message sent at each point of the checkpoint's end, under several seeds: some land
    // in the big shard's mailbox after its last turn before the capture.
    for (let seed = 1; seed <= 4; seed++) {
      for (let steps = 0; steps <= 3; steps++) {
        const app = gatedApp();
        const scheduler = new SeededScheduler(seed);
        const h = await TestRuntime.start(app.statefun, { ...OPTIONS, scheduler });
        await h.send('test/slow', slowId(), 'wait');
        await stepUntil(scheduler, () => app.started());
        const checkpoint = h.rt.checkpoint();
        for (const op of ['big', 'm1', 'm2', 'm3']) await h.send('test/big', 'big', op);
        await stepUntil(scheduler, () => h.rt.stats().setAsideTotal === 3);
        expect(h.rt.stats().setAsideTotal).toBe(3);
        app.open();
        await turns(5);
        await stepUntil(scheduler, () => false, steps);
        await h.send('test/big', 'big', 'm4');
        await stepUntil(scheduler, () => h.rt.quiescent);
        await checkpoint;
        // Committed by this runtime (a crash would replay them from the ingress log, in order).
        let committed = false;
        void h.rt.checkpoint().then(() => (committed = true));
        await stepUntil(scheduler, () => committed);
        expect(await h.read(), `seed ${seed}, m4 after ${steps} steps`).toEqual(['m1', 'm2', 'm3', 'm4']);
        await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
        await h.stop();
      }
    }
  });

  it('are processed once each whatever point a crash comes at', async () => {
    let crashedWithSetAside = 0;
    // A scheduler step is a shard's turn: the whole fan-out is done in about ten.
    for (let steps = 0; steps <= 12; steps++) {
      const { h, scheduler } = await startStepped(steps);
      await h.send(SOURCE, 'x', ROUND);
      void h.rt.checkpoint().catch(() => undefined);
      await stepUntil(scheduler, () => false, steps);
      const stats = h.rt.stats();
      if (stats.setAsideTotal > 0 && stats.messagesProcessed <= SIZES.fanOut) crashedWithSetAside++;
      await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
      expect(bySink(await h.output()), `crash after ${steps} steps`).toEqual(
        bySink(expectedLines(SIZES, [ROUND])),
      );
      await h.stop();
    }
    // Coverage: some crashes came while set-aside messages waited for the capture.
    expect(crashedWithSetAside).toBeGreaterThan(0);
  });
});
