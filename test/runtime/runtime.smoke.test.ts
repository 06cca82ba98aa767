import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../engine/index.js';
import { Runtime, abandonRuntime } from '../../runtime/runtime.js';
import { StateFun } from '../../runtime/sdk/statefun.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import type { Context } from '../../runtime/sdk/context.js';
import type { Message } from '../../runtime/sdk/message.js';
import type { Address } from '../../runtime/sdk/address.js';

function counterApp(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: 'test/counter',
    specs: [{ name: 'seen', type: StateFun.intType() }],
    fn(context: Context, message: Message) {
      const seen = ((context.storage.seen as number | null) ?? 0) + message.asInt();
      context.storage.seen = seen;
      context.send(
        egressMessageBuilder({
          typename: 'test/out',
          value: `${context.self.id}=${seen}`,
          valueType: StateFun.stringType(),
        }),
      );
    },
  });
  return statefun;
}

async function drain(rt: Runtime, typename: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of rt.egress(typename, { follow: false })) out.push(r.value.asString());
  return out;
}

describe('Runtime (smoke)', () => {
  it('processes messages, commits egress at checkpoints and keeps state across a restart', async () => {
    const fs = new MemoryFileSystem();
    const options = {
      dir: '/app',
      statefun: counterApp(),
      fileSystem: fs,
      checkpointIntervalMs: 0,
      shards: 3,
    };
    const rt = await Runtime.start(options);
    for (const id of ['a', 'b', 'a']) {
      await rt.send(
        messageBuilder({ typename: 'test/counter', id, value: 1, valueType: StateFun.intType() }),
      );
    }
    await rt.idle();
    expect(await drain(rt, 'test/out')).toEqual([]);
    const committed = await rt.checkpoint();
    expect((await drain(rt, 'test/out')).sort()).toEqual(['a=1', 'a=2', 'b=1']);
    // The first checkpoint copies everything it uses: its files and its metadata.
    expect(committed.egressRecords).toBe(3);
    expect(committed.metadataBytes).toBeGreaterThan(0);
    expect(committed.bytesCopied).toBe(committed.totalBytes);
    expect(rt.stats().checkpoints.at(-1)).toEqual(committed);
    await rt.stop();

    const again = await Runtime.start({ ...options, shards: 2 });
    await again.send(
      messageBuilder({ typename: 'test/counter', id: 'a', value: 5, valueType: StateFun.intType() }),
    );
    await again.idle();
    await again.checkpoint();
    const out = await drain(again, 'test/out');
    expect(out).toHaveLength(4);
    expect(out[3]).toBe('a=7');
    await again.stop();
  });

  it('after a crash, replays the ingress log after the last checkpoint exactly once', async () => {
    const fs = new MemoryFileSystem();
    const options = { dir: '/app', statefun: counterApp(), fileSystem: fs, checkpointIntervalMs: 0 };
    const rt = await Runtime.start(options);
    await rt.send(
      messageBuilder({ typename: 'test/counter', id: 'x', value: 1, valueType: StateFun.intType() }),
    );
    await rt.idle();
    await rt.checkpoint();
    await rt.send(
      messageBuilder({ typename: 'test/counter', id: 'x', value: 10, valueType: StateFun.intType() }),
    );
    await rt.idle();
    abandonRuntime(rt);
    const crashed = fs.crash();
    const again = await Runtime.start({ ...options, fileSystem: crashed });
    await again.idle();
    await again.checkpoint();
    expect(await drain(again, 'test/out')).toEqual(['x=1', 'x=11']);
    await again.stop();
  });

  it('a function type whose namespace contains a slash gets its own and its caller’s address split at the last slash', async () => {
    const statefun = new StateFun();
    const parts = (a: Address | null): string => (a === null ? 'null' : `${a.namespace}|${a.name}|${a.id}`);
    statefun.bind({
      typename: 'com.example/fns/greeter',
      fn(context: Context, message: Message) {
        const line = `${parts(context.self)} from ${parts(context.caller)}`;
        context.send(
          egressMessageBuilder({ typename: 'test/out', value: line, valueType: StateFun.stringType() }),
        );
        if (message.asString() === 'first') {
          context.send(messageBuilder({ typename: 'com.example/fns/greeter', id: 'b', value: 'second' }));
        }
      },
    });
    const rt = await Runtime.start({
      dir: '/app',
      statefun,
      fileSystem: new MemoryFileSystem(),
      checkpointIntervalMs: 0,
      maxAttempts: 1,
    });
    await rt.send(messageBuilder({ typename: 'com.example/fns/greeter', id: 'a', value: 'first' }));
    await rt.idle();
    await rt.checkpoint();
    expect(await drain(rt, 'test/out')).toEqual([
      'com.example/fns|greeter|a from null',
      'com.example/fns|greeter|b from com.example/fns|greeter|a',
    ]);
    expect(rt.stats().deadLetters).toBe(0);
    await rt.stop();
  });
});
