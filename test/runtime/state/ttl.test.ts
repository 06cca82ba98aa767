import { describe, expect, it } from 'vitest';
import { describeRuntimeKey } from '../../../cli/data/runtime-keys.js';
import { Engine } from '../../../engine/index.js';
import { StateFun } from '../../../runtime/index.js';
import type { Context, PersistedList, PersistedTable } from '../../../runtime/index.js';
import { TestRuntime, scripted, turns } from '../runtime-harness.js';
import type { Storage } from '../runtime-harness.js';

const FN = 'test/ttl';
const TTL_MS = 1000;

function list(c: Context<Storage>, name: string): PersistedList<string> {
  return c.storage[name] as PersistedList<string>;
}

function map(c: Context<Storage>, name: string): PersistedTable<number> {
  return c.storage[name] as PersistedTable<number>;
}

function ttlApp(): StateFun {
  const statefun = new StateFun();
  const str = StateFun.stringType();
  const int = StateFun.intType();
  scripted(
    statefun,
    FN,
    [
      { name: 'w', type: int, expireAfterWrite: TTL_MS },
      { name: 'c', type: int, expireAfterCall: TTL_MS },
      { name: 'plain', type: int },
      { name: 'lw', type: str, kind: 'list', expireAfterWrite: TTL_MS },
      { name: 'lc', type: str, kind: 'list', expireAfterCall: TTL_MS },
      { name: 'mw', type: int, kind: 'map', expireAfterWrite: TTL_MS },
      { name: 'mc', type: int, kind: 'map', expireAfterCall: TTL_MS },
      { name: 'zero', type: int, expireAfterWrite: 0 },
      { name: 'zl', type: str, kind: 'list', expireAfterWrite: 0 },
    ],
    {
      touch: () => undefined,
      setZero: (c) => {
        c.storage.zero = 3;
        list(c, 'zl').append('z');
        return [c.storage.zero, list(c, 'zl').values()];
      },
      getZero: (c) => [c.storage.zero, list(c, 'zl').values()],
      setW: (c) => {
        c.storage.w = 5;
      },
      getW: (c) => c.storage.w,
      setC: (c) => {
        c.storage.c = 6;
      },
      getC: (c) => c.storage.c,
      setPlain: (c) => {
        c.storage.plain = 7;
      },
      getPlain: (c) => c.storage.plain,
      appendAB: (c) => {
        list(c, 'lw').append('a', 'b');
        list(c, 'lc').append('a', 'b');
      },
      appendC: (c) => {
        list(c, 'lw').append('c');
      },
      appendD: (c) => {
        list(c, 'lw').append('d');
        return list(c, 'lw').values();
      },
      lists: (c) => [
        list(c, 'lw').length,
        list(c, 'lw').values(),
        list(c, 'lw').get(0) ?? null,
        list(c, 'lc').length,
        list(c, 'lc').values(),
      ],
      setX: (c) => {
        map(c, 'mw').set('x', 1);
        map(c, 'mc').set('x', 1);
      },
      setY: (c) => {
        map(c, 'mw').set('y', 2);
        return map(c, 'mw').entries();
      },
      maps: (c) => [
        map(c, 'mw').get('x') ?? null,
        map(c, 'mw').has('x'),
        map(c, 'mw').entries(),
        map(c, 'mc').entries(),
      ],
    },
  );
  return statefun;
}

/** Every key of the state engine in words (kg, kind, typename, id, name[element]). */
async function stateKeys(h: TestRuntime): Promise<string[]> {
  const db = await Engine.open('/app/state', { fileSystem: h.fs, readOnly: true });
  try {
    return [...db.iterator()].map(([key]) => describeRuntimeKey('state', key).replace(/^kg \d+ /, ''));
  } finally {
    await db.close();
  }
}

