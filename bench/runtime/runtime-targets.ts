/**
 * The runtime issue's targets, checked against the figures of the same run. Pure, so the
 * arithmetic is unit-tested; a target whose figure is missing (or was measured at another
 * size than the target names) says so rather than passing.
 */
import { formatInteger } from '../report/format.js';
import type { TargetCheck } from '../report/targets.js';
import type {
  CounterResult,
  IngressResult,
  RecoveryResult,
  RuntimeRun,
  StateSizeResult,
} from './runtime-results.js';
import { ingressBatchOf } from './runtime-results.js';

/** Counter invocations/s with checkpoints on (exactly-once). */
export const COUNTER_TARGET_PER_SEC = 500_000;
/** Acknowledged durable ingress messages/s with 64 senders. */
export const INGRESS_TARGET_PER_SEC = 100_000;
/** p99 of an acknowledgement with 64 senders. */
export const INGRESS_P99_TARGET_MS = 10;
/** The recovery target's size… */
export const RECOVERY_TARGET_INSTANCES = 1_000_000;
/** …and its time, from `Runtime.start` until the runtime is idle again. */
export const RECOVERY_TARGET_SECONDS = 3;
/**
 * An incremental checkpoint may copy this many times the changed share of the full one.
 * Proportional to the state changed means about 1× that share; an LSM engine rewrites changed
 * keys again as compaction carries them down its levels, so 10× leaves room for that, while a
 * checkpoint that copies what is held (≈ 100× the share when 1% changes) fails.
 */
export const INCREMENTAL_SHARE_FACTOR = 10;

/** The exactly-once counter's result, if measured. */
export function exactlyOnceCounter(run: RuntimeRun | undefined): CounterResult | undefined {
  // The one at the plan's interval: the target is "checkpoints every second".
  return run?.results.find(
    (r): r is CounterResult =>
      r.kind === 'counter' &&
      r.mode === 'exactly-once' &&
      r.checkpointIntervalMs === run.plan.checkpointIntervalMs,
  );
}

function ingressOf(run: RuntimeRun | undefined): IngressResult | undefined {
  // The target is about `rt.send`'s acknowledgements, one message each.
  return run?.results.find((r): r is IngressResult => r.kind === 'ingress' && ingressBatchOf(r) === 1);
}

function recoveryOf(run: RuntimeRun | undefined): RecoveryResult | undefined {
  return run?.results.find((r): r is RecoveryResult => r.kind === 'recovery');
}

/** The checkpoint-size results, ascending by instances. */
export function stateSizesOf(run: RuntimeRun | undefined): StateSizeResult[] {
  return (run?.results ?? [])
    .filter((r): r is StateSizeResult => r.kind === 'state-size')
    .sort((a, b) => a.instances - b.instances);
}

/** The incremental checkpoint's bytes over the full one's. */
export function incrementalShare(result: StateSizeResult): number {
  return result.full.bytesCopied > 0 ? result.incremental.bytesCopied / result.full.bytesCopied : Number.NaN;
}

const unmeasured = (target: string, why = 'not measured in this run'): TargetCheck => ({
  target,
  measured: why,
  status: 'not measured',
});

/** Checks every runtime target against `run`. */
export function checkRuntimeTargets(run: RuntimeRun | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];

  {
    const target = `counter, exactly-once, checkpoints every second: ≥ ${formatInteger(COUNTER_TARGET_PER_SEC)} invocations/s`;
    const counter = exactlyOnceCounter(run);
    checks.push(
      counter === undefined
        ? unmeasured(target)
        : {
            target,
            measured: `${formatInteger(counter.invocationsPerSec)} invocations/s`,
            status: counter.invocationsPerSec >= COUNTER_TARGET_PER_SEC ? 'met' : 'not met',
          },
    );
  }

  const ingress = ingressOf(run);
  {
    const target = `durable ingress, 64 senders: ≥ ${formatInteger(INGRESS_TARGET_PER_SEC)} acknowledged messages/s`;
    checks.push(
      ingress === undefined
        ? unmeasured(target)
        : {
            target,
            measured: `${formatInteger(ingress.messagesPerSec)} messages/s (${ingress.senders} senders)`,
            status:
              ingress.senders === 64 && ingress.messagesPerSec >= INGRESS_TARGET_PER_SEC ? 'met' : 'not met',
          },
    );
  }
  {
    const target = `durable ingress, 64 senders: p99 ≤ ${INGRESS_P99_TARGET_MS} ms`;
    checks.push(
      ingress === undefined
        ? unmeasured(target)
        : {
            target,
            measured: `p99 ${ingress.latency.p99Ms.toFixed(2)} ms`,
            status:
              ingress.senders === 64 && ingress.latency.p99Ms <= INGRESS_P99_TARGET_MS ? 'met' : 'not met',
          },
    );
  }

  {
    const target = `recovery of ${formatInteger(RECOVERY_TARGET_INSTANCES)} instances (start until idle): ≤ ${RECOVERY_TARGET_SECONDS} s`;
    const recovery = recoveryOf(run);
    if (recovery === undefined) checks.push(unmeasured(target));
    else {
      const measured = `${recovery.startToIdleSeconds.toFixed(2)} s for ${formatInteger(recovery.instances)} instances`;
      checks.push(
        recovery.instances < RECOVERY_TARGET_INSTANCES
          ? unmeasured(target, `${measured} (a smaller run)`)
          : {
              target,
              measured,
              status: recovery.startToIdleSeconds <= RECOVERY_TARGET_SECONDS ? 'met' : 'not met',
            },
      );
    }
  }

  {
    const target = `checkpoint bytes follow the state changed: incremental ≤ ${INCREMENTAL_SHARE_FACTOR}× the changed share of the full checkpoint (largest size)`;
    const largest = stateSizesOf(run).at(-1);
    if (largest === undefined) checks.push(unmeasured(target));
    else {
      const changedShare = largest.changedInstances / largest.instances;
      const share = incrementalShare(largest);
      checks.push({
        target,
        measured:
          `${formatInteger(largest.changedInstances)} of ${formatInteger(largest.instances)} instances changed ` +
          `(${(changedShare * 100).toFixed(2)}%): incremental ${formatInteger(largest.incremental.bytesCopied)} bytes = ` +
          `${(share * 100).toFixed(2)}% of the full ${formatInteger(largest.full.bytesCopied)}`,
        status: share <= INCREMENTAL_SHARE_FACTOR * changedShare ? 'met' : 'not met',
      });
    }
  }
  return checks;
}
