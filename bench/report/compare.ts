/**
 * Ratios against the best peer. A peer is any contender other than the subject (statefn) and
 * the references (store-registry.ts, REFERENCE_STORES: js-map, a store no user would pick);
 * the best peer of a workload is the one with the most ops/s in it, so a ratio of 1.50× means
 * 1.5 times the fastest alternative measured in the same run.
 */
import { referenceStore } from '../stores/store-registry.js';
import type { StoreRun, WorkloadResult } from './results.js';

/** The fastest peer's result for `workload`, or undefined when no peer measured it. */
export function bestPeerResult(
  runs: readonly StoreRun[],
  workload: string,
  subject: string,
): WorkloadResult | undefined {
  let best: WorkloadResult | undefined;
  for (const run of runs) {
    if (run.store === subject || referenceStore(run.store) !== undefined) continue;
    for (const result of run.results) {
      if (result.workload !== workload) continue;
      if (best === undefined || result.opsPerSec > best.opsPerSec) best = result;
    }
  }
  return best;
}

/** The result of `store` for `workload`, or undefined. */
export function findResult(
  runs: readonly StoreRun[],
  store: string,
  workload: string,
): WorkloadResult | undefined {
  return runs.find((run) => run.store === store)?.results.find((result) => result.workload === workload);
}

/** `result`'s ops/s over the best peer's, or undefined without a peer figure. */
export function ratioToBestPeer(
  result: WorkloadResult,
  best: WorkloadResult | undefined,
): number | undefined {
  if (best === undefined || best.opsPerSec <= 0) return undefined;
  return result.opsPerSec / best.opsPerSec;
}
