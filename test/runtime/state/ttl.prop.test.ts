/**
 * State TTL against a model: random appends, sets, deletes, clears and reads of lists and
 * maps with expireAfterWrite and expireAfterCall, on a few addresses, with the clock moved
 * forward and the state engine compacted at random points. Compactions remove expired
 * lists and maps through the runtime (the filter reports their headers), which a function
 * must never notice: every read equals the model's, which knows nothing of compactions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateFun, egressMessageBuilder } from '../../../runtime/index.js';
import type { PersistedList, PersistedTable } from '../../../runtime/index.js';
import { soakMs, soakRuns } from '../../support/soak.js';
import { OUT, TestRuntime, turns } from '../runtime-harness.js';

const FN = 'test/ttl-model';
const TTL = 100;
const IDS = ['a', 'b', 'c', 'd'];
const LISTS = ['lw', 'lc'];
const MAPS = ['mw', 'mc'];
/** Specs whose TTL every call of their address renews. */
const AFTER_CALL = new Set(['lc', 'mc']);

type Invocation =
  | { op: 'append'; id: string; name: string; v: string }
  | { op: 'set'; id: string; name: string; k: string; v: number }
  | { op: 'delete'; id: string; name: string; k: string }
  | { op: 'clear'; id: string; name: string }
  | { op: 'read'; id: string };
type Command = Invocation | { op: 'advance'; ms: number } | { op: 'compact' };

const id = fc.constantFrom(...IDS);
const list = fc.constantFrom(...LISTS);
const map = fc.constantFrom(...MAPS);
const entryKey = fc.constantFrom('x', 'y', 'z');
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('append'), id, name: list, v: fc.constantFrom('p', 'q') }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set'), id, name: map, k: entryKey, v: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete'), id, name: map, k: entryKey }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('clear'), id, name: fc.constantFrom(...LISTS, ...MAPS) }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('read'), id }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('advance'), ms: fc.integer({ min: 1, max: 250 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'compact' as const }) },
);

function app(): StateFun {
  const statefun = new StateFun();
  const str = StateFun.stringType();
  const int = StateFun.intType();
  statefun.bind({
    typename: FN,
    specs: [
      { name: 'lw', type: str, kind: 'list', expireAfterWrite: TTL },
      { name: 'lc', type: str, kind: 'list', expireAfterCall: TTL },
      { name: 'mw', type: int, kind: 'map', expireAfterWrite: TTL },
      { name: 'mc', type: int, kind: 'map', expireAfterCall: TTL },
    ],
    fn(context, message) {
      const cmd = JSON.parse(message.asString()) as Invocation;
      const lists = (n: string): PersistedList<string> => context.storage[n] as PersistedList<string>;
      const maps = (n: string): PersistedTable<number> => context.storage[n] as PersistedTable<number>;
      if (cmd.op === 'append') lists(cmd.name).append(cmd.v);
      else if (cmd.op === 'set') maps(cmd.name).set(cmd.k, cmd.v);
      else if (cmd.op === 'delete') maps(cmd.name).delete(cmd.k);
      else if (cmd.op === 'clear') (context.storage[cmd.name] as { clear(): void }).clear();
      else {
        const read = [...LISTS.map((n) => lists(n).values()), ...MAPS.map((n) => maps(n).entries())];
        context.send(
          egressMessageBuilder({
            typename: OUT,
            value: `${cmd.id} ${JSON.stringify(read)}`,
            valueType: StateFun.stringType(),
          }),
        );
      }
    },
  });
  return statefun;
}

/** One list or map of the model: its elements or entries and when it expires. */
interface Held {
  items: string[] | Map<string, number>;
  expiresAt: number;
}

/** What the TTL rules say each read returns; knows nothing of compactions. */
class Model {
  readonly #held = new Map<string, Held>();
  readonly reads: string[] = [];

  invoke(cmd: Invocation, now: number): void {
    const slot = (name: string): string => `${cmd.id}/${name}`;
    // Whatever expired by the invocation's time is gone for good.
    for (const name of [...LISTS, ...MAPS]) {
      const held = this.#held.get(slot(name));
      if (held !== undefined && held.expiresAt <= now) this.#held.delete(slot(name));
    }
    if (cmd.op === 'append') {
      const held = this.#held.get(slot(cmd.name)) ?? { items: [], expiresAt: 0 };
      (held.items as string[]).push(cmd.v);
      held.expiresAt = now + TTL;
      this.#held.set(slot(cmd.name), held);
    } else if (cmd.op === 'set') {
      const held = this.#held.get(slot(cmd.name)) ?? { items: new Map(), expiresAt: 0 };
      (held.items as Map<string, number>).set(cmd.k, cmd.v);
      held.expiresAt = now + TTL;
      this.#held.set(slot(cmd.name), held);
    } else if (cmd.op === 'delete') {
      const held = this.#held.get(slot(cmd.name));
      if (held !== undefined) {
        (held.items as Map<string, number>).delete(cmd.k);
        held.expiresAt = now + TTL;
      }
    } else if (cmd.op === 'clear') {
      this.#held.delete(slot(cmd.name));
    } else {
      const lists = LISTS.map((n) => (this.#held.get(slot(n))?.items as string[] | undefined) ?? []);
      const maps = MAPS.map((n) => {
        const items = this.#held.get(slot(n))?.items as Map<string, number> | undefined;
        return [...(items ?? new Map<string, number>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      });
      this.reads.push(`${cmd.id} ${JSON.stringify([...lists, ...maps])}`);
    }
    // Every call renews the expireAfterCall states that exist.
    for (const name of AFTER_CALL) {
      const held = this.#held.get(slot(name));
      if (held !== undefined) held.expiresAt = now + TTL;
    }
  }
}

describe('state TTL against a model, with compactions', () => {
  it(
    'every read of a list or map equals the model, whatever the compactions removed',
    async () => {
      let removed = 0;
      await fc.assert(
        // Long runs: a list or map must go uncalled for a TTL, then meet a compaction.
        fc.asyncProperty(
          fc.array(command, { minLength: 1, maxLength: 60, size: 'max' }),
          async (commands) => {
            const h = await TestRuntime.start(app());
            const model = new Model();
            try {
              for (const cmd of commands) {
                if (cmd.op === 'advance') await h.advance(cmd.ms);
                else if (cmd.op === 'compact') {
                  await h.settle();
                  await h.rt.compactState();
                  await turns();
                } else {
                  model.invoke(cmd, h.clock.now());
                  await h.send(FN, cmd.id, JSON.stringify(cmd));
                }
              }
              const out = await h.output();
              for (const who of IDS) {
                expect(out.filter((r) => r.startsWith(`${who} `))).toEqual(
                  model.reads.filter((r) => r.startsWith(`${who} `)),
                );
              }
              removed += h.rt.stats().expiredCollectionsRemoved;
            } finally {
              await h.stop();
            }
          },
        ),
        { numRuns: soakRuns(40) },
      );
      // The compactions did remove expired lists and maps, or the property tested nothing.
      expect(removed).toBeGreaterThan(10);
    },
    soakMs(120_000),
  );
});
