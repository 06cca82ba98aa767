/**
 * fraud/merchant: one instance per merchant. Cards report their large-amount alerts here;
 * once COMPROMISE_THRESHOLD of them name the merchant, it is taken as compromised (its card
 * data leaked): it raises one alert and tells every card that reported a large amount here
 * that it is exposed, then every further card that does (fraud/card raises an alert for
 * each). The set of exposed cards does not depend on the order the reports arrive in.
 *
 * State: `stats` (value: counters and the compromised flag) and `cards` (map: card -> 1 once
 * told it is exposed, else 0).
 */
import { StateFun, egressMessageBuilder } from '../../index.js';
import type { Context, FunctionOpts, PersistedTable } from '../../index.js';
import { raiseAlert, toCard } from './emit.js';
import { MERCHANT_FN, MERCHANT_MESSAGE, REPORTS_EGRESS, REPORT_RECORD, alertIds } from './messages.js';
import type { MerchantMessage } from './messages.js';
import { COMPROMISE_THRESHOLD } from './rules.js';

interface MerchantStats {
  suspicious: number;
  compromised: boolean;
  notified: number;
}

interface MerchantStorage {
  stats: MerchantStats | null;
  cards: PersistedTable<number>;
}

const STATS = StateFun.jsonType<MerchantStats>('fraud/merchant-stats');

function notify(context: Context, s: MerchantStorage, st: MerchantStats, card: string): void {
  s.cards.set(card, 1);
  st.notified++;
  context.send(toCard(card, { k: 'exposed', m: context.self.id }));
}

/** The binding of fraud/merchant, for `StateFun.bind`. */
export const merchantFunction: FunctionOpts = {
  typename: MERCHANT_FN,
  specs: [
    { name: 'stats', type: STATS },
    { name: 'cards', type: StateFun.intType(), kind: 'map' },
  ],
  fn(context, message) {
    const s = context.storage as MerchantStorage;
    const msg: MerchantMessage = message.as(MERCHANT_MESSAGE);
    const st = s.stats ?? { suspicious: 0, compromised: false, notified: 0 };
    if (msg.k === 'report') {
      context.send(
        egressMessageBuilder({
          typename: REPORTS_EGRESS,
          value: { type: 'merchant', id: context.self.id, ...st, cards: s.cards.keys().length },
          valueType: REPORT_RECORD,
        }),
      );
      return;
    }
    st.suspicious++;
    const known = s.cards.get(msg.c);
    if (known === undefined) s.cards.set(msg.c, 0);
    if (!st.compromised && st.suspicious >= COMPROMISE_THRESHOLD) {
      st.compromised = true;
      const merchant = context.self.id;
      raiseAlert(context, { id: alertIds.compromised(merchant), kind: 'merchant-compromised', merchant });
      for (const [card, told] of s.cards.entries()) if (told === 0) notify(context, s, st, card);
    } else if (st.compromised && known === undefined) {
      notify(context, s, st, msg.c);
    }
    s.stats = st;
  },
};
