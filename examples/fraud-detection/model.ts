/**
 * The model: what a correct run must produce, computed from the generated events with plain
 * maps and no runtime. It shares only the rule predicates (rules.ts) with the functions; the
 * rest is written differently on purpose: where the functions pass messages whose arrival
 * order varies, the model works set by set (all purchases in stream order, then the
 * merchants' reports, then the exposures, then the accounts), which is correct because every
 * verified outcome depends only on one card's own event order or on counts.
 */
import { generateEvents } from './events.js';
import type { CardEvent } from './events.js';
import type { AlertRecord, ReportRecord } from './messages.js';
import { alertIds } from './messages.js';
import {
  COMPROMISE_THRESHOLD,
  FREEZE_THRESHOLD,
  RECENT_AMOUNTS,
  inVelocityWindow,
  isLargeAmount,
  isVelocityBurst,
} from './rules.js';
import { accountId, accountOfCard, cardId, cardsOfAccount, merchantId, worldOf } from './world.js';
import type { World } from './world.js';

/** What a correct run with given `events` and `seed` produces. */
export interface ExpectedOutcome {
  readonly world: World;
  readonly seed: number;
  readonly transactions: number;
  readonly confirmations: number;
  /** Every alert, by id. */
  readonly alerts: ReadonlyMap<string, AlertRecord>;
  /** Every challenge, as `card:seq`; each ends exactly once, confirmed or expired. */
  readonly challenges: ReadonlySet<string>;
  /** Challenges the stream holds a confirmation for: only these may end 'confirmed'. */
  readonly confirmable: ReadonlySet<string>;
  /** Every entity's report, by `type:id`. */
  readonly reports: ReadonlyMap<string, ReportRecord>;
}

interface CardModel {
  txs: number;
  confirms: number;
  sumCents: number;
  recent: number[];
  merchants: Set<string>;
  newAt: number[];
  lastVelocity: number;
  suspicious: number;
  velocity: number;
  challenges: number;
  exposures: number;
  frozen: boolean;
}

/** The key of a report in {@link ExpectedOutcome.reports}. */
export function reportKey(type: string, id: string): string {
  return `${type}:${id}`;
}

/**
 * Builds the expected outcome event by event (so a driver can spread the work over time and
 * stay responsive), then {@link ExpectedOutcomeBuilder.finish} works out the merchants and
 * accounts.
 */
export class ExpectedOutcomeBuilder {
  readonly #world: World;
  readonly #seed: number;
  readonly #cards = new Map<string, CardModel>();
  readonly #alerts = new Map<string, AlertRecord>();
  readonly #challenges = new Set<string>();
  readonly #confirmable = new Set<string>();
  readonly #accountAlerts = new Map<string, number>();
  /** merchant -> large-amount alerts naming it, and the cards that raised them. */
  readonly #reportsAt = new Map<string, { count: number; cards: Set<string> }>();
  #transactions = 0;
  #confirmations = 0;

