/**
 * The fraud-detection application: three function types that message each other.
 *
 * ```
 *            ingress: purchases, confirmations, report requests
 *                               |
 *                               v
 *   fraud/merchant <--------- fraud/card ---------> fraud/account
 *        |   suspicious        ^  ^  |  \   alert        |
 *        +---- exposed --------+  |  |   +-- frozen -----+
 *                                 +--+ timeout (delayed, cancelled by a confirmation)
 * ```
 *
 * Egresses: fraud/alerts (every alert), fraud/challenges (how each challenge ended),
 * fraud/reports (each entity's counters, on request at the end of a run).
 */
import { StateFun } from '../../index.js';
import { accountFunction } from './account-function.js';
import { cardFunction } from './card-function.js';
import { merchantFunction } from './merchant-function.js';

/** A StateFun with the three fraud-detection functions bound. */
export function createFraudApp(): StateFun {
  const statefun = new StateFun();
  statefun.bind(cardFunction);
  statefun.bind(merchantFunction);
  statefun.bind(accountFunction);
  return statefun;
}
