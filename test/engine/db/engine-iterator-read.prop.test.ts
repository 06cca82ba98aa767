/**
 * Model-based test of EngineIterator.read, the zero-copy batched read: any mix of read(n),
 * next() and seek() on one iterator, in either direction, within bounds, with a limit, at a
 * snapshot or not, while writes, flushes and compactions happen between the calls, yields
 * exactly what the model's range yields at the iterator's (or the snapshot's) moment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import { EngineModel, text, TINY_ENGINE } from '../../support/engine-model.js';
import { soakMs, soakRuns } from '../../support/soak.js';

// Every seventh key is longer than the iterator's initial key buffer (64 bytes), so reads
// cover the buffer growing and key views of changing lengths.
const keyArb = fc
  .integer({ min: 0, max: 40 })
  .map((i) => `k${String(i).padStart(3, '0')}${i % 7 === 0 ? 'x'.repeat(70 + i) : ''}`);
const valueArb = fc.uint8Array({ maxLength: 200, size: 'max' }).map((b) => Buffer.from(b).toString('base64'));

type Write =
  { op: 'put'; k: string; v: string } | { op: 'delete'; k: string } | { op: 'flush' } | { op: 'compact' };

const writeArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('put' as const), k: keyArb, v: valueArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), k: keyArb }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'compact' as const }) },
);

type Step =
  { op: 'read'; n: number } | { op: 'next' } | { op: 'seek'; k: string } | { op: 'write'; w: Write };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('read' as const), n: fc.integer({ min: 0, max: 40 }) }),
  },
  { weight: 2, arbitrary: fc.constant({ op: 'next' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('seek' as const), k: keyArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('write' as const), w: writeArb }) },
);

const optionsArb = fc
  .record(
    {
      gt: keyArb,
      gte: keyArb,
      lt: keyArb,
      lte: keyArb,
      reverse: fc.boolean(),
      limit: fc.integer({ min: -1, max: 60 }),
    },
    { requiredKeys: [] },
  )
  .map((o) => {
    // At most one bound of each side, as the API requires.
    const { gt, gte, lt, lte, ...rest } = o;
    return {
      ...rest,
      ...(gt !== undefined ? { gt } : gte !== undefined ? { gte } : {}),
      ...(lt !== undefined ? { lt } : lte !== undefined ? { lte } : {}),
    };
  });

async function apply(db: Engine, model: EngineModel, w: Write): Promise<void> {
  if (w.op === 'put') {
    await db.put(w.k, w.v);
    model.put(w.k, w.v);
  } else if (w.op === 'delete') {
    await db.delete(w.k);
    model.delete(w.k);
  } else if (w.op === 'flush') {
    await db.flush();
  } else {
    await db.compactRange();
  }
}

describe('EngineIterator.read', () => {
  it(
    'yields the model range under any mix of read, next, seek, writes, flushes and compactions',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(writeArb, { maxLength: 150, size: 'max' }),
          optionsArb,
          fc.boolean(),
          fc.array(stepArb, { maxLength: 30, size: 'max' }),
          async (setup, options, atSnapshot, steps) => {
            const db = await Engine.open('/db', { ...TINY_ENGINE, fileSystem: new MemoryFileSystem() });
            try {
              const model = new EngineModel();
              for (const w of setup) await apply(db, model, w);
              const snapshot = atSnapshot ? db.snapshot() : undefined;
              const frozen = new Map(model.data);
              if (atSnapshot) await apply(db, model, { op: 'put', k: 'k000', v: 'after the snapshot' });
              const it = db.iterator({ ...options, snapshot });
              const reverse = options.reverse ?? false;
              const all = EngineModel.range(frozen, { ...options, limit: undefined });
              const limit = options.limit ?? -1;
              let expected = all;
              let emitted = 0;
              const take = (n: number): Array<[string, string]> => {
                const room = limit < 0 ? n : Math.min(n, limit - emitted);
                const out = expected.slice(0, room);
                expected = expected.slice(out.length);
                emitted += out.length;
                return out;
              };
              for (const s of steps) {
                if (s.op === 'read') {
                  const got: Array<[string, string]> = [];
                  const n = it.read(s.n, (k, v) => got.push([text(k)!, text(v)!]));
                  const want = take(s.n);
                  expect(got).toEqual(want);
                  expect(n).toBe(want.length);
                } else if (s.op === 'next') {
                  const r = it.next();
                  const want = take(1);
                  expect(r.done ? [] : [[text(r.value[0]), text(r.value[1])]]).toEqual(want);
                } else if (s.op === 'seek') {
                  it.seek(s.k);
                  expected = all.filter(([k]) => (reverse ? k <= s.k : k >= s.k));
                } else {
                  await apply(db, model, s.w);
                }
              }
              // Whatever is left, read to the end.
              const rest: Array<[string, string]> = [];
              while (it.read(7, (k, v) => rest.push([text(k)!, text(v)!])) === 7) {
                // keep reading
              }
              expect(rest).toEqual(take(Number.MAX_SAFE_INTEGER));
              it.close();
              snapshot?.release();
            } finally {
              await db.close();
            }
          },
        ),
        { numRuns: soakRuns(150), interruptAfterTimeLimit: soakMs(60_000), markInterruptAsFailure: true },
      );
    },
    soakMs(120_000),
  );
});
