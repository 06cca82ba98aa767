import { describe, expect, it } from 'vitest';
import { ManualClock, StateFun } from '../../runtime/index.js';
import type { ValueSpecOpts } from '../../runtime/index.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import { OUT, TestRuntime, scripted, turns } from './runtime-harness.js';

const FLAKY = 'test/flaky';
const POISON = 'test/poison';
const T0 = 1_700_000_000_000;

/** The dead letter's copy of a string message: its serialized bytes, in base64. */
function base64(s: string): string {
  return Buffer.from(StateFun.stringType().serialize(s)).toString('base64');
}

/** A function that fails the first `failures` attempts of each message, after writing state and sending. */
function flakyApp(clock: ManualClock, failures: number, attemptsAt: number[]): StateFun {
  const statefun = new StateFun();
  let failed = 0;
  statefun.bind({
    typename: FLAKY,
    specs: [{ name: 'count', type: StateFun.intType() }],
    fn(context) {
      attemptsAt.push(clock.now() - T0);
      const count = ((context.storage.count as number | null) ?? 0) + 1;
      context.storage.count = count;
      context.send(
        egressMessageBuilder({ typename: OUT, value: `count ${count}`, valueType: StateFun.stringType() }),
      );
      if (failed < failures) {
        failed++;
        throw new Error(`failure ${failed}`);
      }
    },
  });
  return statefun;
}

/** A function that throws on the message 'poison' and reports every other message. */
function poisonApp(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: POISON,
    fn(context, message) {
      const value = message.asString();
      if (value === 'poison') throw new Error('boom');
      context.send(
        egressMessageBuilder({
          typename: OUT,
          value: `${context.self.id} ok ${value}`,
          valueType: StateFun.stringType(),
        }),
      );
    },
  });
  return statefun;
}

describe('retries', () => {
  it('a function that throws twice then succeeds is retried after each backoff and its effects apply once', async () => {
    const clock = new ManualClock(T0);
    const attemptsAt: number[] = [];
    const h = await TestRuntime.start(flakyApp(clock, 2, attemptsAt), { clock, retryBackoffMs: 10 });
    await h.send(FLAKY, 'a', 'go');
    await turns();
    expect(attemptsAt).toEqual([0]);
    clock.advance(9);
    await turns();
    expect(attemptsAt).toEqual([0]);
    clock.advance(1);
    await turns();
    expect(attemptsAt).toEqual([0, 10]);
    clock.advance(19);
    await turns();
    expect(attemptsAt).toEqual([0, 10]);
    clock.advance(1);
    await h.settle();
    expect(attemptsAt).toEqual([0, 10, 30]);
    expect(await h.output()).toEqual(['count 1']);
    expect(await h.deadLetters()).toEqual([]);
    const stats = h.rt.stats();
    expect([stats.messagesProcessed, stats.perFunction[FLAKY], stats.deadLetters]).toEqual([1, 3, 0]);
    await h.stop();
  });

  it('the backoff doubles per attempt up to 1000 ms', async () => {
    const clock = new ManualClock(T0);
    const attemptsAt: number[] = [];
    const h = await TestRuntime.start(flakyApp(clock, 4, attemptsAt), {
      clock,
      retryBackoffMs: 300,
      maxAttempts: 5,
    });
    await h.send(FLAKY, 'a', 'go');
    await h.settleWithRetries();
    expect(attemptsAt).toEqual([0, 300, 900, 1900, 2900]);
    expect(await h.output()).toEqual(['count 1']);
    await h.stop();
  });

  it('a message waiting for its retry keeps its place: later messages to the same address wait for it', async () => {
    const clock = new ManualClock(T0);
    const attemptsAt: number[] = [];
    const h = await TestRuntime.start(flakyApp(clock, 1, attemptsAt), { clock });
    await h.send(FLAKY, 'a', 'first');
    await h.send(FLAKY, 'a', 'second');
    await turns();
    expect(attemptsAt).toEqual([0]);
    await h.settleWithRetries();
    expect(attemptsAt).toEqual([0, 10, 10]);
    expect(await h.output()).toEqual(['count 1', 'count 2']);
    await h.stop();
  });
});

