import { describe, expect, it } from 'vitest';
import { StateFun } from '../../../runtime/index.js';
import type { Context, PersistedList, PersistedTable } from '../../../runtime/index.js';
import { TestRuntime, describeError, scripted } from '../runtime-harness.js';
import type { Storage } from '../runtime-harness.js';

const FN = 'test/collections';

/** The list and map the 'keep' operation kept past its invocation. */
let kept: { list: PersistedList<string>; map: PersistedTable<number> } | undefined;

function list(c: Context<Storage>): PersistedList<string> {
  return c.storage.items as PersistedList<string>;
}

function map(c: Context<Storage>): PersistedTable<number> {
  return c.storage.scores as PersistedTable<number>;
}

function collectionsApp(): StateFun {
  const statefun = new StateFun();
  scripted(
    statefun,
    FN,
    [
      { name: 'items', type: StateFun.stringType(), kind: 'list' },
      { name: 'scores', type: StateFun.intType(), kind: 'map' },
    ],
    {
      // --- list ---
      appendAB: (c) => {
        list(c).append('a', 'b');
        return [list(c).length, list(c).values()];
      },
      appendC: (c) => {
        list(c).append('c');
      },
      appendNone: (c) => {
        list(c).append();
        return list(c).length;
      },
      readList: (c) => {
        const l = list(c);
        return [l.length, l.values(), l.get(0) ?? null, l.get(2) ?? null, l.get(3) ?? null];
      },
      clearList: (c) => {
        list(c).clear();
        return [list(c).length, list(c).values(), list(c).get(0) ?? null];
      },
      clearThenAppend: (c) => {
        list(c).clear();
        list(c).append('z');
        return list(c).values();
      },
      badIndex: (c) => [describeError(() => list(c).get(-1)), describeError(() => list(c).get(1.5))],
      // --- map ---
      setXY: (c) => {
        map(c).set('x', 1);
        map(c).set('y', 2);
        return [map(c).get('x'), map(c).has('y'), map(c).keys()];
      },
      overwriteX: (c) => {
        map(c).set('x', 10);
      },
      deleteY: (c) => {
        map(c).delete('y');
        map(c).delete('absent');
        return [map(c).has('y'), map(c).get('y') ?? null];
      },
      readMap: (c) => {
        const m = map(c);
        return [m.entries(), m.keys(), m.get('x') ?? null, m.has('x'), m.has('nope'), m.get('nope') ?? null];
      },
      unicodeKeys: (c) => {
        for (const [i, k] of ['é', 'bb', 'a', '', 'ab'].entries()) map(c).set(k, i);
        return map(c).entries();
      },
      longKeys: (c) => {
        for (const n of [256, 129, 127, 128, 1]) map(c).set('k'.repeat(n), n);
        return map(c)
          .entries()
          .map(([k, v]) => [k.length, v]);
      },
      clearMap: (c) => {
        map(c).clear();
        return [map(c).entries(), map(c).has('x')];
      },
      clearThenSet: (c) => {
        map(c).clear();
        map(c).set('w', 5);
        return map(c).entries();
      },
      badMapUse: (c) => [
        describeError(() => map(c).set('k', null as unknown as number)),
        describeError(() => map(c).get(7 as unknown as string)),
        describeError(() => map(c).has(7 as unknown as string)),
        describeError(() => map(c).delete(7 as unknown as string)),
      ],
      // --- assignment ---
      assign: (c) => [
        describeError(() => {
          c.storage.items = ['x'];
        }),
        describeError(() => {
          c.storage.scores = { x: 1 };
        }),
      ],
      keep: (c) => {
        kept = { list: list(c), map: map(c) };
      },
      writeThenThrow: (c) => {
        list(c).append('lost');
        map(c).set('lost', 99);
        map(c).delete('x');
        throw new Error('boom');
      },
    },
  );
  return statefun;
}

