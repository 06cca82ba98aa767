/**
 * The fraud rules and their thresholds: pure functions of a card's own history, shared by the
 * functions (app.ts) and the model (model.ts). Sharing them is deliberate: the demo checks
 * that the runtime delivers, stores and commits exactly once, not the arithmetic of a rule;
 * how state is kept, messages travel and alerts are counted is written twice, independently.
 *
 * Every rule that decides a verified outcome depends only on the order of one card's own
 * events (which the ingress keeps) or on counts that do not depend on the order in which
 * messages from different senders arrive. Time decides only how a challenge ends (confirmed
 * or expired), which is reported but not verified.
 */

/** The amounts a card's average is taken over. */
export const RECENT_AMOUNTS = 8;
/** A card needs this many earlier transactions before an amount can look large. */
export const LARGE_MIN_HISTORY = 3;
/** An amount is large when it exceeds this many times the card's recent average... */
export const LARGE_FACTOR = 5;
/** ...and this many cents. */
export const LARGE_MIN_CENTS = 10_000;
/** A card needs this many earlier transactions before velocity is judged. */
export const VELOCITY_MIN_HISTORY = 20;
/** Velocity: of the card's last VELOCITY_WINDOW transactions... */
export const VELOCITY_WINDOW = 5;
/** ...at least this many were at merchants new to the card. */
export const VELOCITY_NEW_MERCHANTS = 4;
/** A merchant is compromised once this many large-amount alerts name it. */
export const COMPROMISE_THRESHOLD = 5;
/** An account is frozen once its cards have raised this many alerts. */
export const FREEZE_THRESHOLD = 3;
/** A challenge not confirmed by the cardholder within this time expires. */
export const CHALLENGE_TIMEOUT_MS = 250;

/**
 * True if `amountCents` is large for a card that made `txsBefore` transactions whose last
 * amounts (at most RECENT_AMOUNTS, oldest first) are `recent`.
 */
export function isLargeAmount(amountCents: number, recent: readonly number[], txsBefore: number): boolean {
  if (txsBefore < LARGE_MIN_HISTORY || amountCents < LARGE_MIN_CENTS || recent.length === 0) return false;
  let sum = 0;
  for (const a of recent) sum += a;
  // amount > FACTOR * (sum / n), in integers.
  return amountCents * recent.length > LARGE_FACTOR * sum;
}

/**
 * The ordinals (1 for a card's first transaction) of new-merchant transactions still inside
 * the velocity window once transaction `ordinal` is counted.
 */
export function inVelocityWindow(newMerchantOrdinals: readonly number[], ordinal: number): number[] {
  return newMerchantOrdinals.filter((o) => o > ordinal - VELOCITY_WINDOW);
}

/**
 * True if transaction `ordinal` of a card, at a merchant new to it, completes a burst:
 * `window` (from {@link inVelocityWindow}, the current one included) holds enough
 * new-merchant transactions and the previous velocity alert (`lastAlertOrdinal`, 0 if none)
 * is outside the window.
 */
export function isVelocityBurst(
  ordinal: number,
  window: readonly number[],
  lastAlertOrdinal: number,
): boolean {
  return (
    ordinal > VELOCITY_MIN_HISTORY &&
    window.length >= VELOCITY_NEW_MERCHANTS &&
    (lastAlertOrdinal === 0 || lastAlertOrdinal <= ordinal - VELOCITY_WINDOW)
  );
}
