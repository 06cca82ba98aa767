/**
 * The verification: compares what a run committed to its egresses with the model's
 * expected outcome (model.ts). It passes only if
 * - each egress's offsets are dense from 0 (nothing committed twice or skipped);
 * - every event was processed exactly once: the cards' reports count every event of the
 *   stream, each card saw its own events in order with no duplicate and no gap, and its
 *   totals equal the model's;
 * - every card, merchant and account reported exactly once, with the model's state;
 * - every alert the model expects is in fraud/alerts exactly once, and no other;
 * - every challenge ended exactly once (fraud/challenges), and only a challenge the
 *   cardholder confirmed in the stream ended 'confirmed'.
 * How many challenges were confirmed or expired depends on timing; it is reported, not
 * verified.
 */
import type { AlertRecord, ChallengeRecord, ReportRecord } from './messages.js';
import type { ExpectedOutcome } from './model.js';
import { reportKey } from './model.js';

/** A committed egress record as the verification reads it. */
export interface ObservedRecord<T> {
  readonly offset: number;
  readonly value: T;
}

/** What a run committed to its three egresses, each in offset order. */
export interface ObservedOutput {
  readonly alerts: readonly ObservedRecord<AlertRecord>[];
  readonly challenges: readonly ObservedRecord<ChallengeRecord>[];
  readonly reports: readonly ObservedRecord<ReportRecord>[];
}

/** One verified property. */
export interface Check {
  readonly name: string;
  readonly passed: boolean;
  /** What was found: counts when it passed, the first differences when it failed. */
  readonly detail: string;
}

/** The verification's result. */
export interface Verification {
  /** True only if every check passed. */
  readonly passed: boolean;
  readonly checks: readonly Check[];
  /** Challenges that ended confirmed and expired (timing-dependent, not verified). */
  readonly confirmed: number;
  readonly expired: number;
}

const SHOWN = 3;

function n(x: number): string {
  return x.toLocaleString('en-US');
}

/** Problems, as a detail: how many, and the first few. */
function problems(list: string[]): string {
  const shown = list.slice(0, SHOWN).join('; ');
  return list.length > SHOWN ? `${shown}; and ${n(list.length - SHOWN)} more` : shown;
}

/** Same keys with the same primitive values (key order does not matter). */
function sameRecord(a: object, b: object): boolean {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (ra[k] !== rb[k]) return false;
  return true;
}

function denseOffsets(name: string, records: readonly ObservedRecord<unknown>[], out: string[]): void {
  for (let i = 0; i < records.length; i++) {
    if (records[i]!.offset !== i) {
      out.push(`${name}: record ${i} has offset ${records[i]!.offset}`);
      return;
    }
  }
}

/**
 * Counts each key of `observed` against the expected keys; returns the problems: keys seen
 * twice, expected keys missing, keys not expected.
 */
function exactlyOnce(what: string, expected: Iterable<string>, observed: readonly string[]): string[] {
  const seen = new Map<string, number>();
  for (const k of observed) seen.set(k, (seen.get(k) ?? 0) + 1);
  const out: string[] = [];
  const want = new Set(expected);
  for (const [k, count] of seen) {
    if (count > 1) out.push(`${what} ${k} ${count} times`);
    if (!want.has(k)) out.push(`unexpected ${what} ${k}`);
  }
  for (const k of want) if (!seen.has(k)) out.push(`missing ${what} ${k}`);
  return out;
}

function check(name: string, found: string[], passDetail: string): Check {
  return { name, passed: found.length === 0, detail: found.length === 0 ? passDetail : problems(found) };
}

/** Verifies `observed` against `expected`. */
export function verifyRun(expected: ExpectedOutcome, observed: ObservedOutput): Verification {
  const checks: Check[] = [];
  const events = expected.world.events;

  const offsets: string[] = [];
  denseOffsets('fraud/alerts', observed.alerts, offsets);
  denseOffsets('fraud/challenges', observed.challenges, offsets);
  denseOffsets('fraud/reports', observed.reports, offsets);
  checks.push(check('egress offsets are dense from 0', offsets, 'alerts, challenges and reports'));

  // Every event: counted once by its card, in order.
  const counted: string[] = [];
  let processed = 0;
  let duplicates = 0;
  let gaps = 0;
  for (const { value: r } of observed.reports) {
    if (r.type !== 'card') continue;
    processed += r.txs + r.confirms;
    duplicates += r.duplicates;
    gaps += r.gaps;
    const want = expected.reports.get(reportKey('card', r.id));
    if (
      want?.type === 'card' &&
      (want.txs !== r.txs || want.confirms !== r.confirms || want.sumCents !== r.sumCents)
    ) {
      counted.push(
        `card ${r.id} counted ${r.txs}+${r.confirms} events, ${r.sumCents} cents; expected ${want.txs}+${want.confirms}, ${want.sumCents}`,
      );
    }
  }
  if (processed !== events)
    counted.unshift(`the cards counted ${n(processed)} events, the stream has ${n(events)}`);
  if (duplicates > 0) counted.unshift(`${n(duplicates)} events processed twice`);
  if (gaps > 0) counted.unshift(`${n(gaps)} gaps in the cards' event sequences`);
  checks.push(
    check(
      'events processed exactly once',
      counted,
      `${n(processed)} of ${n(events)} events, 0 duplicates, 0 gaps`,
    ),
  );

  const reportProblems = exactlyOnce(
    'report',
    expected.reports.keys(),
    observed.reports.map((r) => reportKey(r.value.type, r.value.id)),
  );
  for (const { value: r } of observed.reports) {
    const want = expected.reports.get(reportKey(r.type, r.id));
    if (want !== undefined && !sameRecord(want, r)) {
      reportProblems.push(`${r.type} ${r.id}: got ${JSON.stringify(r)}, expected ${JSON.stringify(want)}`);
    }
  }
  checks.push(
    check(
      'each entity reported once, with the expected state',
      reportProblems,
      `${n(observed.reports.length)} reports (cards, merchants, accounts)`,
    ),
  );

  const alertProblems = exactlyOnce(
    'alert',
    expected.alerts.keys(),
    observed.alerts.map((r) => r.value.id),
  );
  for (const { value: a } of observed.alerts) {
    const want = expected.alerts.get(a.id);
    if (want !== undefined && !sameRecord(want, a)) {
      alertProblems.push(`alert ${a.id}: got ${JSON.stringify(a)}, expected ${JSON.stringify(want)}`);
    }
  }
  checks.push(check('each alert exactly once', alertProblems, `${n(observed.alerts.length)} alerts`));

  let confirmed = 0;
  let expired = 0;
  const challengeProblems = exactlyOnce(
    'challenge',
    expected.challenges,
    observed.challenges.map((r) => `${r.value.card}:${r.value.seq}`),
  );
  for (const { value: c } of observed.challenges) {
    if (c.outcome === 'confirmed') {
      confirmed++;
      if (!expected.confirmable.has(`${c.card}:${c.seq}`)) {
        challengeProblems.push(`challenge ${c.card}:${c.seq} confirmed, but the stream never confirms it`);
      }
    } else if (c.outcome === 'expired') {
      expired++;
    } else {
      challengeProblems.push(`challenge ${c.card}:${c.seq} has outcome ${JSON.stringify(c.outcome)}`);
    }
  }
  checks.push(
    check(
      'each challenge ended exactly once',
      challengeProblems,
      `${n(observed.challenges.length)} challenges: ${n(confirmed)} confirmed, ${n(expired)} expired`,
    ),
  );

  return { passed: checks.every((c) => c.passed), checks, confirmed, expired };
}
