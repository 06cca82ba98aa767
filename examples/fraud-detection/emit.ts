/**
 * Helpers the three functions share to send to each other and to the egresses.
 */
import { egressMessageBuilder, messageBuilder } from '../../index.js';
import type { Context } from '../../index.js';
import {
  ACCOUNT_FN,
  ACCOUNT_MESSAGE,
  ALERTS_EGRESS,
  ALERT_RECORD,
  CARD_FN,
  CARD_MESSAGE,
  MERCHANT_FN,
  MERCHANT_MESSAGE,
} from './messages.js';
import type { AccountMessage, AlertRecord, CardMessage, MerchantMessage } from './messages.js';

/** A message to card `id`. */
export function toCard(id: string, value: CardMessage): ReturnType<typeof messageBuilder> {
  return messageBuilder({ typename: CARD_FN, id, value, valueType: CARD_MESSAGE });
}

/** A message to merchant `id`. */
export function toMerchant(id: string, value: MerchantMessage): ReturnType<typeof messageBuilder> {
  return messageBuilder({ typename: MERCHANT_FN, id, value, valueType: MERCHANT_MESSAGE });
}

/** A message to account `id`. */
export function toAccount(id: string, value: AccountMessage): ReturnType<typeof messageBuilder> {
  return messageBuilder({ typename: ACCOUNT_FN, id, value, valueType: ACCOUNT_MESSAGE });
}

/** Sends `alert` to the alerts egress. */
export function raiseAlert(context: Context, alert: AlertRecord): void {
  context.send(egressMessageBuilder({ typename: ALERTS_EGRESS, value: alert, valueType: ALERT_RECORD }));
}
