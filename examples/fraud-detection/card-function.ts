/**
 * fraud/card: one instance per card. It judges each purchase against the card's own history
 * and, on a large amount, challenges the cardholder: the challenge expires after
 * CHALLENGE_TIMEOUT_MS (a delayed message to itself) unless the cardholder confirms the
 * purchase first (the confirmation cancels the delayed message).
 *
 * State:
 * - `profile` (value): counters, the next expected sequence number, the latest amounts (the
 *   average a large amount is judged against), the velocity window;
 * - `alerts` (list): the ids of the alerts the card raised, oldest first;
 * - `merchants` (map): merchant -> sequence number of the card's first purchase there, to
 *   tell a merchant new to the card;
 * - `challenges` (map): sequence number -> amount of each open challenge.
 *
 * The latest amounts were first a list state, read whole at every purchase: that is up to 16
 * engine reads per event and halved the demo's throughput, so they moved into `profile`.
 *
 * Messages out: large-amount alerts go to the merchant (fraud/merchant, which may send
 * `exposed` back: a cycle) and every alert to the account (fraud/account, which may send
 * `frozen` back: another cycle).
 */
import { StateFun, egressMessageBuilder } from '../../index.js';
import type { Context, FunctionOpts, PersistedList, PersistedTable } from '../../index.js';
import { raiseAlert, toAccount, toCard, toMerchant } from './emit.js';
import {
  CARD_FN,
  CARD_MESSAGE,
  CHALLENGES_EGRESS,
  CHALLENGE_RECORD,
  REPORTS_EGRESS,
  REPORT_RECORD,
  alertIds,
} from './messages.js';
import type { AlertRecord, CardMessage, ChallengeOutcome } from './messages.js';
import {
  CHALLENGE_TIMEOUT_MS,
  RECENT_AMOUNTS,
  inVelocityWindow,
  isLargeAmount,
  isVelocityBurst,
} from './rules.js';
import { accountOfCard } from './world.js';

/** A card's counters and small state, kept as one JSON value. */
interface CardProfile {
  /** The next sequence number expected from the ingress. */
  next: number;
  txs: number;
  confirms: number;
  sumCents: number;
  suspicious: number;
  velocity: number;
  challenges: number;
  exposures: number;
  frozen: boolean;
  duplicates: number;
  gaps: number;
  /** The last RECENT_AMOUNTS amounts, oldest first. */
  recent: number[];
  /** Ordinals of the transactions at new merchants still in the velocity window. */
  newAt: number[];
  /** Ordinal of the last velocity alert, 0 if none. */
  lastVelocity: number;
}

interface CardStorage {
  profile: CardProfile | null;
  alerts: PersistedList<string>;
  merchants: PersistedTable<number>;
  challenges: PersistedTable<number>;
}

const PROFILE = StateFun.jsonType<CardProfile>('fraud/card-profile');

function emptyProfile(): CardProfile {
  return {
    next: 0,
    txs: 0,
    confirms: 0,
    sumCents: 0,
    suspicious: 0,
    velocity: 0,
    challenges: 0,
    exposures: 0,
    frozen: false,
    duplicates: 0,
    gaps: 0,
    recent: [],
    newAt: [],
    lastVelocity: 0,
  };
}

/**
 * Accepts ingress event `seq` if it is the next one. A duplicate (an event processed twice)
 * or a gap (an event lost or reordered) can only come from a broken runtime, since the
 * ingress keeps order and the producer's idempotency keys filter its own repeats: both are
 * counted, and the verification requires both counts to be 0.
 */
function accept(p: CardProfile, seq: number): boolean {
  if (seq < p.next) {
    p.duplicates++;
    return false;
  }
  if (seq > p.next) p.gaps++;
  p.next = seq + 1;
  return true;
}

function challengeToken(seq: number): string {
  return `challenge-${seq}`;
}

function endChallenge(context: Context, seq: number, outcome: ChallengeOutcome): void {
  context.send(
    egressMessageBuilder({
      typename: CHALLENGES_EGRESS,
      value: { card: context.self.id, seq, outcome },
      valueType: CHALLENGE_RECORD,
    }),
  );
}