describe('list state', () => {
  it('append, get, values and length see the invocation’s own writes and persist', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'appendAB');
    await h.send(FN, 'k', 'appendC');
    await h.send(FN, 'k', 'appendNone');
    await h.send(FN, 'k', 'readList');
    await h.send(FN, 'other', 'readList');
    expect(await h.output()).toEqual([
      'k appendAB [2,["a","b"]]',
      'k appendNone 3',
      'k readList [3,["a","b","c"],"a","c",null]',
      'other readList [0,[],null,null,null]',
    ]);
    await h.stop();
  });

  it('clear empties the list, and a list cleared then appended holds only the new elements', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'appendAB');
    await h.send(FN, 'k', 'appendC');
    await h.send(FN, 'k', 'clearList');
    await h.send(FN, 'k', 'readList');
    await h.send(FN, 'k', 'appendAB');
    await h.send(FN, 'k', 'clearThenAppend');
    await h.send(FN, 'k', 'readList');
    expect(await h.output()).toEqual([
      'k appendAB [2,["a","b"]]',
      'k clearList [0,[],null]',
      'k readList [0,[],null,null,null]',
      'k appendAB [2,["a","b"]]',
      'k clearThenAppend ["z"]',
      'k readList [1,["z"],"z",null,null]',
    ]);
    await h.stop();
  });

  it('get refuses an index that is not a whole number >= 0', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'badIndex');
    expect(await h.output()).toEqual([
      'k badIndex ["InvalidArgumentError: context.storage.items.get: index must be an integer >= 0, got -1",' +
        '"InvalidArgumentError: context.storage.items.get: index must be an integer >= 0, got 1.5"]',
    ]);
    await h.stop();
  });
});

describe('map state', () => {
  it('set, get, has, delete, keys and entries see the invocation’s own writes and persist', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'setXY');
    await h.send(FN, 'k', 'overwriteX');
    await h.send(FN, 'k', 'readMap');
    await h.send(FN, 'k', 'deleteY');
    await h.send(FN, 'k', 'readMap');
    await h.send(FN, 'other', 'readMap');
    expect(await h.output()).toEqual([
      'k setXY [1,true,["x","y"]]',
      'k readMap [[["x",10],["y",2]],["x","y"],10,true,false,null]',
      'k deleteY [false,null]',
      'k readMap [[["x",10]],["x"],10,true,false,null]',
      'other readMap [[],[],null,false,false,null]',
    ]);
    await h.stop();
  });

  it('entries come in a stable order: by key length, then by the key’s UTF-8 bytes', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'unicodeKeys');
    await h.send(FN, 'k', 'readMap');
    expect(await h.output()).toEqual([
      'k unicodeKeys [["",3],["a",2],["ab",4],["bb",1],["é",0]]',
      'k readMap [[["",3],["a",2],["ab",4],["bb",1],["é",0]],["","a","ab","bb","é"],null,false,false,null]',
    ]);
    await h.stop();
  });

  // Regression: entries came in the order of their encoded keys, where a varint length
  // prefix sorts a 256-byte key before a 129-byte one.
  it('entries are ordered by key length for keys of 128 bytes and more too', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'longKeys');
    expect(await h.output()).toEqual(['k longKeys [[1,1],[127,127],[128,128],[129,129],[256,256]]']);
    await h.stop();
  });

  it('clear empties the map, and a map cleared then set holds only the new entries', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'setXY');
    await h.send(FN, 'k', 'clearMap');
    await h.send(FN, 'k', 'readMap');
    await h.send(FN, 'k', 'setXY');
    await h.send(FN, 'k', 'clearThenSet');
    await h.send(FN, 'k', 'readMap');
    expect(await h.output()).toEqual([
      'k setXY [1,true,["x","y"]]',
      'k clearMap [[],false]',
      'k readMap [[],[],null,false,false,null]',
      'k setXY [1,true,["x","y"]]',
      'k clearThenSet [["w",5]]',
      'k readMap [[["w",5]],["w"],null,false,false,null]',
    ]);
    await h.stop();
  });

  // Regression: get and has checked the key only once the map held an entry.
  it('set refuses null, and get, has and delete refuse a non-string key even on an empty map', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'badMapUse');
    await h.send(FN, 'k', 'setXY');
    await h.send(FN, 'k', 'badMapUse');
    const expected =
      '["InvalidArgumentError: context.storage.scores.set: value must not be null; use delete",' +
      '"InvalidArgumentError: context.storage.scores.get: key must be a string, got number",' +
      '"InvalidArgumentError: context.storage.scores.has: key must be a string, got number",' +
      '"InvalidArgumentError: context.storage.scores.delete: key must be a string, got number"]';
    expect(await h.output()).toEqual([
      `k badMapUse ${expected}`,
      'k setXY [1,true,["x","y"]]',
      `k badMapUse ${expected}`,
    ]);
    await h.stop();
  });
});

