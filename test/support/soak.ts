/**
 * Run counts for the engine's long properties. CI runs each at its own count; `npm run
 * test:soak:engine` sets STATEFN_ENGINE_SOAK to a factor that multiplies every count here,
 * with the time limits scaled to match, so the same properties run far longer with fresh
 * seeds. A failure prints fast-check's seed and path, to pin as a regression test.
 */

function factorFromEnv(): number {
  const raw = process.env.STATEFN_ENGINE_SOAK;
  if (raw === undefined || raw === '') return 1;
  const factor = Number(raw);
  if (!Number.isInteger(factor) || factor < 1) {
    throw new Error(`STATEFN_ENGINE_SOAK must be an integer of at least 1, got ${JSON.stringify(raw)}`);
  }
  return factor;
}

/** How many times CI's runs the soak asks for (1 in CI). */
export const SOAK_FACTOR = factorFromEnv();

/** A property's run count: `ciRuns` in CI, SOAK_FACTOR times that in a soak. */
export function soakRuns(ciRuns: number): number {
  return ciRuns * SOAK_FACTOR;
}

/** A time limit or test timeout in ms, scaled as the runs are. */
export function soakMs(ciMs: number): number {
  return ciMs * SOAK_FACTOR;
}