describe('state TTL', () => {
  it('a read of expired state deletes its records from the state engine, list elements and map entries included', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setW');
    await h.send(FN, 'a', 'setPlain');
    await h.send(FN, 'a', 'appendAB');
    await h.send(FN, 'a', 'setX');
    await h.settle();
    await h.rt.checkpoint();
    const [valueKey, listKey, mapKey] = ['value', 'list', 'map'].map((kind) => `${kind} ${FN} "a"`);
    expect(await stateKeys(h)).toEqual(
      expect.arrayContaining([
        `${valueKey} w`,
        `${valueKey} plain`,
        `${listKey} lw`,
        `${listKey} lw[0]`,
        `${listKey} lw[1]`,
        `${mapKey} mw`,
        `${mapKey} mw["x"]`,
      ]),
    );
    await h.advance(TTL_MS);
    // These read w, lw and mw after their expiry (lc and mc are refreshed by the call).
    await h.send(FN, 'a', 'getW');
    await h.send(FN, 'a', 'lists');
    await h.send(FN, 'a', 'maps');
    await h.settle();
    await h.rt.checkpoint();
    const after = await stateKeys(h);
    expect(after.filter((k) => / (w|lw|mw)(\[.*\])?$/.test(k))).toEqual([]);
    expect(after).toContain(`${valueKey} plain`);
    await h.stop();
  });

  it('an expireAfterWrite value reads as null from its expiry time on, not a millisecond before', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setW');
    await h.send(FN, 'a', 'setPlain');
    await h.advance(TTL_MS - 1);
    await h.send(FN, 'a', 'getW');
    await h.advance(1);
    await h.send(FN, 'a', 'getW');
    await h.send(FN, 'a', 'getPlain');
    expect(await h.output()).toEqual(['a getW 5', 'a getW null', 'a getPlain 7']);
    await h.stop();
  });

  it('expireAfterWrite is not extended by calls, only by writes', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setW');
    await h.advance(600);
    await h.send(FN, 'a', 'getW');
    await h.send(FN, 'a', 'touch');
    await h.advance(400);
    await h.send(FN, 'a', 'getW');
    await h.send(FN, 'a', 'setW');
    await h.advance(TTL_MS - 1);
    await h.send(FN, 'a', 'getW');
    expect(await h.output()).toEqual(['a getW 5', 'a getW null', 'a getW 5']);
    await h.stop();
  });

  it('an expireAfterCall value stays alive while calls come more often than its TTL, then expires', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setC');
    for (let i = 0; i < 5; i++) {
      await h.advance(TTL_MS - 100);
      await h.send(FN, 'a', 'touch');
    }
    // 4500 ms after the write: alive only because each call refreshed the expiry.
    await h.send(FN, 'a', 'getC');
    await h.advance(TTL_MS - 1);
    await h.send(FN, 'a', 'getC');
    await h.advance(TTL_MS);
    await h.send(FN, 'a', 'getC');
    await h.send(FN, 'a', 'getC');
    expect(await h.output()).toEqual(['a getC 6', 'a getC 6', 'a getC null', 'a getC null']);
    await h.stop();
  });

  it('a call to another address does not refresh an expireAfterCall value', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setC');
    await h.advance(600);
    await h.send(FN, 'b', 'touch');
    await h.advance(400);
    await h.send(FN, 'a', 'getC');
    expect(await h.output()).toEqual(['a getC null']);
    await h.stop();
  });

  it('an expireAfterWrite list expires as a whole after its last append, and its old elements never come back', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'appendAB');
    await h.advance(500);
    await h.send(FN, 'a', 'appendC');
    await h.advance(TTL_MS - 1);
    await h.send(FN, 'a', 'lists');
    await h.advance(1);
    await h.send(FN, 'a', 'lists');
    await h.send(FN, 'a', 'appendD');
    await h.restart();
    await h.send(FN, 'a', 'lists');
    expect(await h.output()).toEqual([
      'a lists [3,["a","b","c"],"a",2,["a","b"]]',
      // lc (expireAfterCall) lives on: every one of these calls refreshed it.
      'a lists [0,[],null,2,["a","b"]]',
      'a appendD ["d"]',
      'a lists [1,["d"],"d",2,["a","b"]]',
    ]);
    await h.stop();
  });

  it('an expireAfterCall list stays alive while its address is called', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'appendAB');
    for (let i = 0; i < 3; i++) {
      await h.advance(TTL_MS - 1);
      await h.send(FN, 'a', 'touch');
    }
    await h.send(FN, 'a', 'lists');
    expect(await h.output()).toEqual(['a lists [0,[],null,2,["a","b"]]']);
    await h.stop();
  });

  it('an expireAfterWrite map expires as a whole, and its old entries never come back', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setX');
    await h.advance(TTL_MS - 1);
    await h.send(FN, 'a', 'maps');
    await h.advance(1);
    await h.send(FN, 'a', 'maps');
    await h.send(FN, 'a', 'setY');
    expect(await h.output()).toEqual([
      'a maps [1,true,[["x",1]],[["x",1]]]',
      'a maps [null,false,[],[["x",1]]]',
      'a setY [["y",2]]',
    ]);
    await h.stop();
  });

  it('an expireAfterCall map stays alive while its address is called, then expires', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setX');
    await h.advance(TTL_MS - 1);
    await h.send(FN, 'a', 'touch');
    await h.advance(TTL_MS - 1);
    await h.send(FN, 'a', 'maps');
    await h.advance(TTL_MS);
    await h.send(FN, 'a', 'maps');
    expect(await h.output()).toEqual(['a maps [null,false,[],[["x",1]]]', 'a maps [null,false,[],[]]']);
    await h.stop();
  });

  // Regression: the invocation's own write, expiring at its own start time, read back as null.
  it('with a TTL of 0 an invocation reads its own write, and the next invocation finds it expired', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setZero');
    await h.send(FN, 'a', 'getZero');
    expect(await h.output()).toEqual(['a setZero [3,["z"]]', 'a getZero [null,[]]']);
    await h.stop();
  });

  it('expiry times are absolute: a restart neither resets nor extends them', async () => {
    const h = await TestRuntime.start(ttlApp());
    await h.send(FN, 'a', 'setW');
    await h.advance(500);
    await h.restart();
    await h.advance(TTL_MS - 501);
    await h.send(FN, 'a', 'getW');
    await h.advance(1);
    await h.send(FN, 'a', 'getW');
    expect(await h.output()).toEqual(['a getW 5', 'a getW null']);
    await h.stop();
  });
});

