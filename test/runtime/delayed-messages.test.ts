import { describe, expect, it } from 'vitest';
import { ManualClock, StateFun } from '../../runtime/index.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import { OUT, TestRuntime } from './runtime-harness.js';

const SCHEDULER = 'test/scheduler';
const SINK = 'test/sink';
const T0 = 1_700_000_000_000;

/**
 * The scheduler understands `after <ms> <value> [token]` (a delayed message to the sink),
 * `cancel <token>`, and `after-then-cancel <ms> <value> <token>` (both in one invocation).
 * The sink reports each message with the time it received it, relative to T0.
 */
function delayApp(clock: ManualClock): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: SCHEDULER,
    fn(context, message) {
      const [op, ms, value, token] = message.asString().split(' ');
      const toSink = (v: string) => messageBuilder({ typename: SINK, id: 'sink', value: v });
      if (op === 'after')
        context.sendAfter(ms === 'max' ? Number.MAX_SAFE_INTEGER : Number(ms), toSink(value!), token);
      else if (op === 'cancel') context.cancelDelayedMessage(ms!);
      else if (op === 'after-then-cancel') {
        context.sendAfter(Number(ms), toSink(value!), token);
        context.cancelDelayedMessage(token!);
      } else throw new Error(`unknown op ${op}`);
    },
  });
  statefun.bind({
    typename: SINK,
    fn(context, message) {
      const from = context.caller === null ? 'no caller' : context.caller.toString();
      context.send(
        egressMessageBuilder({
          typename: OUT,
          value: `${message.asString()} at +${clock.now() - T0} (${from})`,
          valueType: StateFun.stringType(),
        }),
      );
    },
  });
  return statefun;
}

async function start(): Promise<TestRuntime> {
  const clock = new ManualClock(T0);
  return TestRuntime.start(delayApp(clock), { clock });
}

