/**
 * The demo's function types, egresses and the messages and records they exchange, all JSON.
 * Field names are short on purpose: every event is serialized into the ingress log once and
 * into a mailbox once, a million times per run.
 */
import { StateFun } from '../../index.js';
import type { Type } from '../../index.js';

/** Per card: transactions, challenges, exposures. */
export const CARD_FN = 'fraud/card';
/** Per merchant: large-amount reports, compromise detection. */
export const MERCHANT_FN = 'fraud/merchant';
/** Per account: alert counts, freezing. */
export const ACCOUNT_FN = 'fraud/account';

/** Egress of fraud alerts ({@link AlertRecord}). */
export const ALERTS_EGRESS = 'fraud/alerts';
/** Egress of challenge outcomes ({@link ChallengeRecord}). */
export const CHALLENGES_EGRESS = 'fraud/challenges';
/** Egress of the final per-entity reports ({@link ReportRecord}) the verification reads. */
export const REPORTS_EGRESS = 'fraud/reports';

/** What a card receives. */
export type CardMessage =
  /** A purchase (ingress). */
  | { k: 'tx'; s: number; m: string; a: number }
  /** The cardholder confirms transaction `r` (ingress). */
  | { k: 'confirm'; s: number; r: number }
  /** Merchant `m` is compromised and this card was used there (from fraud/merchant). */
  | { k: 'exposed'; m: string }
  /** The account was frozen (from fraud/account). */
  | { k: 'frozen' }
  /** The challenge of transaction `r` times out (delayed, from the card itself). */
  | { k: 'timeout'; r: number }
  /** Emit a report (ingress, at the end). */
  | { k: 'report' };

/** What a merchant receives. */
export type MerchantMessage =
  /** Card `c` raised a large-amount alert for its transaction `s` here (from fraud/card). */
  { k: 'suspicious'; c: string; s: number } | { k: 'report' };

/** What an account receives. */
export type AccountMessage =
  /** One of the account's cards raised alert `id` (from fraud/card). */
  { k: 'alert'; id: string } | { k: 'report' };

/** Kinds of alerts. */
export type AlertKind =
  'large-amount' | 'velocity' | 'merchant-compromised' | 'card-exposed' | 'account-frozen';

/** A record of the alerts egress. `id` is unique: one alert per id in a correct run. */
export interface AlertRecord {
  id: string;
  kind: AlertKind;
  card?: string;
  merchant?: string;
  account?: string;
  seq?: number;
  amountCents?: number;
}

/** How a challenge ended: which one depends on timing, so it is not verified. */
export type ChallengeOutcome = 'confirmed' | 'expired';

/** A record of the challenges egress: one per challenge in a correct run. */
export interface ChallengeRecord {
  card: string;
  seq: number;
  outcome: ChallengeOutcome;
}

/** A card's final report. */
export interface CardReport {
  type: 'card';
  id: string;
  txs: number;
  confirms: number;
  sumCents: number;
  merchants: number;
  suspicious: number;
  velocity: number;
  /** Alerts the card raised (large-amount, velocity, card-exposed). */
  alerts: number;
  challenges: number;
  openChallenges: number;
  exposures: number;
  frozen: boolean;
  duplicates: number;
  gaps: number;
}

/** A merchant's final report. */
export interface MerchantReport {
  type: 'merchant';
  id: string;
  suspicious: number;
  cards: number;
  compromised: boolean;
  notified: number;
}

/** An account's final report. */
export interface AccountReport {
  type: 'account';
  id: string;
  alerts: number;
  frozen: boolean;
}

/** A record of the reports egress. */
export type ReportRecord = CardReport | MerchantReport | AccountReport;

/** The JSON types of the messages and records above. */
export const CARD_MESSAGE: Type<CardMessage> = StateFun.jsonType<CardMessage>('fraud/card-message');
export const MERCHANT_MESSAGE: Type<MerchantMessage> =
  StateFun.jsonType<MerchantMessage>('fraud/merchant-message');
export const ACCOUNT_MESSAGE: Type<AccountMessage> =
  StateFun.jsonType<AccountMessage>('fraud/account-message');
export const ALERT_RECORD: Type<AlertRecord> = StateFun.jsonType<AlertRecord>('fraud/alert');
export const CHALLENGE_RECORD: Type<ChallengeRecord> = StateFun.jsonType<ChallengeRecord>('fraud/challenge');
export const REPORT_RECORD: Type<ReportRecord> = StateFun.jsonType<ReportRecord>('fraud/report');

/** The alert id of each kind: what makes "each alert exactly once" checkable. */
export const alertIds = {
  large: (card: string, seq: number): string => `large:${card}:${seq}`,
  velocity: (card: string, seq: number): string => `velocity:${card}:${seq}`,
  compromised: (merchant: string): string => `compromised:${merchant}`,
  exposed: (card: string, merchant: string): string => `exposed:${card}:${merchant}`,
  frozen: (account: string): string => `frozen:${account}`,
};
