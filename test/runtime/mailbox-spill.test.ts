/**
 * Mailboxes past `mailboxMemoryBytes`: messages spill to files and come back in order,
 * exactly once across a crash; messages waiting behind a running async invocation are
 * bounded too; and spill files a crashed run left behind are removed at start.
 */
import { describe, expect, it } from 'vitest';
import { ImmediateScheduler, SeededScheduler } from '../../runtime/clock.js';
import { StateFun } from '../../runtime/index.js';
import type { PersistedList } from '../../runtime/index.js';
import { egressMessageBuilder } from '../../runtime/sdk/message-builder.js';
import { SINK, SOURCE, bySink, expectedLines, fanOutApp } from './fan-out-app.js';
import type { FanOut } from './fan-out-app.js';
import { OUT, TestRuntime, stepUntil, turns, until } from './runtime-harness.js';

const SIZES: FanOut = { fanOut: 400, sinks: 5 };
const FAN_OUT = SIZES.fanOut;

function out(value: string) {
  return egressMessageBuilder({ typename: OUT, value, valueType: StateFun.stringType() });
}

function spillFiles(h: TestRuntime): string[] {
  return h.fs.exists('/app/spill') ? h.fs.list('/app/spill') : [];
}

describe('mailbox spilling', () => {
  it('messages past the memory budget spill to files and are processed once each, in order', async () => {
    const h = await TestRuntime.start(fanOutApp(SIZES), { shards: 2, mailboxMemoryBytes: 1024 });
    await h.send(SOURCE, 'x', 'r0');
    expect(bySink(await h.output())).toEqual(bySink(expectedLines(SIZES, ['r0'])));
    await h.send(SOURCE, 'x', 'r1');
    expect(bySink(await h.output())).toEqual(bySink(expectedLines(SIZES, ['r0', 'r1']).slice(FAN_OUT)));
    const stats = h.rt.stats();
    expect(stats.spilledTotal).toBeGreaterThan(FAN_OUT);
    expect(stats.spilledMessages).toBe(0);
    expect(spillFiles(h)).toEqual([]);
    await h.stop();
  });

  it('a crash while messages are spilled loses none and repeats none', async () => {
    const scheduler = new SeededScheduler(7);
    const h = await TestRuntime.start(fanOutApp(SIZES), { shards: 2, mailboxMemoryBytes: 1024, scheduler });
    /** Steps the shards until `done` (or, without it, until the runtime is quiescent). */
    const run = async (done: () => boolean): Promise<void> => {
      await stepUntil(scheduler, done);
      expect(done()).toBe(true);
    };
    await h.send(SOURCE, 'x', 'r0');
    await run(() => h.rt.quiescent);
    let checkpointed = false;
    void h.rt.checkpoint().then(() => (checkpointed = true));
    await run(() => checkpointed);
    await h.send(SOURCE, 'x', 'r1');
    // Crash with part of r1 processed and part of it still in spill files.
    await run(() => h.rt.stats().messagesProcessed > FAN_OUT + 100);
    expect(h.rt.stats().spilledMessages).toBeGreaterThan(0);
    await h.crash(h.statefun, { scheduler: new ImmediateScheduler() });
    expect(spillFiles(h)).toEqual([]);
    expect(bySink(await h.output())).toEqual(bySink(expectedLines(SIZES, ['r0', 'r1'])));
    await h.stop();
  });

  it('bounds the messages waiting behind a running async invocation: the rest stay in the mailbox', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const statefun = new StateFun();
    statefun.bind({
      typename: SINK,
      specs: [{ name: 'got', type: StateFun.stringType(), kind: 'list' }],
      async fn(context, message) {
        await gate;
        const got = context.storage.got as PersistedList<string>;
        got.append(message.asString());
        context.send(out(`${message.asString()} #${got.values().length}`));
      },
    });
    const h = await TestRuntime.start(statefun, { shards: 1, mailboxMemoryBytes: 1024 });
    const sent = Array.from({ length: 100 }, (_, n) => `m${n}`);
    for (const value of sent) await h.send(SINK, 'a', value);
    // The first message runs and awaits; a couple wait behind it; the shard stops taking
    // more, so its mailbox (not the waiting queue) holds the rest, and spills them.
    await until(() => h.rt.stats().perFunction[SINK] === 1, 'the first message runs');
    await turns(5);
    expect(h.rt.stats().perFunction[SINK]).toBe(1);
    expect(h.rt.stats().spilledMessages).toBeGreaterThan(50);
    release();
    expect(await h.output()).toEqual(sent.map((m, i) => `${m} #${i + 1}`));
    await h.stop();
  });

  it("goes on when a shard's share is smaller than one message", async () => {
    const statefun = new StateFun();
    statefun.bind({
      typename: SINK,
      specs: [{ name: 'got', type: StateFun.intType() }],
      async fn(context) {
        await Promise.resolve();
        const got = ((context.storage.got as number | null) ?? 0) + 1;
        context.storage.got = got;
        context.send(out(`${context.self.id} #${got}`));
      },
    });
    // 300 shards share 1 KiB: 3 bytes each, so no room at all for a waiting message.
    const h = await TestRuntime.start(statefun, {
      shards: 300,
      maxParallelism: 300,
      mailboxMemoryBytes: 1024,
    });
    for (let n = 0; n < 60; n++) await h.send(SINK, `a${n % 3}`, `m${n}`);
    const lines = await h.output();
    for (let a = 0; a < 3; a++) {
      expect(lines.filter((l) => l.startsWith(`a${a} `))).toEqual(
        Array.from({ length: 20 }, (_, i) => `a${a} #${i + 1}`),
      );
    }
    expect(h.rt.stats().spilledTotal).toBeGreaterThan(0);
    await h.stop();
  });

  it('start removes spill files a crashed run left behind', async () => {
    const h = await TestRuntime.start(fanOutApp(SIZES), { shards: 1 });
    await h.rt.stop();
    h.fs.mkdirp('/app/spill');
    const file = h.fs.openWritable('/app/spill/shard-0-000003.mbox', 'create');
    file.append(new Uint8Array(100));
    file.close();
    await h.restart();
    expect(h.fs.exists('/app/spill')).toBe(false);
    await h.stop();
  });
});