describe('delayed messages', () => {
  it('a delayed message arrives once, when its delay has passed and not before', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 1000 hello');
    await h.advance(999);
    expect(await h.output()).toEqual([]);
    await h.advance(1);
    expect(await h.output()).toEqual([`hello at +1000 (${SCHEDULER}:s)`]);
    await h.advance(10_000);
    expect(await h.output()).toEqual([]);
    await h.stop();
  });

  it('a delay of 0 arrives at the next clock tick', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 0 now');
    await h.advance(0);
    expect(await h.output()).toEqual([`now at +0 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  it('delayed messages due together arrive in the order of their fire times', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 300 c');
    await h.send(SCHEDULER, 's', 'after 100 a');
    await h.send(SCHEDULER, 's', 'after 200 b');
    await h.advance(150);
    await h.advance(1000);
    expect(await h.output()).toEqual([
      `a at +150 (${SCHEDULER}:s)`,
      `b at +1150 (${SCHEDULER}:s)`,
      `c at +1150 (${SCHEDULER}:s)`,
    ]);
    await h.stop();
  });

  it('a pending delayed message survives stop() and start() with another shard count and arrives once, on time', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 1000 x');
    await h.advance(400);
    await h.restart(h.statefun, { shards: 5 });
    await h.advance(599);
    expect(await h.output()).toEqual([]);
    await h.advance(1);
    await h.advance(5000);
    expect(await h.output()).toEqual([`x at +1000 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  it('a delayed message whose time passed while the runtime was stopped arrives once after start', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 1000 late');
    await h.settle();
    await h.rt.stop();
    h.clock.advance(5000);
    await h.restart();
    await h.advance(0);
    await h.advance(1000);
    expect(await h.output()).toEqual([`late at +5000 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  it('a pending delayed message survives a crash after a checkpoint and arrives once', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 1000 x');
    await h.settle();
    await h.rt.checkpoint();
    await h.advance(300);
    await h.crash();
    await h.advance(699);
    expect(await h.output()).toEqual([]);
    await h.advance(1);
    await h.advance(5000);
    expect(await h.output()).toEqual([`x at +1000 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  it('a delayed message that arrived after the last checkpoint arrives again after a crash, once', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 1000 x');
    await h.settle();
    await h.rt.checkpoint();
    await h.advance(1000);
    await h.advance(1000);
    expect(h.rt.stats().perFunction[SINK]).toBe(1);
    await h.crash();
    await h.advance(0);
    await h.advance(5000);
    expect(await h.output()).toEqual([`x at +2000 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  it('a delayed message sent after the last checkpoint is sent again by the replay and arrives once', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 1000 x');
    await h.settle();
    await h.crash();
    await h.advance(999);
    expect(await h.output()).toEqual([]);
    await h.advance(1);
    await h.advance(10_000);
    expect(await h.output()).toEqual([`x at +1000 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  it('cancelDelayedMessage cancels exactly the pending message sent with that token', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 1000 A tok-a');
    await h.send(SCHEDULER, 's', 'after 1000 B tok-b');
    await h.send(SCHEDULER, 's', 'after 1000 C');
    await h.send(SCHEDULER, 'other', 'after 1000 D tok-a');
    await h.advance(500);
    await h.send(SCHEDULER, 's', 'cancel tok-a');
    await h.advance(500);
    await h.advance(5000);
    expect((await h.output()).sort()).toEqual([
      `B at +1000 (${SCHEDULER}:s)`,
      `C at +1000 (${SCHEDULER}:s)`,
      `D at +1000 (${SCHEDULER}:other)`,
    ]);
    await h.stop();
  });

  it('cancelling in the same invocation that sent the message cancels it', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after-then-cancel 100 gone tok');
    await h.send(SCHEDULER, 's', 'after 200 kept');
    await h.advance(1000);
    expect(await h.output()).toEqual([`kept at +1000 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  it('cancelling an unknown token, or one whose message already arrived, is a no-op', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 100 first tok');
    await h.advance(100);
    await h.send(SCHEDULER, 's', 'after 100 pending other');
    await h.send(SCHEDULER, 's', 'cancel nope');
    await h.send(SCHEDULER, 's', 'cancel tok');
    await h.advance(100);
    expect(await h.output()).toEqual([`first at +100 (${SCHEDULER}:s)`, `pending at +200 (${SCHEDULER}:s)`]);
    expect(await h.deadLetters()).toEqual([]);
    expect(h.rt.stats().perFunction[SCHEDULER]).toBe(4);
    await h.stop();
  });

  it('a token can be used again once its message arrived, and then names the new message', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 100 first tok');
    await h.advance(100);
    await h.send(SCHEDULER, 's', 'after 100 second tok');
    await h.send(SCHEDULER, 's', 'cancel tok');
    await h.advance(1000);
    expect(await h.output()).toEqual([`first at +100 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  // Regression: a fire time past 2^53 threw from the timer key's encoder inside the shard,
  // after the invocation's state was committed, leaving its address busy for good.
  it('the largest delay Context.sendAfter accepts leaves the message pending without disturbing its sender', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after max never tok');
    await h.send(SCHEDULER, 's', 'after 10 soon');
    await h.advance(10);
    expect(await h.output()).toEqual([`soon at +10 (${SCHEDULER}:s)`]);
    await h.restart();
    await h.advance(10 * 365 * 86_400_000);
    expect(await h.output()).toEqual([]);
    await h.send(SCHEDULER, 's', 'cancel tok');
    await h.send(SCHEDULER, 's', 'after 1 last');
    await h.advance(1);
    expect(await h.output()).toEqual([`last at +${10 * 365 * 86_400_000 + 11} (${SCHEDULER}:s)`]);
    expect(await h.deadLetters()).toEqual([]);
    await h.stop();
  });

  it('a cancellation token survives a restart', async () => {
    const h = await start();
    await h.send(SCHEDULER, 's', 'after 1000 cancelled tok');
    await h.send(SCHEDULER, 's', 'after 1000 kept');
    await h.restart();
    await h.send(SCHEDULER, 's', 'cancel tok');
    await h.advance(1000);
    await h.advance(1000);
    expect(await h.output()).toEqual([`kept at +1000 (${SCHEDULER}:s)`]);
    await h.stop();
  });

  it('with room for 2 timers in memory, 60 pending messages arrive once each, in time order, across a crash and a rescale', async () => {
    const clock = new ManualClock(T0);
    const h = await TestRuntime.start(delayApp(clock), { clock, maxTimersInMemory: 2 });
    // Delays spread over the key groups of many senders, out of order, some due together.
    const delays = Array.from({ length: 60 }, (_, i) => 100 + ((i * 37) % 23) * 50);
    for (let i = 0; i < delays.length; i++) await h.send(SCHEDULER, `s${i}`, `after ${delays[i]} m${i}`);
    await h.send(SCHEDULER, 's0', 'after 400 cancelled tok');
    await h.send(SCHEDULER, 's0', 'cancel tok');
    await h.settle();
    await h.rt.checkpoint();
    await h.crash(h.statefun, { maxTimersInMemory: 2, shards: 3 });
    await h.advance(500);
    await h.restart(h.statefun, { maxTimersInMemory: 3, shards: 2 });
    for (let t = 500; t < 2000; t += 50) await h.advance(50);
    const seen = await h.output();
    const expected = delays
      .map((d, i) => ({ d, i }))
      .sort((a, b) => a.d - b.d || a.i - b.i)
      .map(({ d, i }) => `m${i} at +${Math.max(d, 500)} (${SCHEDULER}:s${i})`);
    // Messages due at the same time may interleave across shards; each arrives once, on time.
    expect([...seen].sort()).toEqual([...expected].sort());
    await h.stop();
  });
});