describe('list and map state', () => {
  it('assigning a list or map state throws InvalidArgumentError', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'assign');
    expect(await h.output()).toEqual([
      'k assign ["InvalidArgumentError: context.storage.items: a list state cannot be assigned; use its methods",' +
        '"InvalidArgumentError: context.storage.scores: a map state cannot be assigned; use its methods"]',
    ]);
    await h.stop();
  });

  it('lists and maps survive stop() and start(), and a crash after a checkpoint', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'appendAB');
    await h.send(FN, 'k', 'setXY');
    await h.settle();
    await h.restart(collectionsApp(), { shards: 3 });
    await h.send(FN, 'k', 'appendC');
    await h.send(FN, 'k', 'deleteY');
    await h.settle();
    await h.rt.checkpoint();
    await h.crash();
    await h.send(FN, 'k', 'readList');
    await h.send(FN, 'k', 'readMap');
    expect(await h.output()).toEqual([
      'k appendAB [2,["a","b"]]',
      'k setXY [1,true,["x","y"]]',
      'k deleteY [false,null]',
      'k readList [3,["a","b","c"],"a","c",null]',
      'k readMap [[["x",1]],["x"],1,true,false,null]',
    ]);
    await h.stop();
  });

  // Regression: a kept list or map read the invocation's stale buffer and its writes vanished.
  it('a list or map kept past its invocation refuses every method', async () => {
    const h = await TestRuntime.start(collectionsApp());
    await h.send(FN, 'k', 'appendAB');
    await h.send(FN, 'k', 'setXY');
    await h.send(FN, 'k', 'keep');
    await h.settle();
    const { list: l, map: m } = kept!;
    const uses: [string, () => unknown][] = [
      ['items.length', () => l.length],
      ['items.append', () => l.append('late')],
      ['items.get', () => l.get(0)],
      ['items.values', () => l.values()],
      ['items.clear', () => l.clear()],
      ['scores.get', () => m.get('x')],
      ['scores.has', () => m.has('x')],
      ['scores.set', () => m.set('late', 1)],
      ['scores.delete', () => m.delete('x')],
      ['scores.entries', () => m.entries()],
      ['scores.keys', () => m.keys()],
      ['scores.clear', () => m.clear()],
    ];
    for (const [api, use] of uses) {
      expect(describeError(use)).toBe(
        `InvocationClosedError: context.storage.${api}: the invocation of ${FN}:k has already returned; ` +
          'a function must use its state before it returns (or before its promise resolves)',
      );
    }
    await h.send(FN, 'k', 'readList');
    await h.send(FN, 'k', 'readMap');
    expect((await h.output()).slice(-2)).toEqual([
      'k readList [2,["a","b"],"a",null,null]',
      'k readMap [[["x",1],["y",2]],["x","y"],1,true,false,null]',
    ]);
    await h.stop();
  });

  it('a function that throws after changing a list and a map leaves both unchanged', async () => {
    const h = await TestRuntime.start(collectionsApp(), { maxAttempts: 2, retryBackoffMs: 0 });
    await h.send(FN, 'k', 'appendAB');
    await h.send(FN, 'k', 'setXY');
    await h.send(FN, 'k', 'writeThenThrow');
    await h.settleWithRetries();
    await h.send(FN, 'k', 'readList');
    await h.send(FN, 'k', 'readMap');
    expect(await h.output()).toEqual([
      'k appendAB [2,["a","b"]]',
      'k setXY [1,true,["x","y"]]',
      'k readList [2,["a","b"],"a",null,null]',
      'k readMap [[["x",1],["y",2]],["x","y"],1,true,false,null]',
    ]);
    expect((await h.deadLetters()).map((d) => [d.error, d.attempts])).toEqual([['Error: boom', 2]]);
    await h.stop();
  });

  it('list elements and map entries keep their own bytes when the type reuses its serialize buffer', async () => {
    // Type.serialize may return a buffer it reuses (the callers copy what they keep).
    const scratch = new Uint8Array(1);
    const reusing = StateFun.customType<number>(
      'test/reused-byte',
      (n) => {
        scratch[0] = n;
        return scratch;
      },
      (bytes) => bytes[0]!,
    );
    const statefun = new StateFun();
    scripted(
      statefun,
      FN,
      [
        { name: 'items', type: reusing, kind: 'list' },
        { name: 'scores', type: reusing, kind: 'map' },
      ],
      {
        write: (c) => {
          (c.storage.items as PersistedList<number>).append(1, 2, 3);
          const m = c.storage.scores as PersistedTable<number>;
          m.set('x', 4);
          m.set('y', 5);
        },
        read: (c) => [
          (c.storage.items as PersistedList<number>).values(),
          (c.storage.scores as PersistedTable<number>).entries(),
        ],
      },
    );
    const h = await TestRuntime.start(statefun);
    await h.send(FN, 'k', 'write');
    await h.send(FN, 'k', 'read');
    await h.restart();
    await h.send(FN, 'k', 'read');
    expect(await h.output()).toEqual([
      'k read [[1,2,3],[["x",4],["y",5]]]',
      'k read [[1,2,3],[["x",4],["y",5]]]',
    ]);
    await h.stop();
  });
});
