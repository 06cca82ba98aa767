/**
 * EgressLog: reads return exactly the records published, from any offset, whether they are
 * served from the latest publish kept in memory or from the engine.
 */
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import type { EgressRecordData } from '../../../runtime/checkpoint/runtime-checkpoint.js';
import { EgressLog } from '../../../runtime/egress/egress-log.js';

const X = 'test/x';
const Y = 'test/y';

function records(typename: string, from: number, to: number, tag = ''): EgressRecordData[] {
  const out: EgressRecordData[] = [];
  for (let offset = from; offset < to; offset++) {
    out.push({
      typename,
      offset,
      valueTypename: 'test/v',
      value: `${tag}${offset}`,
    });
  }
  return out;
}

/** What a read from `from` returns, as `offset=value` strings. */
function read(log: EgressLog, typename: string, from: number): string[] {
  return [...log.read(typename, from)].map((r) => `${r.offset}=${r.value}`);
}

function expected(from: number, to: number, tagOf: (offset: number) => string = () => ''): string[] {
  const out: string[] = [];
  for (let offset = from; offset < to; offset++) out.push(`${offset}=${tagOf(offset)}${offset}`);
  return out;
}

describe('EgressLog', () => {
  it('a read from any offset returns the records from there on, across publishes and a reopen', async () => {
    const fs = new MemoryFileSystem();
    let log = await EgressLog.open('/egress', { fileSystem: fs });
    // Typenames interleaved within a publish, as shards' records are.
    for (const [from, to] of [
      [0, 4],
      [4, 5],
      [5, 12],
    ] as const) {
      const xs = records(X, from, to);
      const ys = records(Y, from * 2, to * 2);
      await log.publish(
        xs.flatMap((x, i) => [x, ys[2 * i]!, ys[2 * i + 1]!]),
        true,
      );
    }
    for (let reopen = 0; reopen < 2; reopen++) {
      for (let from = 0; from <= 13; from++) {
        expect(read(log, X, from)).toEqual(expected(from, 12));
        expect(read(log, Y, 2 * from)).toEqual(expected(2 * from, 24));
      }
      await log.close();
      log = await EgressLog.open('/egress', { fileSystem: fs });
    }
    await log.close();
  });

  it('publishing records again that are not the end of the log (as recovery does) hides none after them', async () => {
    const fs = new MemoryFileSystem();
    let log = await EgressLog.open('/egress', { fileSystem: fs });
    await log.publish(records(X, 0, 10), true);
    await log.publish(records(X, 3, 6), true);
    expect(read(log, X, 0)).toEqual(expected(0, 10));
    expect(read(log, X, 4)).toEqual(expected(4, 10));
    // After a reopen, the first publish does not know where the log ends until it asks.
    await log.close();
    log = await EgressLog.open('/egress', { fileSystem: fs });
    await log.publish(records(X, 2, 5, 'new'), true);
    expect(read(log, X, 0)).toEqual(expected(0, 10, (o) => (o >= 2 && o < 5 ? 'new' : '')));
    expect(read(log, X, 3)).toEqual(expected(3, 10, (o) => (o < 5 ? 'new' : '')));
    await log.publish(records(X, 10, 12), true);
    expect(read(log, X, 9)).toEqual(expected(9, 12));
    await log.close();
  });

  it('a publish whose offsets are not consecutive is read back in offset order', async () => {
    const log = await EgressLog.open('/egress', { fileSystem: new MemoryFileSystem() });
    const [a, b, c, d] = records(X, 0, 4);
    await log.publish([a!, c!, b!, d!], true);
    for (let from = 0; from <= 4; from++) expect(read(log, X, from)).toEqual(expected(from, 4));
    await log.close();
  });

  it("trim deletes a typename's records below an offset for good: reads start at the floor, across a reopen and a publish of trimmed records again", async () => {
    const fs = new MemoryFileSystem();
    let log = await EgressLog.open('/egress', { fileSystem: fs });
    await log.publish([...records(X, 0, 10), ...records(Y, 0, 5)], true);
    expect(await log.trim(X, 4)).toBe(4);
    // Trimming below the floor changes nothing; past the published end trims up to it.
    expect(await log.trim(X, 2)).toBe(4);
    for (const from of [0, 3, 4, 7]) expect(read(log, X, from)).toEqual(expected(Math.max(from, 4), 10));
    expect(read(log, Y, 0)).toEqual(expected(0, 5));
    await log.close();
    log = await EgressLog.open('/egress', { fileSystem: fs });
    expect(log.floor(X)).toBe(4);
    expect(log.floor(Y)).toBe(0);
    // Recovery publishes its checkpoint's records again: the trimmed ones stay gone.
    await log.publish(records(X, 2, 12, 'again'), true);
    expect(read(log, X, 0)).toEqual(expected(4, 12, () => 'again'));
    expect(await log.trim(X, 100)).toBe(12);
    expect(read(log, X, 0)).toEqual([]);
    await log.publish(records(X, 12, 14), true);
    expect(read(log, X, 0)).toEqual(expected(12, 14));
    await log.close();
    // The records are deleted from the engine, not only hidden: only Y's and X's 12-13 remain.
    const db = await Engine.open('/egress', { fileSystem: fs, readOnly: true });
    try {
      const keys = [...db.iterator()].map(([k]) => Buffer.from(k).toString('latin1'));
      const recordKeys = keys.filter((k) => k.startsWith('r'));
      expect(recordKeys).toHaveLength(5 + 2);
      expect(recordKeys.filter((k) => k.includes(X))).toHaveLength(2);
    } finally {
      await db.close();
    }
  });
});
