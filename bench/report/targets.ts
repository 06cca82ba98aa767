/**
 * The speed targets statefn is held to, checked against the figures of the same run. A
 * target whose figures were not measured in this run says so rather than passing.
 */
import { bestPeerResult, findResult } from './compare.js';
import { formatInteger, formatRatio } from './format.js';
import type { BenchReport } from './results.js';

/** Outcome of one target. */
export type TargetStatus = 'met' | 'not met' | 'not measured';

/** One target, what was measured for it, and whether it holds. */
export type TargetCheck = {
  readonly target: string;
  readonly measured: string;
  readonly status: TargetStatus;
};

/** Workloads where statefn must beat the best peer by {@link PEER_RATIO_TARGET}. */
export const PEER_RATIO_WORKLOADS = ['fillrandom', 'readrandom', 'readseq', 'overwrite'] as const;
/** Required ratio over the best peer on {@link PEER_RATIO_WORKLOADS}. */
export const PEER_RATIO_TARGET = 1.5;
/** Required acknowledged durable writes per second with 64 writers. */
export const FILL_SYNC_64_TARGET_OPS = 100_000;
/** readwhilewriting reads must reach readrandom's rate divided by this. */
export const READ_WHILE_WRITING_MAX_SLOWDOWN = 2;

/** Checks every target for `subject` in `report`. */
export function checkTargets(report: Pick<BenchReport, 'runs'>, subject: string): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { runs } = report;

  for (const workload of PEER_RATIO_WORKLOADS) {
    const target = `${workload}: ≥ ${formatRatio(PEER_RATIO_TARGET)} the best peer's ops/s`;
    const mine = findResult(runs, subject, workload);
    const best = bestPeerResult(runs, workload, subject);
    if (mine === undefined || best === undefined) {
      checks.push({
        target,
        measured: missing(mine === undefined ? subject : 'any peer'),
        status: 'not measured',
      });
      continue;
    }
    const ratio = mine.opsPerSec / best.opsPerSec;
    checks.push({
      target,
      measured: `${formatRatio(ratio)} (${subject} ${formatInteger(mine.opsPerSec)} vs ${best.store} ${formatInteger(best.opsPerSec)} ops/s)`,
      status: ratio >= PEER_RATIO_TARGET ? 'met' : 'not met',
    });
  }

  {
    const target = `fillsync64: ≥ ${formatInteger(FILL_SYNC_64_TARGET_OPS)} acknowledged durable writes/s`;
    const mine = findResult(runs, subject, 'fillsync64');
    checks.push(
      mine === undefined
        ? { target, measured: missing(subject), status: 'not measured' }
        : {
            target,
            measured: `${formatInteger(mine.opsPerSec)} writes/s`,
            status: mine.opsPerSec >= FILL_SYNC_64_TARGET_OPS ? 'met' : 'not met',
          },
    );
  }

  {
    const target = `readwhilewriting: reads/s ≥ readrandom's / ${READ_WHILE_WRITING_MAX_SLOWDOWN}`;
    const during = findResult(runs, subject, 'readwhilewriting');
    const alone = findResult(runs, subject, 'readrandom');
    if (during === undefined || alone === undefined) {
      checks.push({ target, measured: missing(subject), status: 'not measured' });
    } else {
      const share = during.opsPerSec / alone.opsPerSec;
      checks.push({
        target,
        measured: `${share.toFixed(2)} of readrandom (${formatInteger(during.opsPerSec)} vs ${formatInteger(alone.opsPerSec)} reads/s)`,
        status: share >= 1 / READ_WHILE_WRITING_MAX_SLOWDOWN ? 'met' : 'not met',
      });
    }
  }
  return checks;
}

function missing(who: string): string {
  return `no figure from ${who} in this run`;
}
