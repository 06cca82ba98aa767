import { describe, expect, it } from 'vitest';
import { generateEvents } from '../../../examples/fraud-detection/events.js';
import type { CardEvent } from '../../../examples/fraud-detection/events.js';
import { computeExpected } from '../../../examples/fraud-detection/model.js';
import { worldOf } from '../../../examples/fraud-detection/world.js';

function all(events: number, seed: number): CardEvent[] {
  return [...generateEvents(events, seed)];
}

describe('the demo event stream', () => {
  it('is the same for the same events and seed, and differs for another seed', () => {
    const a = all(20_000, 7);
    expect(all(20_000, 7)).toEqual(a);
    expect(all(20_000, 8)).not.toEqual(a);
  });

  it('has exactly the requested number of events, indexed from 0', () => {
    const events = all(5_000, 1);
    expect(events).toHaveLength(5_000);
    expect(events.every((e, i) => e.index === i)).toBe(true);
  });

  it("numbers each card's events densely from 0, and a confirmation follows the transaction it confirms", () => {
    const next = new Map<string, number>();
    const txSeqs = new Map<string, Set<number>>();
    const world = worldOf(30_000);
    for (const e of generateEvents(30_000, 3)) {
      expect(e.seq).toBe(next.get(e.card) ?? 0);
      next.set(e.card, e.seq + 1);
      expect(Number(e.card.slice(1))).toBeLessThan(world.cards);
      if (e.kind === 'tx') {
        expect(Number(e.merchant.slice(1))).toBeLessThan(world.merchants);
        expect(e.amountCents).toBeGreaterThan(0);
        const seqs = txSeqs.get(e.card) ?? new Set<number>();
        seqs.add(e.seq);
        txSeqs.set(e.card, seqs);
      } else {
        expect(txSeqs.get(e.card)?.has(e.ref)).toBe(true);
      }
    }
  });

  it('exercises every rule: the model expects alerts of every kind and both ways a challenge can end', () => {
    const model = computeExpected(100_000, 42);
    const kinds = new Set([...model.alerts.values()].map((a) => a.kind));
    expect([...kinds].sort()).toEqual(
      ['account-frozen', 'card-exposed', 'large-amount', 'merchant-compromised', 'velocity'].sort(),
    );
    const confirmable = [...model.challenges].filter((c) => model.confirmable.has(c)).length;
    expect(confirmable).toBeGreaterThan(0);
    expect(confirmable).toBeLessThan(model.challenges.size);
    expect(model.transactions + model.confirmations).toBe(100_000);
  });

  it('gives the same model outcome for the same seed', () => {
    const a = computeExpected(10_000, 5);
    const b = computeExpected(10_000, 5);
    expect([...b.alerts]).toEqual([...a.alerts]);
    expect([...b.reports]).toEqual([...a.reports]);
    expect([...b.challenges]).toEqual([...a.challenges]);
  });
});