  constructor(events: number, seed: number) {
    this.#world = worldOf(events);
    this.#seed = seed;
    for (let c = 0; c < this.#world.cards; c++) {
      this.#cards.set(cardId(c), {
        txs: 0,
        confirms: 0,
        sumCents: 0,
        recent: [],
        merchants: new Set(),
        newAt: [],
        lastVelocity: 0,
        suspicious: 0,
        velocity: 0,
        challenges: 0,
        exposures: 0,
        frozen: false,
      });
    }
  }

  #addAlert(alert: AlertRecord, account: string): void {
    this.#alerts.set(alert.id, alert);
    this.#accountAlerts.set(account, (this.#accountAlerts.get(account) ?? 0) + 1);
  }

  /** Takes the next event of the stream. */
  add(e: CardEvent): void {
    const card = this.#cards.get(e.card)!;
    if (e.kind === 'confirm') {
      this.#confirmations++;
      card.confirms++;
      this.#confirmable.add(`${e.card}:${e.ref}`);
      return;
    }
    this.#transactions++;
    const large = isLargeAmount(e.amountCents, card.recent, card.txs);
    card.recent.push(e.amountCents);
    if (card.recent.length > RECENT_AMOUNTS) card.recent.shift();
    card.txs++;
    card.sumCents += e.amountCents;
    const window = inVelocityWindow(card.newAt, card.txs);
    if (!card.merchants.has(e.merchant)) {
      card.merchants.add(e.merchant);
      window.push(card.txs);
      if (isVelocityBurst(card.txs, window, card.lastVelocity)) {
        card.velocity++;
        card.lastVelocity = card.txs;
        this.#addAlert(
          { id: alertIds.velocity(e.card, e.seq), kind: 'velocity', card: e.card, seq: e.seq },
          accountOfCard(e.card),
        );
      }
    }
    card.newAt = window;
    if (large) {
      card.suspicious++;
      card.challenges++;
      this.#challenges.add(`${e.card}:${e.seq}`);
      this.#addAlert(
        {
          id: alertIds.large(e.card, e.seq),
          kind: 'large-amount',
          card: e.card,
          seq: e.seq,
          merchant: e.merchant,
          amountCents: e.amountCents,
        },
        accountOfCard(e.card),
      );
      const at = this.#reportsAt.get(e.merchant) ?? { count: 0, cards: new Set<string>() };
      at.count++;
      at.cards.add(e.card);
      this.#reportsAt.set(e.merchant, at);
    }
  }

  /** The outcome, once every event was added. */
  finish(): ExpectedOutcome {
    const world = this.#world;
    const cards = this.#cards;
    const alerts = this.#alerts;
    const reports = new Map<string, ReportRecord>();
    for (let m = 0; m < world.merchants; m++) {
      const merchant = merchantId(m);
      const at = this.#reportsAt.get(merchant);
      const compromised = at !== undefined && at.count >= COMPROMISE_THRESHOLD;
      if (compromised) {
        alerts.set(alertIds.compromised(merchant), {
          id: alertIds.compromised(merchant),
          kind: 'merchant-compromised',
          merchant,
        });
        for (const c of at.cards) {
          cards.get(c)!.exposures++;
          this.#addAlert(
            { id: alertIds.exposed(c, merchant), kind: 'card-exposed', card: c, merchant },
            accountOfCard(c),
          );
        }
      }
      reports.set(reportKey('merchant', merchant), {
        type: 'merchant',
        id: merchant,
        suspicious: at?.count ?? 0,
        cards: at?.cards.size ?? 0,
        compromised,
        notified: compromised ? at.cards.size : 0,
      });
    }
    for (let a = 0; a < world.accounts; a++) {
      const account = accountId(a);
      const count = this.#accountAlerts.get(account) ?? 0;
      const frozen = count >= FREEZE_THRESHOLD;
      if (frozen) {
        alerts.set(alertIds.frozen(account), {
          id: alertIds.frozen(account),
          kind: 'account-frozen',
          account,
        });
        for (const c of cardsOfAccount(account)) cards.get(c)!.frozen = true;
      }
      reports.set(reportKey('account', account), { type: 'account', id: account, alerts: count, frozen });
    }
    for (const [id, c] of cards) {
      reports.set(reportKey('card', id), {
        type: 'card',
        id,
        txs: c.txs,
        confirms: c.confirms,
        sumCents: c.sumCents,
        merchants: c.merchants.size,
        suspicious: c.suspicious,
        velocity: c.velocity,
        alerts: c.suspicious + c.velocity + c.exposures,
        challenges: c.challenges,
        openChallenges: 0,
        exposures: c.exposures,
        frozen: c.frozen,
        duplicates: 0,
        gaps: 0,
      });
    }
    return {
      world,
      seed: this.#seed,
      transactions: this.#transactions,
      confirmations: this.#confirmations,
      alerts,
      challenges: this.#challenges,
      confirmable: this.#confirmable,
      reports,
    };
  }
}

/** Computes the expected outcome of the stream of `events` events for `seed`. */
export function computeExpected(events: number, seed: number): ExpectedOutcome {
  const builder = new ExpectedOutcomeBuilder(events, seed);
  for (const e of generateEvents(events, seed)) builder.add(e);
  return builder.finish();
}

/**
 * As {@link computeExpected}, but yields to the event loop every `chunk` events, so that a
 * process computing it keeps handling its timers and IPC.
 */
export async function computeExpectedGradually(
  events: number,
  seed: number,
  chunk = 10_000,
): Promise<ExpectedOutcome> {
  const builder = new ExpectedOutcomeBuilder(events, seed);
  let i = 0;
  for (const e of generateEvents(events, seed)) {
    builder.add(e);
    if (++i % chunk === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return builder.finish();
}
