/**
 * The demo's world: how many cards, accounts and merchants a stream of a given size has, and
 * their ids. Every card belongs to one account and every account has exactly two cards
 * (`c<2k>` and `c<2k+1>` belong to `a<k>`), so a function can find an account's cards from
 * its id alone, without a lookup table.
 */

/** Sizes of the world of one demo run; a function of `--events` only. */
export interface World {
  /** Events in the stream. */
  readonly events: number;
  readonly accounts: number;
  /** Always `2 * accounts`. */
  readonly cards: number;
  readonly merchants: number;
  /** Merchants `m0` to `m<compromised-1>` leak card data: fraud happens there. */
  readonly compromisedMerchants: number;
}

/** The world of a stream of `events` events: about 50 events per card, 500 per merchant. */
export function worldOf(events: number): World {
  const accounts = Math.max(25, Math.round(events / 100));
  const merchants = Math.max(20, Math.round(events / 500));
  return {
    events,
    accounts,
    cards: 2 * accounts,
    merchants,
    compromisedMerchants: Math.max(1, Math.round(merchants * 0.02)),
  };
}

/** The id of card number `n`. */
export function cardId(n: number): string {
  return `c${n}`;
}

/** The id of merchant number `n`. */
export function merchantId(n: number): string {
  return `m${n}`;
}

/** The id of account number `n`. */
export function accountId(n: number): string {
  return `a${n}`;
}

/** The account that card `card` (an id made by {@link cardId}) belongs to. */
export function accountOfCard(card: string): string {
  return accountId(Math.floor(Number(card.slice(1)) / 2));
}

/** The two cards of account `account` (an id made by {@link accountId}). */
export function cardsOfAccount(account: string): [string, string] {
  const n = Number(account.slice(1));
  return [cardId(2 * n), cardId(2 * n + 1)];
}