describe('dead letters', () => {
  it('after maxAttempts failures the message goes to the dead-letter egress, and other messages keep flowing', async () => {
    const h = await TestRuntime.start(poisonApp(), { maxAttempts: 3, retryBackoffMs: 10 });
    await h.send(POISON, 'p', 'before');
    await h.send(POISON, 'p', 'poison');
    await h.send(POISON, 'p', 'after');
    await h.send(POISON, 'q', 'other');
    await turns();
    // The poison message waits for its retry; q does not wait for it, p's next message does.
    expect(h.rt.stats().messagesProcessed).toBe(2);
    expect(h.rt.quiescent).toBe(false);
    await h.settleWithRetries();
    // p and q may be on different shards: only the order per address is fixed.
    const out = await h.output();
    expect(out.filter((r) => r.startsWith('p '))).toEqual(['p ok before', 'p ok after']);
    expect(out.filter((r) => r.startsWith('q '))).toEqual(['q ok other']);
    expect(await h.deadLetters()).toEqual([
      {
        target: { typename: POISON, id: 'p' },
        caller: null,
        valueTypename: 'io.statefun.types/string',
        valueBase64: base64('poison'),
        error: 'Error: boom',
        attempts: 3,
      },
    ]);
    const stats = h.rt.stats();
    expect([stats.deadLetters, stats.messagesProcessed, stats.perFunction[POISON]]).toEqual([1, 4, 6]);
    await h.stop();
  });

  it('with maxAttempts 1 a failing message is dead-lettered without a retry', async () => {
    const h = await TestRuntime.start(poisonApp(), { maxAttempts: 1 });
    await h.send(POISON, 'p', 'poison');
    await h.settle();
    expect((await h.deadLetters()).map((d) => [d.error, d.attempts])).toEqual([['Error: boom', 1]]);
    expect(h.rt.stats().perFunction[POISON]).toBe(1);
    await h.stop();
  });

  it('a value thrown that is not an Error is reported as its string', async () => {
    const statefun = new StateFun();
    statefun.bind({
      typename: 'test/thrower',
      fn() {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test
        throw 'plain string';
      },
    });
    const h = await TestRuntime.start(statefun, { maxAttempts: 1 });
    await h.send('test/thrower', 't', 'x');
    expect((await h.deadLetters()).map((d) => d.error)).toEqual(['plain string']);
    await h.stop();
  });

  it('a message a function sends to an unbound typename is dead-lettered at once, naming its caller', async () => {
    const statefun = new StateFun();
    scripted(statefun, 'test/forwarder', [], {
      forward: (c) => {
        c.send(messageBuilder({ typename: 'test/nobody', id: 'n', value: 'hi' }));
        return 'sent';
      },
    });
    const h = await TestRuntime.start(statefun);
    await h.send('test/forwarder', 'f', 'forward');
    await h.settle();
    expect(await h.output()).toEqual(['f forward "sent"']);
    expect(await h.deadLetters()).toEqual([
      {
        target: { typename: 'test/nobody', id: 'n' },
        caller: { typename: 'test/forwarder', id: 'f' },
        valueTypename: 'io.statefun.types/string',
        valueBase64: base64('hi'),
        error: "UnboundFunctionError: no function is bound to typename 'test/nobody'",
        attempts: 1,
      },
    ]);
    await h.stop();
  });

  it('errors a retry cannot fix (TypeMismatchError, InvalidArgumentError) are dead-lettered at the first attempt', async () => {
    const statefun = new StateFun();
    scripted(statefun, 'test/strict', [{ name: 'items', type: StateFun.intType(), kind: 'list' }], {
      readAsInt: (c) => messageBuilder({ typename: 'test/strict', id: c.self.id, value: 'x' }).asInt(),
      assignList: (c) => {
        c.storage.items = [1];
      },
    });
    const h = await TestRuntime.start(statefun, { maxAttempts: 5 });
    await h.send('test/strict', 's', 'readAsInt');
    await h.send('test/strict', 's', 'assignList');
    await h.settle();
    expect((await h.deadLetters()).map((d) => [d.error, d.attempts])).toEqual([
      [
        'TypeMismatchError: Message.asInt: the value is of type io.statefun.types/string, not of the requested type io.statefun.types/int',
        1,
      ],
      ['InvalidArgumentError: context.storage.items: a list state cannot be assigned; use its methods', 1],
    ]);
    await h.stop();
  });

  it('a state whose spec type changed between runs dead-letters its messages with StateTypeMismatchError', async () => {
    const typedApp = (type: ValueSpecOpts['type']): StateFun => {
      const statefun = new StateFun();
      scripted(
        statefun,
        'test/typed',
        [
          { name: 'v', type },
          { name: 'l', type, kind: 'list' },
        ],
        {
          setInt: (c) => {
            c.storage.v = 5;
          },
          appendInt: (c) => {
            (c.storage.l as { append(v: number): void }).append(5);
          },
          getValue: (c) => c.storage.v,
          getList: (c) => (c.storage.l as { values(): unknown[] }).values(),
        },
      );
      return statefun;
    };
    const h = await TestRuntime.start(typedApp(StateFun.intType()));
    await h.send('test/typed', 'a', 'setInt');
    await h.send('test/typed', 'a', 'appendInt');
    await h.restart(typedApp(StateFun.stringType()));
    await h.send('test/typed', 'a', 'getValue');
    await h.send('test/typed', 'a', 'getList');
    await h.send('test/typed', 'b', 'getValue');
    await h.settle();
    expect(await h.output()).toEqual(['b getValue null']);
    expect((await h.deadLetters()).map((d) => [d.target.id, d.error, d.attempts])).toEqual([
      [
        'a',
        "StateTypeMismatchError: state 'v' of test/typed id 'a' was written as io.statefun.types/int; its spec now declares io.statefun.types/string",
        1,
      ],
      [
        'a',
        "StateTypeMismatchError: state 'l' of test/typed id 'a' was written as io.statefun.types/int; its spec now declares io.statefun.types/string",
        1,
      ],
    ]);
    await h.stop();
  });

  it('a changed type is caught by the expireAfterCall refresh too, when the function did not touch the state', async () => {
    const app = (type: ValueSpecOpts['type']): StateFun => {
      const statefun = new StateFun();
      scripted(statefun, 'test/typed', [{ name: 'c', type, expireAfterCall: 1000 }], {
        set: (c) => {
          c.storage.c = 1;
        },
        ping: () => 'pong',
      });
      return statefun;
    };
    const h = await TestRuntime.start(app(StateFun.intType()));
    await h.send('test/typed', 'a', 'set');
    await h.restart(app(StateFun.stringType()));
    await h.send('test/typed', 'a', 'ping');
    await h.send('test/typed', 'b', 'ping');
    await h.settle();
    expect(await h.output()).toEqual(['b ping "pong"']);
    expect((await h.deadLetters()).map((d) => [d.target.id, d.error, d.attempts])).toEqual([
      [
        'a',
        "StateTypeMismatchError: state 'c' of test/typed id 'a' was written as io.statefun.types/int; its spec now declares io.statefun.types/string",
        1,
      ],
    ]);
    await h.stop();
  });

  it('a dead letter is committed exactly once across a crash', async () => {
    const h = await TestRuntime.start(poisonApp(), { maxAttempts: 1 });
    await h.send(POISON, 'p', 'before');
    await h.settle();
    await h.rt.checkpoint();
    await h.send(POISON, 'p', 'poison');
    await h.settle();
    expect(h.rt.stats().deadLetters).toBe(1);
    await h.crash();
    expect((await h.deadLetters()).map((d) => d.valueBase64)).toEqual([base64('poison')]);
    expect(await h.output()).toEqual(['p ok before']);
    await h.stop();
  });
});