describe('state TTL cleanup by compaction', () => {
  it('a compaction removes expired value states, lists and maps without a call to their address', async () => {
    const h = await TestRuntime.start(ttlApp());
    for (const op of ['setW', 'setPlain', 'appendAB', 'setX']) await h.send(FN, 'a', op);
    await h.advance(600);
    // b's state expires 600 ms after a's: still alive at the compaction.
    for (const op of ['appendAB', 'setX']) await h.send(FN, 'b', op);
    await h.advance(TTL_MS - 600);
    const processed = h.rt.stats().messagesProcessed;
    await h.rt.compactState();
    await turns();
    await h.rt.checkpoint();

    expect(h.rt.stats().messagesProcessed).toBe(processed);
    // lw, lc, mw and mc of a (lc and mc expire after a call, and a's last was at 0).
    expect(h.rt.stats().expiredCollectionsRemoved).toBe(4);
    const keys = await stateKeys(h);
    expect(keys.filter((k) => k.includes(' "a" '))).toEqual([`value ${FN} "a" plain`]);
    // In key order: each header, then its elements or entries.
    expect(keys.filter((k) => k.includes(' "b" '))).toEqual([
      `list ${FN} "b" lc`,
      `list ${FN} "b" lc[0]`,
      `list ${FN} "b" lc[1]`,
      `list ${FN} "b" lw`,
      `list ${FN} "b" lw[0]`,
      `list ${FN} "b" lw[1]`,
      `map ${FN} "b" mc`,
      `map ${FN} "b" mc["x"]`,
      `map ${FN} "b" mw`,
      `map ${FN} "b" mw["x"]`,
    ]);
    await h.send(FN, 'a', 'lists');
    await h.send(FN, 'b', 'lists');
    expect(await h.output()).toEqual(['a lists [0,[],null,0,[]]', 'b lists [2,["a","b"],"a",2,["a","b"]]']);
    await h.stop();
  });

  it('leaves a map alone while an invocation that read it before it expired is under way', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const statefun = new StateFun();
    scripted(
      statefun,
      FN,
      [{ name: 'mw', type: StateFun.intType(), kind: 'map', expireAfterWrite: TTL_MS }],
      {
        setX: (c) => map(c, 'mw').set('x', 1),
        slowSetY: async (c) => {
          const x = map(c, 'mw').get('x');
          await gate;
          map(c, 'mw').set('y', 2);
          return x;
        },
        entries: (c) => map(c, 'mw').entries(),
      },
    );
    const h = await TestRuntime.start(statefun);
    await h.send(FN, 'a', 'setX');
    await h.advance(TTL_MS - 1);
    await h.send(FN, 'a', 'slowSetY');
    await turns();
    // The map expires while slowSetY, which found it alive, waits; a compaction reports it.
    h.clock.advance(1);
    await h.rt.compactState();
    await turns();
    expect(h.rt.stats().expiredCollectionsRemoved).toBe(0);
    open();
    await h.send(FN, 'a', 'entries');
    expect(await h.output()).toEqual(['a slowSetY 1', 'a entries [["x",1],["y",2]]']);
    await h.stop();
  });
});
