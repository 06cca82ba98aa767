/**
 * fraud/account: one instance per account. Its cards send it every alert they raise; at
 * FREEZE_THRESHOLD alerts the account is frozen: one alert, and both cards are told.
 *
 * State: `stats` (value: alert count and the frozen flag).
 */
import { StateFun } from '../../index.js';
import type { FunctionOpts } from '../../index.js';
import { egressMessageBuilder } from '../../index.js';
import { raiseAlert, toCard } from './emit.js';
import { ACCOUNT_FN, ACCOUNT_MESSAGE, REPORTS_EGRESS, REPORT_RECORD, alertIds } from './messages.js';
import type { AccountMessage } from './messages.js';
import { FREEZE_THRESHOLD } from './rules.js';
import { cardsOfAccount } from './world.js';

interface AccountStats {
  alerts: number;
  frozen: boolean;
}

const STATS = StateFun.jsonType<AccountStats>('fraud/account-stats');

/** The binding of fraud/account, for `StateFun.bind`. */
export const accountFunction: FunctionOpts = {
  typename: ACCOUNT_FN,
  specs: [{ name: 'stats', type: STATS }],
  fn(context, message) {
    const msg: AccountMessage = message.as(ACCOUNT_MESSAGE);
    const st = (context.storage.stats as AccountStats | null) ?? { alerts: 0, frozen: false };
    const account = context.self.id;
    if (msg.k === 'report') {
      context.send(
        egressMessageBuilder({
          typename: REPORTS_EGRESS,
          value: { type: 'account', id: account, ...st },
          valueType: REPORT_RECORD,
        }),
      );
      return;
    }
    st.alerts++;
    if (!st.frozen && st.alerts >= FREEZE_THRESHOLD) {
      st.frozen = true;
      raiseAlert(context, { id: alertIds.frozen(account), kind: 'account-frozen', account });
      for (const card of cardsOfAccount(account)) context.send(toCard(card, { k: 'frozen' }));
    }
    context.storage.stats = st;
  },
};
