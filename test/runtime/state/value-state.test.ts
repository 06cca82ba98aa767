import { describe, expect, it } from 'vitest';
import { InvocationClosedError, StateFun } from '../../../runtime/index.js';
import type { Context } from '../../../runtime/index.js';
import { egressMessageBuilder, messageBuilder } from '../../../runtime/sdk/message-builder.js';
import { OUT, TestRuntime, describeError, scripted } from '../runtime-harness.js';
import type { Storage } from '../runtime-harness.js';

const CELL = 'test/cell';
const SINK = 'test/sink';

interface Point {
  x: number;
  tags: string[];
}
const POINT = StateFun.jsonType<Point>('test/point');

/** The context the 'keep' operation kept past its invocation. */
let kept: Context<Storage> | undefined;

function cellApp(): StateFun {
  const statefun = new StateFun();
  scripted(
    statefun,
    CELL,
    [
      { name: 'n', type: StateFun.intType() },
      { name: 'point', type: POINT },
      { name: 'flag', type: StateFun.booleanType() },
      { name: 'text', type: StateFun.stringType() },
    ],
    {
      get: (c) => [c.storage.n, c.storage.point],
      inc: (c) => {
        c.storage.n = ((c.storage.n as number | null) ?? 0) + 1;
        return c.storage.n;
      },
      writeThenRead: (c) => {
        const before = c.storage.n as number | null;
        c.storage.n = 41;
        const first = c.storage.n as number;
        c.storage.n = first + 1;
        c.storage.point = { x: 1, tags: ['a'] };
        return [before, first, c.storage.n, c.storage.point];
      },
      setPoint: (c) => {
        c.storage.point = { x: 7, tags: ['p', 'q'] };
      },
      deleteNull: (c) => {
        c.storage.n = null;
        return c.storage.n;
      },
      deleteUndefined: (c) => {
        c.storage.point = undefined;
        return c.storage.point;
      },
      writeThenThrow: (c) => {
        c.storage.n = 1000;
        c.storage.point = { x: -1, tags: [] };
        c.send(messageBuilder({ typename: SINK, id: 'x', value: 'leaked' }));
        c.send(egressMessageBuilder({ typename: OUT, value: 'leaked', valueType: StateFun.stringType() }));
        c.sendAfter(5, messageBuilder({ typename: SINK, id: 'x', value: 'leaked later' }));
        throw new Error('after writing');
      },
      setFalsy: (c) => {
        c.storage.n = 0;
        c.storage.flag = false;
        c.storage.text = '';
      },
      getFalsy: (c) => [c.storage.n, c.storage.flag, c.storage.text],
      keep: (c) => {
        kept = c;
      },
      badAssign: (c) =>
        describeError(() => {
          c.storage.n = 'seven';
        }),
      undeclared: (c) => [
        describeError(() => {
          c.storage.m = 1;
        }).startsWith('TypeError:'),
        c.storage.m === undefined,
        'n' in c.storage && !('m' in c.storage),
      ],
      writeThenReject: async (c) => {
        c.storage.n = 2000;
        await new Promise((resolve) => setImmediate(resolve));
        c.send(messageBuilder({ typename: SINK, id: 'x', value: 'leaked' }));
        throw new Error('async, after writing');
      },
    },
  );
  scripted(statefun, SINK, [], { leaked: () => 'received', 'leaked later': () => 'received later' });
  return statefun;
}

