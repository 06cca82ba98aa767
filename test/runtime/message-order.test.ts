import { describe, expect, it } from 'vitest';
import { StateFun } from '../../runtime/index.js';
import type { PersistedList } from '../../runtime/index.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import { OUT, TestRuntime, until } from './runtime-harness.js';

const FN = 'test/ordered';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function out(value: string) {
  return egressMessageBuilder({ typename: OUT, value, valueType: StateFun.stringType() });
}

describe('message order', () => {
  it('messages to one address run one at a time in arrival order, even when the function awaits', async () => {
    const running = new Map<string, number>();
    let maxRunning = 0;
    const statefun = new StateFun();
    statefun.bind({
      typename: FN,
      specs: [{ name: 'seen', type: StateFun.stringType(), kind: 'list' }],
      async fn(context, message) {
        const id = context.self.id;
        running.set(id, (running.get(id) ?? 0) + 1);
        maxRunning = Math.max(maxRunning, running.get(id)!);
        const [value, delay] = message.asString().split(':');
        const seen = context.storage.seen as PersistedList<string>;
        const before = seen.values().join(',');
        await sleep(Number(delay));
        seen.append(value!);
        context.send(out(`${id} ${value} after [${before}]`));
        running.set(id, running.get(id)! - 1);
      },
    });
    const h = await TestRuntime.start(statefun, { shards: 1 });
    const delays = [30, 0, 20, 5, 10, 1];
    for (const [i, delay] of delays.entries()) await h.send(FN, 'a', `m${i}:${delay}`);
    await h.send(FN, 'b', 'b0:0');
    expect(await h.output()).toEqual([
      'b b0 after []',
      'a m0 after []',
      'a m1 after [m0]',
      'a m2 after [m0,m1]',
      'a m3 after [m0,m1,m2]',
      'a m4 after [m0,m1,m2,m3]',
      'a m5 after [m0,m1,m2,m3,m4]',
    ]);
    expect(maxRunning).toBe(1);
    await h.stop();
  });

  it('a message waits behind an invocation of its address that awaits or waits for a retry, even one that would run synchronously', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const failed = new Set<string>();
    const statefun = new StateFun();
    statefun.bind({
      typename: FN,
      specs: [{ name: 'seen', type: StateFun.stringType(), kind: 'list' }],
      fn(context, message) {
        const [value, how] = message.asString().split(':') as [string, string];
        const seen = context.storage.seen as PersistedList<string>;
        const record = (): void => {
          const before = seen.values().join(',');
          seen.append(value);
          context.send(out(`${context.self.id} ${value} after [${before}]`));
        };
        if (how === 'await') return gate.then(record);
        if (how === 'failOnce' && !failed.has(value)) {
          failed.add(value);
          throw new Error('once');
        }
        record();
      },
    });
    const h = await TestRuntime.start(statefun, { shards: 1 });
    // 'a': synchronous messages queue behind one that awaits, and behind a retry there.
    // 'c': a synchronous invocation that fails makes its address busy until its retry.
    for (const [id, value] of [
      ['a', 'a0:now'],
      ['a', 'a1:await'],
      ['a', 'a2:now'],
      ['a', 'a3:failOnce'],
      ['a', 'a4:now'],
      ['c', 'c0:failOnce'],
      ['c', 'c1:now'],
      ['b', 'b0:now'],
    ] as const) {
      await h.send(FN, id, value);
    }
    await until(() => h.rt.stats().messagesProcessed === 2, 'a0 and b0 are processed');
    release();
    await h.settleWithRetries();
    const output = await h.output();
    expect(output.filter((line) => !line.startsWith('a '))).toEqual([
      'b b0 after []',
      'c c0 after []',
      'c c1 after [c0]',
    ]);
    expect(output.filter((line) => line.startsWith('a '))).toEqual([
      'a a0 after []',
      'a a1 after [a0]',
      'a a2 after [a0,a1]',
      'a a3 after [a0,a1,a2]',
      'a a4 after [a0,a1,a2,a3]',
    ]);
    await h.stop();
  });

  it('an invocation that is still running does not hold up other addresses on its shard', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const statefun = new StateFun();
    statefun.bind({
      typename: FN,
      async fn(context) {
        if (context.self.id === 'slow') await gate;
        context.send(out(context.self.id));
      },
    });
    const h = await TestRuntime.start(statefun, { shards: 1 });
    await h.send(FN, 'slow', 'x');
    await h.send(FN, 'fast', 'x');
    await h.send(FN, 'fast', 'y');
    await until(() => h.rt.stats().messagesProcessed === 2, 'both fast messages are processed');
    expect(h.rt.quiescent).toBe(false);
    release();
    expect(await h.output()).toEqual(['fast', 'fast', 'slow']);
    await h.stop();
  });

  it('functions may message each other in a cycle, across shards, and each message is processed once', async () => {
    const statefun = new StateFun();
    for (const [self, other] of [
      ['test/ping', 'test/pong'],
      ['test/pong', 'test/ping'],
    ] as const) {
      statefun.bind({
        typename: self,
        specs: [{ name: 'hits', type: StateFun.intType() }],
        fn(context, message) {
          const n = message.asInt();
          const hits = ((context.storage.hits as number | null) ?? 0) + 1;
          context.storage.hits = hits;
          if (n < 20) {
            // Cycle through three ids so the cycle crosses shards.
            context.send(messageBuilder({ typename: other, id: `id${n % 3}`, value: n + 1 }));
          } else {
            context.send(out(`${self} ${context.self.id} ends at ${n} after ${hits} hits here`));
          }
        },
      });
    }
    const h = await TestRuntime.start(statefun, { shards: 4 });
    await h.rt.send(messageBuilder({ typename: 'test/ping', id: 'id0', value: 0 }));
    await h.settle();
    expect(h.rt.stats().perFunction).toEqual({ 'test/ping': 11, 'test/pong': 10 });
    expect(await h.output()).toEqual(['test/ping id1 ends at 20 after 4 hits here']);
    await h.stop();
  });
});
