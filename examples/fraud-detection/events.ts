/**
 * The demo's event stream: card transactions and cardholder confirmations, generated from a
 * seed. The same `events` and `seed` give the same stream, event for event, so the worker
 * that resumes after the crash regenerates it and skips what was acknowledged, and the model
 * computes the expected outcome from the same events.
 *
 * Kinds of transactions (rates per event):
 * - ordinary purchases (most): at one of the card's favourite merchants (90%) or anywhere,
 *   for 0.3 to 1.7 times the card's usual amount;
 * - large legitimate purchases (0.4%): 6 to 15 times the usual amount at any merchant; in
 *   80% of cases the cardholder confirms the purchase 20 to 2000 events later;
 * - fraud with stolen card data (0.4%): 8 to 25 times the usual amount at a compromised
 *   merchant, never confirmed;
 * - fraud bursts (0.1% of events start one): five quick purchases at random merchants.
 *
 * Every event carries the card's own sequence number (dense from 0 per card), so the card
 * function can tell a duplicate or a gap, which the verification requires never to happen.
 */
import { SeededRandom } from '../../bench/data/seeded-random.js';
import { cardId, merchantId, worldOf } from './world.js';

/** A purchase with a card. */
export interface TransactionEvent {
  readonly kind: 'tx';
  /** Position in the stream, from 0: the producer's idempotency key is made of it. */
  readonly index: number;
  readonly card: string;
  /** The card's event number, dense from 0 per card. */
  readonly seq: number;
  readonly merchant: string;
  readonly amountCents: number;
}

/** The cardholder confirms that an earlier transaction of the card was theirs. */
export interface ConfirmEvent {
  readonly kind: 'confirm';
  readonly index: number;
  readonly card: string;
  readonly seq: number;
  /** The `seq` of the transaction confirmed. */
  readonly ref: number;
}

/** An event of the stream; each is addressed to its card. */
export type CardEvent = TransactionEvent | ConfirmEvent;

const FAVOURITES = 8;
const FAVOURITE_SHARE = 0.9;
const FRAUD_RATE = 0.004;
const LARGE_PURCHASE_RATE = 0.004;
const BURST_RATE = 0.001;
const BURST_LENGTH = 5;
const CONFIRM_SHARE = 0.8;
const CONFIRM_MIN_DELAY = 20;
const CONFIRM_MAX_DELAY = 2000;

/** Amounts are scaled by this many hundredths (0.3 to 1.7 is 30 to 170). */
function scaled(base: number, percent: number): number {
  return Math.round((base * percent) / 100);
}

/**
 * The stream of `events` events for `seed`: a lazy iterator, so a million events never sit
 * in memory at once.
 */
export function* generateEvents(events: number, seed: number): Generator<CardEvent> {
  const world = worldOf(events);
  const rng = new SeededRandom(seed);
  const baseCents = new Int32Array(world.cards);
  const favourites: Int32Array[] = [];
  for (let c = 0; c < world.cards; c++) {
    baseCents[c] = rng.between(1000, 20_000);
    const f = new Int32Array(FAVOURITES);
    for (let i = 0; i < FAVOURITES; i++) f[i] = rng.nextInt(world.merchants);
    favourites.push(f);
  }
  const nextSeq = new Int32Array(world.cards);
  // Confirmations due at an index wait in `due`; once their index is reached they queue in
  // `ready`, one is emitted per event slot, before any new transaction.
  const due = new Map<number, [number, number][]>();
  const ready: [number, number][] = [];
  let readyHead = 0;
  let burst = { card: 0, left: 0 };

  const tx = (index: number, card: number, merchant: number, amountCents: number): TransactionEvent => {
    const seq = nextSeq[card]!;
    nextSeq[card] = seq + 1;
    return { kind: 'tx', index, card: cardId(card), seq, merchant: merchantId(merchant), amountCents };
  };

  for (let index = 0; index < events; index++) {
    const arrived = due.get(index);
    if (arrived !== undefined) {
      due.delete(index);
      ready.push(...arrived);
    }
    if (readyHead < ready.length) {
      const [card, ref] = ready[readyHead++]!;
      if (readyHead === ready.length) {
        ready.length = 0;
        readyHead = 0;
      }
      const seq = nextSeq[card]!;
      nextSeq[card] = seq + 1;
      yield { kind: 'confirm', index, card: cardId(card), seq, ref };
      continue;
    }
    if (burst.left > 0) {
      burst.left--;
      yield tx(
        index,
        burst.card,
        rng.nextInt(world.merchants),
        scaled(baseCents[burst.card]!, rng.between(30, 170)),
      );
      continue;
    }
    const card = rng.nextInt(world.cards);
    const base = baseCents[card]!;
    const r = rng.nextFloat();
    if (r < FRAUD_RATE) {
      yield tx(index, card, rng.nextInt(world.compromisedMerchants), scaled(base, rng.between(800, 2500)));
    } else if (r < FRAUD_RATE + LARGE_PURCHASE_RATE) {
      const event = tx(index, card, rng.nextInt(world.merchants), scaled(base, rng.between(600, 1500)));
      if (rng.nextFloat() < CONFIRM_SHARE) {
        const at = index + rng.between(CONFIRM_MIN_DELAY, CONFIRM_MAX_DELAY);
        const list = due.get(at);
        if (list === undefined) due.set(at, [[card, event.seq]]);
        else list.push([card, event.seq]);
      }
      yield event;
    } else if (r < FRAUD_RATE + LARGE_PURCHASE_RATE + BURST_RATE) {
      burst = { card, left: BURST_LENGTH - 1 };
      yield tx(index, card, rng.nextInt(world.merchants), scaled(base, rng.between(30, 170)));
    } else {
      const merchant =
        rng.nextFloat() < FAVOURITE_SHARE
          ? favourites[card]![rng.nextInt(FAVOURITES)]!
          : rng.nextInt(world.merchants);
      yield tx(index, card, merchant, scaled(base, rng.between(30, 170)));
    }
  }
}