describe('value state', () => {
  it('an invocation reads its own writes before they are committed', async () => {
    const h = await TestRuntime.start(cellApp());
    await h.send(CELL, 'a', 'writeThenRead');
    expect(await h.output()).toEqual(['a writeThenRead [null,41,42,{"x":1,"tags":["a"]}]']);
    await h.stop();
  });

  it('a later invocation of the same address reads the committed value; other addresses do not', async () => {
    const h = await TestRuntime.start(cellApp());
    for (const id of ['a', 'a', 'b', 'a']) await h.send(CELL, id, 'inc');
    await h.send(CELL, 'a', 'setPoint');
    await h.send(CELL, 'a', 'get');
    await h.send(CELL, 'b', 'get');
    await h.send(CELL, 'c', 'get');
    const out = await h.output();
    expect(out.filter((s) => s.startsWith('a '))).toEqual([
      'a inc 1',
      'a inc 2',
      'a inc 3',
      'a get [3,{"x":7,"tags":["p","q"]}]',
    ]);
    expect(out.filter((s) => s.startsWith('b '))).toEqual(['b inc 1', 'b get [1,null]']);
    expect(out.filter((s) => s.startsWith('c '))).toEqual(['c get [null,null]']);
    await h.stop();
  });

  it('state of one id is not seen by another function type with the same id', async () => {
    const statefun = cellApp();
    scripted(statefun, 'test/other', [{ name: 'n', type: StateFun.intType() }], { get: (c) => c.storage.n });
    const h = await TestRuntime.start(statefun);
    await h.send(CELL, 'a', 'inc');
    await h.send('test/other', 'a', 'get');
    expect((await h.output()).sort()).toEqual(['a get null', 'a inc 1']);
    await h.stop();
  });

  it('state survives stop() and start(), with fewer or more shards', async () => {
    const h = await TestRuntime.start(cellApp(), { shards: 3 });
    for (const id of ['a', 'b', 'a']) await h.send(CELL, id, 'inc');
    await h.send(CELL, 'b', 'setPoint');
    await h.settle();
    await h.restart(cellApp(), { shards: 1 });
    await h.send(CELL, 'a', 'get');
    await h.send(CELL, 'b', 'get');
    await h.restart(cellApp(), { shards: 4 });
    await h.send(CELL, 'a', 'inc');
    const out = await h.output();
    expect(out.slice(-3).sort()).toEqual(['a get [2,null]', 'a inc 3', 'b get [1,{"x":7,"tags":["p","q"]}]']);
    await h.stop();
  });

  it('after a crash, state is that of the last checkpoint plus the replayed messages, each counted once', async () => {
    const h = await TestRuntime.start(cellApp());
    await h.send(CELL, 'a', 'inc');
    await h.send(CELL, 'a', 'inc');
    await h.settle();
    await h.rt.checkpoint();
    await h.send(CELL, 'a', 'inc');
    await h.settle();
    await h.crash();
    await h.send(CELL, 'a', 'get');
    expect(await h.output()).toEqual(['a inc 1', 'a inc 2', 'a inc 3', 'a get [3,null]']);
    await h.crash();
    await h.send(CELL, 'a', 'get');
    expect(await h.output()).toEqual(['a get [3,null]']);
    await h.stop();
  });

  it('assigning null or undefined deletes the value, durably', async () => {
    const h = await TestRuntime.start(cellApp());
    await h.send(CELL, 'a', 'inc');
    await h.send(CELL, 'a', 'setPoint');
    await h.send(CELL, 'a', 'deleteNull');
    await h.send(CELL, 'a', 'get');
    await h.send(CELL, 'a', 'deleteUndefined');
    await h.send(CELL, 'a', 'get');
    expect(await h.output()).toEqual([
      'a inc 1',
      'a deleteNull null',
      'a get [null,{"x":7,"tags":["p","q"]}]',
      'a deleteUndefined null',
      'a get [null,null]',
    ]);
    await h.restart();
    await h.send(CELL, 'a', 'get');
    expect(await h.output()).toEqual(['a get [null,null]']);
    await h.stop();
  });

  it('falsy values (0, false, the empty string) are stored, not taken for deletes', async () => {
    const h = await TestRuntime.start(cellApp());
    await h.send(CELL, 'a', 'getFalsy');
    await h.send(CELL, 'a', 'setFalsy');
    await h.restart();
    await h.send(CELL, 'a', 'getFalsy');
    expect(await h.output()).toEqual(['a getFalsy [null,null,null]', 'a getFalsy [0,false,""]']);
    await h.stop();
  });

  it('assigning a value its type cannot hold throws InvalidArgumentError naming the state', async () => {
    const h = await TestRuntime.start(cellApp());
    await h.send(CELL, 'a', 'badAssign');
    await h.send(CELL, 'a', 'get');
    expect(await h.output()).toEqual([
      'a badAssign "InvalidArgumentError: context.storage.n: cannot store the value as io.statefun.types/int: ' +
        "StateFun.intType().serialize: value must be an integer in the int32 range [-2147483648, 2147483647], got a string ('seven')\"",
      'a get [null,null]',
    ]);
    await h.stop();
  });

  it('a name no spec declares cannot be added to the storage', async () => {
    const h = await TestRuntime.start(cellApp());
    await h.send(CELL, 'a', 'undeclared');
    expect(await h.output()).toEqual(['a undeclared [true,true,true]']);
    await h.stop();
  });

  // Regression: a kept storage read the invocation's stale buffer and its writes vanished.
  it('a function that kept its storage cannot read or write it after the invocation returned', async () => {
    const h = await TestRuntime.start(cellApp());
    await h.send(CELL, 'a', 'inc');
    await h.send(CELL, 'a', 'keep');
    await h.settle();
    const storage = kept!.storage;
    const message = (api: string): string =>
      `InvocationClosedError: ${api}: the invocation of ${CELL}:a has already returned; ` +
      'a function must use its state before it returns (or before its promise resolves)';
    expect(describeError(() => storage.n)).toBe(message('context.storage.n'));
    expect(
      describeError(() => {
        storage.n = 99;
      }),
    ).toBe(message('context.storage.n'));
    expect(() => (storage.point = null)).toThrow(InvocationClosedError);
    await h.send(CELL, 'a', 'get');
    expect(await h.output()).toEqual(['a inc 1', 'a get [1,null]']);
    await h.stop();
  });

  it('a function that throws after writing leaves no trace: no state, sends, egress or delayed messages', async () => {
    const h = await TestRuntime.start(cellApp(), { maxAttempts: 1 });
    await h.send(CELL, 'a', 'inc');
    await h.send(CELL, 'a', 'writeThenThrow');
    await h.send(CELL, 'a', 'get');
    await h.settle();
    await h.advance(1000);
    expect(await h.output()).toEqual(['a inc 1', 'a get [1,null]']);
    expect((await h.deadLetters()).map((d) => [d.target.id, d.error])).toEqual([
      ['a', 'Error: after writing'],
    ]);
    expect(h.rt.stats().perFunction[SINK]).toBeUndefined();
    await h.stop();
  });

  it('an async function whose promise rejects after writing leaves no trace', async () => {
    const h = await TestRuntime.start(cellApp(), { maxAttempts: 1 });
    await h.send(CELL, 'a', 'writeThenReject');
    await h.send(CELL, 'a', 'get');
    expect(await h.output()).toEqual(['a get [null,null]']);
    expect((await h.deadLetters()).map((d) => d.error)).toEqual(['Error: async, after writing']);
    expect(h.rt.stats().perFunction[SINK]).toBeUndefined();
    await h.stop();
  });
});