/** Raises `record`: to the alerts egress, into the card's history, and to its account. */
function alert(context: Context, s: CardStorage, record: AlertRecord): void {
  raiseAlert(context, record);
  s.alerts.append(record.id);
  context.send(toAccount(accountOfCard(context.self.id), { k: 'alert', id: record.id }));
}

function onTransaction(
  context: Context,
  s: CardStorage,
  p: CardProfile,
  seq: number,
  merchant: string,
  amountCents: number,
): void {
  const card = context.self.id;
  const large = isLargeAmount(amountCents, p.recent, p.txs);
  p.recent.push(amountCents);
  if (p.recent.length > RECENT_AMOUNTS) p.recent.shift();
  const isNew = !s.merchants.has(merchant);
  if (isNew) s.merchants.set(merchant, seq);
  p.txs++;
  p.sumCents += amountCents;
  const ordinal = p.txs;
  const window = inVelocityWindow(p.newAt, ordinal);
  if (isNew) {
    window.push(ordinal);
    if (isVelocityBurst(ordinal, window, p.lastVelocity)) {
      p.velocity++;
      p.lastVelocity = ordinal;
      alert(context, s, { id: alertIds.velocity(card, seq), kind: 'velocity', card, seq });
    }
  }
  p.newAt = window;
  if (large) {
    p.suspicious++;
    p.challenges++;
    s.challenges.set(String(seq), amountCents);
    context.sendAfter(CHALLENGE_TIMEOUT_MS, toCard(card, { k: 'timeout', r: seq }), challengeToken(seq));
    alert(context, s, {
      id: alertIds.large(card, seq),
      kind: 'large-amount',
      card,
      seq,
      merchant,
      amountCents,
    });
    context.send(toMerchant(merchant, { k: 'suspicious', c: card, s: seq }));
  }
}

function report(context: Context, s: CardStorage, p: CardProfile): void {
  context.send(
    egressMessageBuilder({
      typename: REPORTS_EGRESS,
      value: {
        type: 'card',
        id: context.self.id,
        txs: p.txs,
        confirms: p.confirms,
        sumCents: p.sumCents,
        merchants: s.merchants.keys().length,
        suspicious: p.suspicious,
        velocity: p.velocity,
        alerts: s.alerts.length,
        challenges: p.challenges,
        openChallenges: s.challenges.keys().length,
        exposures: p.exposures,
        frozen: p.frozen,
        duplicates: p.duplicates,
        gaps: p.gaps,
      },
      valueType: REPORT_RECORD,
    }),
  );
}

/** The binding of fraud/card, for `StateFun.bind`. */
export const cardFunction: FunctionOpts = {
  typename: CARD_FN,
  specs: [
    { name: 'profile', type: PROFILE },
    { name: 'alerts', type: StateFun.stringType(), kind: 'list' },
    { name: 'merchants', type: StateFun.intType(), kind: 'map' },
    { name: 'challenges', type: StateFun.intType(), kind: 'map' },
  ],
  fn(context, message) {
    const s = context.storage as CardStorage;
    const msg: CardMessage = message.as(CARD_MESSAGE);
    const p = s.profile ?? emptyProfile();
    switch (msg.k) {
      case 'tx':
        if (accept(p, msg.s)) onTransaction(context, s, p, msg.s, msg.m, msg.a);
        break;
      case 'confirm':
        if (!accept(p, msg.s)) break;
        p.confirms++;
        // A confirmation after the challenge expired, or of a purchase never challenged,
        // changes nothing.
        if (s.challenges.has(String(msg.r))) {
          s.challenges.delete(String(msg.r));
          context.cancelDelayedMessage(challengeToken(msg.r));
          endChallenge(context, msg.r, 'confirmed');
        }
        break;
      case 'timeout':
        // Cancellation is best effort: a timeout may still arrive after the confirmation.
        if (s.challenges.has(String(msg.r))) {
          s.challenges.delete(String(msg.r));
          endChallenge(context, msg.r, 'expired');
        }
        return;
      case 'exposed': {
        p.exposures++;
        const card = context.self.id;
        alert(context, s, { id: alertIds.exposed(card, msg.m), kind: 'card-exposed', card, merchant: msg.m });
        break;
      }
      case 'frozen':
        p.frozen = true;
        break;
      case 'report':
        report(context, s, p);
        return;
    }
    s.profile = p;
  },
};
