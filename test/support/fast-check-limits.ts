/**
 * Vitest setup (vitest.config.ts, setupFiles; nothing imports it, so fast-check-limits.test.ts
 * fails if the setup is not wired): every fast-check property in the suite stops
 * after {@link PROPERTY_TIME_LIMIT_MS} and then fails, unless its own parameters say
 * otherwise.
 *
 * Why: vitest's test timeout fires through the event loop, so it cannot stop a synchronous
 * property. When such a property fails, fast-check shrinks the counterexample in one
 * synchronous loop; a shrink that does not converge (block-keys.prop found one) would hang
 * the whole run instead of reporting the failure. fast-check checks this limit between runs,
 * shrinking runs included, so the failure is reported with the smallest case found so far.
 *
 * Properties meant to run longer (the model, crash and soak properties) pass their own
 * `interruptAfterTimeLimit`, below their own test timeout.
 */
import fc from 'fast-check';

/** Below vitest's default test timeout (vitest.config.ts), so the property reports first. */
const PROPERTY_TIME_LIMIT_MS = 100_000;

fc.configureGlobal({
  ...fc.readConfigureGlobal(),
  interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS,
  markInterruptAsFailure: true,
});
