/**
 * TimerService against a model: with a memory budget far below the number of pending
 * timers, delayed messages still fire in (fire time, number) order, each exactly once,
 * cancellations cancel exactly what their token names, a reload from the store (a restart)
 * loses nothing, and the timers in memory stay within the budget.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, MemoryFileSystem } from '../../../engine/index.js';
import type { Envelope } from '../../../runtime/envelope.js';
import { StateStore } from '../../../runtime/state/state-store.js';
import { TimerService } from '../../../runtime/timers/timer-service.js';

const KEY_GROUPS = [3, 4, 5];

const step = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      group: fc.nat(KEY_GROUPS.length - 1),
      delay: fc.nat(300),
      token: fc.option(fc.nat(3), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('cancel' as const),
      group: fc.nat(KEY_GROUPS.length - 1),
      token: fc.nat(3),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), by: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'submit' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'settle' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reload' as const }) },
);

interface ModelTimer {
  at: number;
  number: number;
  group: number;
}

const sender = (group: number): Envelope['target'] => ({ typename: 'test/sender', id: `s${group}` });

function envelopeOf(number: number): Envelope {
  return {
    target: { typename: 'test/target', id: String(number) },
    caller: undefined,
    valueTypename: 'test/none',
    value: new Uint8Array(0),
  };
}

function byTimeThenNumber(a: ModelTimer, b: ModelTimer): number {
  return a.at - b.at || a.number - b.number;
}

describe('TimerService', () => {
  it('fires every pending timer once, in order, whatever its memory budget', async () => {
    const seen = { refills: 0, maxPending: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 150, size: 'max' }),
        fc.constantFrom(1, 2, 5, 1000),
        async (script, budget) => {
          const db = await Engine.open('/db', { fileSystem: new MemoryFileSystem() });
          const store = new StateStore(db, 1 << 20, (err) => {
            throw err;
          });
          let timers = new TimerService(store, budget);
          timers.load(KEY_GROUPS);
          const pending = new Map<number, ModelTimer>();
          /** Per group and token: the number of the pending timer the token names. */
          const tokens = new Map<string, number>();
          let now = 1000;
          let nextNumber = 0;
          const fire = (): void => {
            const due = [...pending.values()].filter((t) => t.at <= now).sort(byTimeThenNumber);
            for (const expected of due) {
              const got = timers.popDue(now);
              expect(got?.envelope.target.id).toBe(String(expected.number));
              expect(got?.sender).toEqual(sender(expected.group));
              pending.delete(expected.number);
              for (const [k, n] of tokens) if (n === expected.number) tokens.delete(k);
            }
            expect(timers.popDue(now)).toBeUndefined();
            const next = [...pending.values()].sort(byTimeThenNumber)[0];
            expect(timers.nextFireAt()).toBe(next?.at);
          };
          try {
            for (const s of script) {
              switch (s.op) {
                case 'add': {
                  const number = nextNumber++;
                  const kg = KEY_GROUPS[s.group]!;
                  const token = s.token === undefined ? undefined : `t${s.token}`;
                  timers.add(kg, sender(s.group), envelopeOf(number), now + s.delay, number, token);
                  pending.set(number, { at: now + s.delay, number, group: s.group });
                  if (token !== undefined) tokens.set(`${s.group}/${token}`, number);
                  seen.maxPending = Math.max(seen.maxPending, pending.size);
                  break;
                }
                case 'cancel': {
                  const named = tokens.get(`${s.group}/t${s.token}`);
                  const cancelled = timers.cancel(KEY_GROUPS[s.group]!, sender(s.group), `t${s.token}`);
                  expect(cancelled).toBe(named !== undefined);
                  if (named !== undefined) {
                    pending.delete(named);
                    tokens.delete(`${s.group}/t${s.token}`);
                  }
                  break;
                }
                case 'advance':
                  now += s.by;
                  fire();
                  break;
                case 'submit':
                  store.submit();
                  break;
                case 'settle':
                  store.submit();
                  await store.settled();
                  break;
                case 'reload':
                  timers = new TimerService(store, budget);
                  timers.load(KEY_GROUPS);
                  if (pending.size > 2 * budget) seen.refills++;
                  break;
              }
              expect(timers.size).toBeLessThanOrEqual(2 * budget);
            }
            now += 1000;
            fire();
            expect(pending.size).toBe(0);
          } finally {
            await db.close();
          }
        },
      ),
      { numRuns: 150 },
    );
    // The property means little unless the budget was far below what was pending.
    expect(seen.maxPending).toBeGreaterThan(20);
    expect(seen.refills).toBeGreaterThan(0);
  });
});
