/**
 * The mailbox against a plain array: any mix of pushes and shifts, with budgets from a few
 * bytes (every other item spills) to more than everything pushed (nothing spills), keeps
 * FIFO order, its length, and its memory under the budget; once drained or closed it leaves
 * no file behind. A damaged segment is a CorruptionError, never a wrong message.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptionError, MemoryFileSystem } from '../../../engine/index.js';
import { initHashing } from '../../../engine/util/checksum.js';
import type { MailItem } from '../../../runtime/shard/mailbox.js';
import { Mailbox, mailItemBytes } from '../../../runtime/shard/mailbox.js';

const DIR = '/spill';

const itemArbitrary: fc.Arbitrary<MailItem> = fc.oneof(
  fc.record({
    channel: fc.integer({ min: 0, max: 300 }),
    keyGroup: fc.integer({ min: 0, max: 32767 }),
    envelope: fc.record({
      target: fc.record({ typename: fc.constantFrom('a/b', 'ns/fn'), id: fc.string({ maxLength: 12 }) }),
      caller: fc.option(fc.record({ typename: fc.constant('x/y'), id: fc.string({ maxLength: 4 }) }), {
        nil: undefined,
      }),
      valueTypename: fc.constantFrom('io.statefun.types/int', 'my/type'),
      value: fc.uint8Array({ maxLength: 300 }),
    }),
  }),
  fc.record({ channel: fc.integer({ min: 0, max: 300 }), barrier: fc.integer({ min: 1, max: 1e9 }) }),
);

type Op = { push: MailItem } | { shift: true };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: itemArbitrary.map((push) => ({ push })) },
  { weight: 1, arbitrary: fc.constant({ shift: true as const }) },
);

function files(fs: MemoryFileSystem): string[] {
  return fs.exists(DIR) ? fs.list(DIR) : [];
}

/** A mailbox on a fresh file system with `items` pushed. */
function filled(budget: number, items: MailItem[]): { fs: MemoryFileSystem; box: Mailbox } {
  const fs = new MemoryFileSystem();
  const box = new Mailbox(fs, DIR, 'shard-0', budget);
  for (const item of items) box.push(item);
  return { fs, box };
}

const message = (n: number): MailItem => ({
  channel: 1,
  keyGroup: n,
  envelope: {
    target: { typename: 'a/b', id: `id${n}` },
    caller: undefined,
    valueTypename: 't/v',
    value: new Uint8Array(40),
  },
});

/** A mailbox that spilled 100 messages, its first segment changed by `damage`; that segment's name. */
function spilledWithDamage(damage: (bytes: Uint8Array) => void): { box: Mailbox; name: string } {
  const { fs, box } = filled(
    1024,
    Array.from({ length: 100 }, (_, n) => message(n)),
  );
  const name = files(fs)[0]!;
  const bytes = fs.readFile(`${DIR}/${name}`);
  damage(bytes);
  const file = fs.openWritable(`${DIR}/${name}`, 'create');
  file.append(bytes);
  file.close();
  return { box, name };
}

beforeAll(() => initHashing());

describe('Mailbox', () => {
  it('is a FIFO queue whose memory stays under its budget, spilled or not', () => {
    fc.assert(
      fc.property(
        // Mostly budgets smaller than what is queued (a few items to many in memory).
        fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 40_000 })),
        fc.array(opArbitrary, { maxLength: 400, size: 'max' }),
        (budget, ops) => {
          const fs = new MemoryFileSystem();
          const box = new Mailbox(fs, DIR, 'shard-0', budget);
          const model: MailItem[] = [];
          let largest = 0;
          const check = (): void => {
            expect(box.length).toBe(model.length);
            // Nothing spilled: everything is in memory, and counted exactly.
            if (box.spilledItems === 0) {
              expect(box.memoryBytes).toBe(model.reduce((n, item) => n + mailItemBytes(item), 0));
            }
            // Front, back, and back: each ends with at most one item past its share (a segment read back is a former back).
            expect(box.memoryBytes).toBeLessThanOrEqual(budget + 2 * largest);
            expect(box.spilledItems).toBeLessThanOrEqual(model.length);
          };
          for (const op of ops) {
            if ('push' in op) {
              largest = Math.max(largest, mailItemBytes(op.push));
              box.push(op.push);
              model.push(op.push);
            } else {
              expect(box.shift()).toEqual(model.shift());
            }
            check();
          }
          while (model.length > 0) {
            expect(box.shift()).toEqual(model.shift());
            check();
          }
          expect(box.shift()).toBeUndefined();
          expect(box.memoryBytes).toBe(0);
          expect(files(fs)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('spills past its budget and keeps only about the budget in memory', () => {
    const items = Array.from({ length: 1000 }, (_, n) => message(n));
    const { fs, box } = filled(4096, items);
    expect(box.spilledTotal).toBeGreaterThan(900);
    expect(box.memoryBytes).toBeLessThanOrEqual(4096);
    expect(files(fs).length).toBeGreaterThan(10);
    const out: MailItem[] = [];
    for (let item = box.shift(); item !== undefined; item = box.shift()) out.push(item);
    expect(out).toEqual(items);
    expect(files(fs)).toEqual([]);
  });

  it('close removes the spilled segments', () => {
    const { fs, box } = filled(
      1024,
      Array.from({ length: 100 }, (_, n) => message(n)),
    );
    expect(files(fs).length).toBeGreaterThan(0);
    box.close();
    expect(files(fs)).toEqual([]);
    expect(box.length).toBe(0);
  });

  it('a flipped byte in a segment is a CorruptionError naming the file', () => {
    const { box, name } = spilledWithDamage((bytes) => (bytes[40]! ^= 0x10));
    let error: unknown;
    try {
      for (let n = 0; n < 100; n++) box.shift();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CorruptionError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain('checksum');
  });

  it('a segment of another format version is a CorruptionError that says so', () => {
    const { box } = spilledWithDamage((bytes) => (bytes[7] = 9));
    expect(() => {
      for (let n = 0; n < 100; n++) box.shift();
    }).toThrow(/format version 9/);
  });
});
