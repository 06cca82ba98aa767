import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../engine/index.js';
import {
  InvalidArgumentError,
  InvocationClosedError,
  InvocationTimeoutError,
  ManualClock,
  Runtime,
  StateFun,
} from '../../runtime/index.js';
import type { TimerHandle } from '../../runtime/index.js';
import { egressMessageBuilder } from '../../runtime/sdk/message-builder.js';
import { OUT, TestRuntime, expectRejection, turns } from './runtime-harness.js';

const HANG = 'test/hang';
const SYNC = 'test/sync';
const T0 = 1_700_000_000_000;
const TIMEOUT_MS = 1000;

/** A ManualClock that counts the timers set on it (the runtime's only source of timers). */
class CountingClock extends ManualClock {
  timersSet = 0;

  override setTimer(delayMs: number, callback: () => void): TimerHandle {
    this.timersSet++;
    return super.setTimer(delayMs, callback);
  }
}

/** What the tests observe of the hanging function, and the handles they steer it by. */
interface Probe {
  /** Start time of each invocation, relative to T0, as `<id> <message>@<ms>`. */
  calls: string[];
  /** Resolves the hung invocations, in the order they hung. */
  hung: (() => void)[];
  /** What each use of the context by a hung invocation resumed late threw (or 'no error'). */
  late: string[];
  /** The messages of those errors. */
  lateMessages: string[];
}

/**
 * An async function counting its invocations in state `count`, noting the attempt that wrote
 * last in state `last`, and reporting each to OUT as `<id> <message> count <n> (last:
 * <last>)`. On `hang` it hangs every time, on `hang-once` on the first attempt only; a
 * hanging invocation makes its effects first (a state write and an egress record), so a
 * late resolution that applied them would show. When a test resolves a hung
 * invocation by hand, it tries its context once more and records what that threw.
 */
