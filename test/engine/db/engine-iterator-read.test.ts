/**
 * Edge cases of EngineIterator.read (the zero-copy batched read); engine-iterator-read.prop.test.ts
 * checks it against the model.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClosedError, Engine, InvalidArgumentError, MemoryFileSystem } from '../../../engine/index.js';
import type { EntryVisitor } from '../../../engine/index.js';
import { text, TINY_ENGINE } from '../../support/engine-model.js';

let db: Engine;

beforeEach(async () => {
  db = await Engine.open('/db', { ...TINY_ENGINE, fileSystem: new MemoryFileSystem() });
});

afterEach(async () => {
  await db.close();
});

function collect(out: string[]): EntryVisitor {
  return (k, v) => out.push(`${text(k)}=${text(v)}`);
}

describe('EngineIterator.read', () => {
  it('reads in chunks and returns fewer than asked only at the end', async () => {
    for (const k of ['a', 'b', 'c', 'd', 'e']) await db.put(k, k.toUpperCase());
    const it = db.iterator();
    const out: string[] = [];
    expect(it.read(2, collect(out))).toBe(2);
    expect(it.read(0, collect(out))).toBe(0);
    expect(it.read(2, collect(out))).toBe(2);
    expect(it.read(2, collect(out))).toBe(1);
    expect(it.read(2, collect(out))).toBe(0);
    expect(out).toEqual(['a=A', 'b=B', 'c=C', 'd=D', 'e=E']);
    expect(it.next().done).toBe(true);
    it.close();
  });

  it('shares the position and the limit with next()', async () => {
    for (const k of ['a', 'b', 'c', 'd', 'e']) await db.put(k, k);
    const it = db.iterator({ reverse: true, limit: 4 });
    const out: string[] = [];
    expect(it.read(1, collect(out))).toBe(1);
    const step = it.next();
    expect(step.done ? undefined : text(step.value[0])).toBe('d');
    expect(it.read(5, collect(out))).toBe(2);
    expect(out).toEqual(['e=e', 'c=c', 'b=b']);
    it.close();
  });

  it('hands out the right key after a hidden key grew the key buffer', async () => {
    // The deleted long key is decoded (and copied) between the two visible short ones.
    const long = `b${'x'.repeat(100)}`;
    await db.put('a', '1');
    await db.put(long, '2');
    await db.delete(long);
    await db.put('c', '3');
    for (const reverse of [false, true]) {
      const out: string[] = [];
      const it = db.iterator({ reverse });
      it.read(10, collect(out));
      it.close();
      expect(out).toEqual(reverse ? ['c=3', 'a=1'] : ['a=1', 'c=3']);
    }
  });

  it('gives views that hold the entry during the visit, across flushes of the data', async () => {
    for (let i = 0; i < 300; i++) await db.put(`key${String(i).padStart(3, '0')}`, `value-${i}`.repeat(3));
    await db.flush();
    for (let i = 0; i < 300; i += 2) await db.put(`key${String(i).padStart(3, '0')}`, `new-${i}`);
    for (const reverse of [false, true]) {
      const out: string[] = [];
      const it = db.iterator({ reverse, gte: 'key100', lt: 'key110' });
      while (it.read(3, collect(out)) === 3) {
        // read on
      }
      it.close();
      const want = Array.from({ length: 10 }, (_, j) => {
        const i = 100 + j;
        return `key${i}=${i % 2 === 0 ? `new-${i}` : `value-${i}`.repeat(3)}`;
      });
      expect(out).toEqual(reverse ? want.reverse() : want);
    }
  });

  it('stops when the visitor closes the iterator', async () => {
    for (const k of ['a', 'b', 'c']) await db.put(k, k);
    const it = db.iterator();
    const out: string[] = [];
    const n = it.read(10, (k, v) => {
      out.push(`${text(k)}=${text(v)}`);
      it.close();
    });
    expect(n).toBe(1);
    expect(out).toEqual(['a=a']);
    expect(() => it.read(1, () => {})).toThrow(ClosedError);
  });

  it('refuses a visitor that moves the iterator, and stays usable afterwards', async () => {
    for (const k of ['a', 'b', 'c']) await db.put(k, k);
    const it = db.iterator();
    expect(() => it.read(2, () => it.next())).toThrow(/EngineIterator\.next: called from inside read/);
    expect(() => it.read(2, () => it.seek('a'))).toThrow(InvalidArgumentError);
    expect(() => it.read(2, () => it.read(1, () => {}))).toThrow(InvalidArgumentError);
    it.seek('c');
    const out: string[] = [];
    expect(it.read(5, collect(out))).toBe(1);
    expect(out).toEqual(['c=c']);
    it.close();
  });

  it('rejects a bad count or visitor with an error naming the API', () => {
    const it = db.iterator();
    for (const bad of [-1, 1.5, Number.NaN, '3']) {
      expect(() => it.read(bad as number, () => {})).toThrow(
        /EngineIterator\.read: count must be a non-negative integer/,
      );
    }
    expect(() => it.read(1, undefined as unknown as EntryVisitor)).toThrow(
      /EngineIterator\.read: visit must be a function/,
    );
    it.close();
  });

  it('reads nothing from an empty range and after the end, until a seek', async () => {
    await db.put('m', 'm');
    const empty = db.iterator({ gt: 'x' });
    expect(empty.read(5, () => {})).toBe(0);
    empty.close();
    const it = db.iterator();
    expect(it.read(5, () => {})).toBe(1);
    expect(it.read(5, () => {})).toBe(0);
    it.seek('a');
    expect(it.read(5, () => {})).toBe(1);
    it.close();
  });
});
