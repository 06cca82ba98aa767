import { describe, expect, it } from 'vitest';
import type {
  AlertRecord,
  ChallengeRecord,
  ReportRecord,
} from '../../../examples/fraud-detection/messages.js';
import { computeExpected } from '../../../examples/fraud-detection/model.js';
import type { ExpectedOutcome } from '../../../examples/fraud-detection/model.js';
import { verifyRun } from '../../../examples/fraud-detection/verify.js';
import type { ObservedOutput } from '../../../examples/fraud-detection/verify.js';

const MODEL = computeExpected(20_000, 11);

/** What a correct run commits: the model's records, in some order, at dense offsets. */
function perfectRun(model: ExpectedOutcome): ObservedOutput {
  const at = <T>(values: T[]) => values.map((value, offset) => ({ offset, value }));
  return {
    alerts: at([...model.alerts.values()].reverse()),
    challenges: at(
      [...model.challenges].map((key) => {
        const [card, seq] = key.split(':') as [string, string];
        const outcome: 'confirmed' | 'expired' = model.confirmable.has(key) ? 'confirmed' : 'expired';
        return { card, seq: Number(seq), outcome };
      }),
    ),
    reports: at([...model.reports.values()]),
  };
}

/** Records that a test may change. */
interface Editable {
  alerts: { offset: number; value: AlertRecord }[];
  challenges: { offset: number; value: ChallengeRecord }[];
  reports: { offset: number; value: ReportRecord }[];
}

/** A deep copy of `run` with `change` applied. */
function tampered(run: ObservedOutput, change: (r: Editable) => void): ObservedOutput {
  const copy = structuredClone(run) as Editable;
  change(copy);
  return copy;
}

/** The first card report (with transactions), for tests that change one. */
function someCard(r: Editable): Extract<ReportRecord, { type: 'card' }> {
  for (const { value } of r.reports) if (value.type === 'card' && value.txs > 0) return value;
  throw new Error('no card report');
}

function failed(run: ObservedOutput): string[] {
  return verifyRun(MODEL, run)
    .checks.filter((c) => !c.passed)
    .map((c) => `${c.name}: ${c.detail}`);
}

function renumber(list: { offset: number }[]): void {
  list.forEach((r, i) => (r.offset = i));
}

describe('the demo verification', () => {
  it('passes for a run that committed exactly what the model expects, in any order', () => {
    const v = verifyRun(MODEL, perfectRun(MODEL));
    expect(v.checks.filter((c) => !c.passed)).toEqual([]);
    expect(v.passed).toBe(true);
    expect(v.confirmed + v.expired).toBe(MODEL.challenges.size);
  });

  it('passes whichever way each challenge ended, confirmed (when confirmable) or expired', () => {
    const run = tampered(perfectRun(MODEL), (r) => {
      for (const c of r.challenges) c.value.outcome = 'expired';
    });
    expect(failed(run)).toEqual([]);
  });

  it('fails when an alert is missing', () => {
    const run = tampered(perfectRun(MODEL), (r) => {
      r.alerts.pop();
    });
    expect(failed(run)).toEqual([expect.stringMatching(/^each alert exactly once: missing alert/)]);
  });

  it('fails when an alert was committed twice', () => {
    const run = tampered(perfectRun(MODEL), (r) => {
      r.alerts.push({ ...r.alerts[0]!, offset: r.alerts.length });
    });
    expect(failed(run)).toEqual([expect.stringMatching(/^each alert exactly once: alert \S+ 2 times/)]);
  });

  it('fails when an alert nobody expects appears, or one has different fields', () => {
    const extra = tampered(perfectRun(MODEL), (r) => {
      r.alerts.push({
        offset: r.alerts.length,
        value: { id: 'frozen:a999999', kind: 'account-frozen', account: 'a999999' },
      });
    });
    expect(failed(extra)).toEqual([expect.stringMatching(/unexpected alert frozen:a999999/)]);
    const changed = tampered(perfectRun(MODEL), (r) => {
      const large = r.alerts.find((a) => a.value.kind === 'large-amount')!;
      large.value.amountCents = large.value.amountCents! + 1;
    });
    expect(failed(changed)).toEqual([expect.stringMatching(/^each alert exactly once: alert large:/)]);
  });

  it("fails when a card's count is off by one event (an event lost or processed twice)", () => {
    const run = tampered(perfectRun(MODEL), (r) => {
      someCard(r).txs += 1;
    });
    const found = failed(run);
    expect(found).toContainEqual(
      expect.stringMatching(/^events processed exactly once: the cards counted 20,001 events/),
    );
    expect(found).toContainEqual(
      expect.stringMatching(/^each entity reported once, with the expected state: card c\d+/),
    );
  });

  it('fails when a card saw a duplicate even if its totals are right', () => {
    const run = tampered(perfectRun(MODEL), (r) => {
      someCard(r).duplicates = 1;
    });
    expect(failed(run)).toContainEqual(
      expect.stringMatching(/^events processed exactly once: 1 events processed twice/),
    );
  });

  it('fails when a report is missing or doubled', () => {
    const missing = tampered(perfectRun(MODEL), (r) => {
      r.reports.splice(3, 1);
      renumber(r.reports);
    });
    expect(failed(missing)).toContainEqual(expect.stringMatching(/missing report/));
    const doubled = tampered(perfectRun(MODEL), (r) => {
      const merchant = r.reports.find((x) => x.value.type === 'merchant')!;
      r.reports.push({ offset: r.reports.length, value: merchant.value });
    });
    expect(failed(doubled)).toEqual([expect.stringMatching(/report merchant:m\d+ 2 times/)]);
  });

  it('fails when a challenge ended twice, or was confirmed without a confirmation in the stream', () => {
    const twice = tampered(perfectRun(MODEL), (r) => {
      r.challenges.push({
        offset: r.challenges.length,
        value: { ...r.challenges[0]!.value, outcome: 'expired' },
      });
    });
    expect(failed(twice)).toEqual([
      expect.stringMatching(/^each challenge ended exactly once: challenge \S+ 2 times/),
    ]);
    const unconfirmed = tampered(perfectRun(MODEL), (r) => {
      r.challenges.find((x) => x.value.outcome === 'expired')!.value.outcome = 'confirmed';
    });
    expect(failed(unconfirmed)).toEqual([
      expect.stringMatching(/confirmed, but the stream never confirms it/),
    ]);
  });

  it('fails when egress offsets have a hole', () => {
    const run = tampered(perfectRun(MODEL), (r) => {
      r.challenges[1]!.offset = 5;
    });
    expect(failed(run)).toEqual([
      expect.stringMatching(/^egress offsets are dense from 0: fraud\/challenges: record 1 has offset 5/),
    ]);
  });
});