function hangApp(clock: ManualClock, probe: Probe): StateFun {
  const statefun = new StateFun();
  const attempts = new Map<string, number>();
  statefun.bind({
    typename: HANG,
    specs: [
      { name: 'count', type: StateFun.intType() },
      { name: 'last', type: StateFun.stringType() },
    ],
    async fn(context, message) {
      const value = message.asString();
      const key = `${context.self.id} ${value}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      probe.calls.push(`${key}@${clock.now() - T0}`);
      await Promise.resolve();
      const count = ((context.storage.count as number | null) ?? 0) + 1;
      context.storage.count = count;
      const last = context.storage.last as string | null;
      context.storage.last = `${key} attempt ${attempt}`;
      const report = (text: string) =>
        egressMessageBuilder({ typename: OUT, value: text, valueType: StateFun.stringType() });
      context.send(report(`${key} count ${count} (last: ${last})`));
      if (value === 'hang' || (value === 'hang-once' && attempt === 1)) {
        await new Promise<void>((resolve) => probe.hung.push(resolve));
        const uses: (() => unknown)[] = [
          () => context.send(report(`${key} late`)),
          () => (context.storage.count = 1000),
          () => context.storage.count as unknown,
        ];
        for (const use of uses) {
          try {
            use();
            probe.late.push('no error');
          } catch (error) {
            probe.late.push(error instanceof InvocationClosedError ? 'InvocationClosedError' : String(error));
            probe.lateMessages.push(error instanceof Error ? error.message : String(error));
          }
        }
      }
    },
  });
  statefun.bind({
    typename: SYNC,
    fn(context) {
      context.send(egressMessageBuilder({ typename: OUT, value: 'sync', valueType: StateFun.stringType() }));
    },
  });
  return statefun;
}

async function start(
  extra: { maxAttempts?: number; retryBackoffMs?: number } = {},
): Promise<{ h: TestRuntime; clock: CountingClock; probe: Probe }> {
  const clock = new CountingClock(T0);
  const probe: Probe = { calls: [], hung: [], late: [], lateMessages: [] };
  const h = await TestRuntime.start(hangApp(clock, probe), {
    clock,
    invocationTimeoutMs: TIMEOUT_MS,
    retryBackoffMs: 10,
    ...extra,
  });
  return { h, clock, probe };
}

/** Moves the clock to each pending timer in turn until `condition` holds. */
async function runTimersUntil(clock: ManualClock, condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await turns();
    if (condition()) return;
    const at = clock.nextTimerAt();
    if (at !== undefined) clock.advance(at - clock.now());
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('invocation timeout', () => {
  it('a promise that never settles times out on every attempt and is dead-lettered, and the runtime goes on', async () => {
    const { h, clock, probe } = await start({ maxAttempts: 3 });
    await h.send(HANG, 'a', 'hang');
    await h.send(HANG, 'a', 'after');
    await h.send(HANG, 'b', 'other');
    await turns();
    // b does not wait for a; a's next message does, and so does the checkpoint.
    expect(probe.calls.sort()).toEqual(['a hang@0', 'b other@0']);
    let checkpointed = false;
    const checkpoint = h.rt.checkpoint().then(() => (checkpointed = true));
    clock.advance(TIMEOUT_MS - 1);
    await turns();
    expect(probe.calls).toHaveLength(2);
    expect(checkpointed).toBe(false);
    // Each attempt times out after TIMEOUT_MS; the retries wait 10 ms, then 20 ms.
    await runTimersUntil(clock, () => checkpointed, 'the checkpoint completed');
    await checkpoint;
    expect(probe.calls.filter((c) => c.startsWith('a '))).toEqual([
      'a hang@0',
      'a hang@1010',
      'a hang@2030',
      'a after@3030',
    ]);
    expect(clock.now() - T0).toBe(3 * TIMEOUT_MS + 30);
    // The hung attempts' state writes and egress records were dropped.
    const out = await h.read();
    expect(out.filter((r) => r.startsWith('a '))).toEqual(['a after count 1 (last: null)']);
    expect(out.filter((r) => r.startsWith('b '))).toEqual(['b other count 1 (last: null)']);
    expect((await h.deadLetters()).map((d) => [d.target.id, d.error, d.attempts])).toEqual([
      ['a', `InvocationTimeoutError: invocation of ${HANG}:a did not settle within ${TIMEOUT_MS} ms`, 3],
    ]);
    expect(h.rt.stats().deadLetters).toBe(1);
    for (const resolve of probe.hung) resolve();
    await h.stop();
  });

  it('a function that hangs on its first attempt and succeeds on the retry applies its effects once, and its late resolution changes nothing', async () => {
    const { h, clock, probe } = await start();
    await h.send(HANG, 'a', 'hang-once');
    await turns();
    clock.advance(TIMEOUT_MS);
    await turns();
    expect(probe.calls).toEqual(['a hang-once@0']);
    clock.advance(10);
    await h.settle();
    expect(probe.calls).toEqual(['a hang-once@0', 'a hang-once@1010']);
    expect(await h.output()).toEqual(['a hang-once count 1 (last: null)']);
    expect(probe.hung).toHaveLength(1);
    probe.hung[0]!();
    await turns();
    expect(probe.late).toHaveLength(3);
    await h.send(HANG, 'a', 'next');
    await h.settle();
    expect(await h.output()).toEqual(['a next count 2 (last: a hang-once attempt 2)']);
    expect(await h.deadLetters()).toEqual([]);
    const stats = h.rt.stats();
    expect([stats.messagesProcessed, stats.perFunction[HANG], stats.deadLetters]).toEqual([2, 3, 0]);
    await h.stop();
  });

  it("a timed-out function's later sends and state accesses throw InvocationClosedError", async () => {
    const { h, clock, probe } = await start({ maxAttempts: 1 });
    await h.send(HANG, 'a', 'hang');
    await turns();
    clock.advance(TIMEOUT_MS);
    await h.settle();
    expect((await h.deadLetters()).map((d) => d.error)).toEqual([
      `InvocationTimeoutError: invocation of ${HANG}:a did not settle within ${TIMEOUT_MS} ms`,
    ]);
    probe.hung[0]!();
    await turns();
    expect(probe.late).toEqual(['InvocationClosedError', 'InvocationClosedError', 'InvocationClosedError']);
    // Each says why: the invocation was abandoned at its timeout, not that it returned.
    expect(probe.lateMessages).toEqual([
      `Context.send: the invocation of ${HANG}:a timed out after ${TIMEOUT_MS} ms (invocationTimeoutMs) and was abandoned; a function must make its sends before it returns (or before its promise resolves)`,
      `context.storage.count: the invocation of ${HANG}:a timed out after ${TIMEOUT_MS} ms (invocationTimeoutMs) and was abandoned; a function must use its state before it returns (or before its promise resolves)`,
      `context.storage.count: the invocation of ${HANG}:a timed out after ${TIMEOUT_MS} ms (invocationTimeoutMs) and was abandoned; a function must use its state before it returns (or before its promise resolves)`,
    ]);
    expect(await h.output()).toEqual([]);
    await h.stop();
  });

  it('a promise that settles before the timeout is unaffected, and its timer is cancelled', async () => {
    const { h, clock, probe } = await start();
    await h.send(HANG, 'a', 'quick');
    await h.settle();
    expect(clock.timersSet).toBe(1);
    expect(clock.nextTimerAt()).toBeUndefined();
    await h.advance(100 * TIMEOUT_MS);
    expect(probe.calls).toEqual(['a quick@0']);
    expect(await h.output()).toEqual(['a quick count 1 (last: null)']);
    expect(await h.deadLetters()).toEqual([]);
    await h.stop();
  });

  it('a synchronous function arms no timer', async () => {
    const { h, clock } = await start();
    await h.send(SYNC, 's', 'x');
    await h.send(SYNC, 't', 'y');
    await h.settle();
    expect(clock.timersSet).toBe(0);
    expect(await h.output()).toEqual(['sync', 'sync']);
    await h.stop();
  });

  it('the timeout error names the address and the timeout', () => {
    const error = new InvocationTimeoutError('example/greeter', 'alice', 60_000);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvocationTimeoutError');
    expect(error.message).toBe('invocation of example/greeter:alice did not settle within 60000 ms');
    expect(error.timeoutMs).toBe(60_000);
  });

  it('Runtime.start refuses an invocationTimeoutMs that is not an integer from 1 to 86400000', async () => {
    const cases: [unknown, string][] = [
      [0, 'a number (0)'],
      [-1, 'a number (-1)'],
      [1.5, 'a number (1.5)'],
      ['x', "a string ('x')"],
      [86_400_001, 'a number (86400001)'],
    ];
    for (const [value, described] of cases) {
      await expectRejection(
        Runtime.start({
          dir: '/app',
          statefun: new StateFun(),
          fileSystem: new MemoryFileSystem(),
          invocationTimeoutMs: value as number,
        }),
        InvalidArgumentError,
        `Runtime.start: invocationTimeoutMs must be an integer from 1 to 86400000, got ${described}`,
      );
    }
  });
});
