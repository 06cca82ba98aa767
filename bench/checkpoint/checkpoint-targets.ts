/**
 * Issue 3's checkpoint targets, checked against the figures of the same run. Pure, so the
 * arithmetic is unit-tested; a target whose figures are missing says so rather than passing.
 */
import { formatBytes, formatInteger } from '../report/format.js';
import type { TargetCheck } from '../report/targets.js';
import type {
  CheckpointBenchResult,
  ForegroundLoad,
  ForegroundWindow,
  TransferMode,
} from './checkpoint-results.js';

/** An incremental checkpoint may write this much beyond its new SSTs (metadata): 1 MB. */
export const INCREMENTAL_ALLOWANCE_BYTES = 1_000_000;
/** Fixed part of the incremental checkpoint's time budget. */
export const INCREMENTAL_FIXED_MS = 50;
/** Foreground write throughput may drop by less than this fraction during a checkpoint. */
export const MAX_FOREGROUND_DROP = 0.1;
/** verify must read at least this fraction of the disk's sequential read speed. */
export const MIN_VERIFY_SHARE = 0.5;

const MIB = 1 << 20;
const MODES: readonly TransferMode[] = ['link', 'copy'];

/** Bytes per second as MiB/s with one decimal, e.g. `512.3 MiB/s`. */
export function formatRate(bytesPerSec: number): string {
  return `${(bytesPerSec / MIB).toFixed(1)} MiB/s`;
}

/** A duration: milliseconds with one decimal below a second (`48.2 ms`), else `12.34 s`. */
export function formatDuration(seconds: number): string {
  return seconds < 1 ? `${(seconds * 1000).toFixed(1)} ms` : `${seconds.toFixed(2)} s`;
}

/** The disk's sequential write speed in bytes/s (the write time includes the fsync). */
export function sequentialWriteBytesPerSec(result: CheckpointBenchResult): number {
  return result.disk.fileBytes / result.disk.writeSeconds;
}

/** The disk's sequential read speed in bytes/s. */
export function sequentialReadBytesPerSec(result: CheckpointBenchResult): number {
  return result.disk.fileBytes / result.disk.readSeconds;
}

/** verify's speed over the checkpoint's bytes (each file is read twice to get it). */
export function verifyBytesPerSec(result: CheckpointBenchResult): number {
  return result.verify.checkpointBytes / result.verify.seconds;
}

/** Writes/s without a checkpoint: every window without one, pooled (ops over time). */
export function foregroundBaseline(windows: readonly ForegroundWindow[]): number | undefined {
  const quiet = windows.filter((w) => w.during === 'none');
  const seconds = quiet.reduce((sum, w) => sum + w.seconds, 0);
  if (quiet.length === 0 || seconds <= 0) return undefined;
  return quiet.reduce((sum, w) => sum + w.ops, 0) / seconds;
}

/** Writes/s during checkpoints of kind `load`, pooled over its windows. */
export function foregroundDuring(
  windows: readonly ForegroundWindow[],
  load: ForegroundLoad,
): number | undefined {
  const busy = windows.filter((w) => w.during === load);
  const seconds = busy.reduce((sum, w) => sum + w.seconds, 0);
  if (busy.length === 0 || seconds <= 0) return undefined;
  return busy.reduce((sum, w) => sum + w.ops, 0) / seconds;
}

/** The incremental checkpoint's time budget: 50 ms plus its new bytes at `writeBytesPerSec`. */
export function incrementalTimeLimitSeconds(newSstBytes: number, writeBytesPerSec: number): number {
  return INCREMENTAL_FIXED_MS / 1000 + newSstBytes / writeBytesPerSec;
}

/**
 * The checkpoints of kind `load` as the report names them: `copy checkpoints`, or for the
 * paced ones `copy checkpoints paced at 100.0 MiB/s (maxCopyBytesPerSecond)`.
 */
export function describeLoad(load: ForegroundLoad, pacedBytesPerSecond: number | undefined): string {
  if (load !== 'paced copy') return `${load} checkpoints`;
  const rate = pacedBytesPerSecond === undefined ? 'a limit' : formatRate(pacedBytesPerSecond);
  return `copy checkpoints paced at ${rate} (maxCopyBytesPerSecond)`;
}

/** Checks every checkpoint target against `result` (undefined: the benchmark did not finish). */
export function checkCheckpointTargets(result: CheckpointBenchResult | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const unmeasured = (target: string): TargetCheck => ({
    target,
    measured: 'not measured in this run',
    status: 'not measured',
  });

  for (const mode of MODES) {
    const bytesTarget = `incremental checkpoint (${mode}): bytes ≤ new SST bytes + 1 MB`;
    const timeTarget = `incremental checkpoint (${mode}): time < ${INCREMENTAL_FIXED_MS} ms + new SST bytes at the sequential write speed`;
    const cp = result?.checkpoints.find((c) => c.kind === 'incremental' && c.mode === mode);
    if (result === undefined || cp === undefined) {
      checks.push(unmeasured(bytesTarget), unmeasured(timeTarget));
      continue;
    }
    checks.push({
      target: bytesTarget,
      measured: `${formatInteger(cp.bytesCopied)} B copied vs ${formatInteger(cp.newSstBytes)} B of new SSTs`,
      status: cp.bytesCopied <= cp.newSstBytes + INCREMENTAL_ALLOWANCE_BYTES ? 'met' : 'not met',
    });
    const writeSpeed = sequentialWriteBytesPerSec(result);
    const limit = incrementalTimeLimitSeconds(cp.newSstBytes, writeSpeed);
    checks.push({
      target: timeTarget,
      measured: `${formatDuration(cp.seconds)} vs limit ${formatDuration(limit)} (${formatBytes(cp.newSstBytes)} at ${formatRate(writeSpeed)})`,
      status: cp.seconds < limit ? 'met' : 'not met',
    });
  }

  const baseline = result === undefined ? undefined : foregroundBaseline(result.foreground);
  const loads: ForegroundLoad[] = [...MODES];
  // Runs stored before the paced windows existed have none: no row rather than "not measured".
  if (result === undefined || result.pacedCopyBytesPerSecond !== undefined) loads.push('paced copy');
  for (const load of loads) {
    const target = `foreground writes during ${describeLoad(load, result?.pacedCopyBytesPerSecond)}: drop < ${MAX_FOREGROUND_DROP * 100}%`;
    const during = result === undefined ? undefined : foregroundDuring(result.foreground, load);
    if (baseline === undefined || during === undefined || baseline <= 0) {
      checks.push(unmeasured(target));
      continue;
    }
    const drop = 1 - during / baseline;
    const change =
      drop >= 0 ? `${(drop * 100).toFixed(1)}% drop` : `no drop (${(-drop * 100).toFixed(1)}% faster)`;
    checks.push({
      target,
      measured: `${change} (${formatInteger(during)} vs ${formatInteger(baseline)} writes/s without)`,
      status: drop < MAX_FOREGROUND_DROP ? 'met' : 'not met',
    });
  }

  {
    const target = `verify: ≥ ${MIN_VERIFY_SHARE * 100}% of the sequential read speed`;
    if (result === undefined) {
      checks.push(unmeasured(target));
    } else {
      const verify = verifyBytesPerSec(result);
      const read = sequentialReadBytesPerSec(result);
      const share = verify / read;
      checks.push({
        target,
        measured:
          `${(share * 100).toFixed(0)}% (${formatRate(verify)} vs ${formatRate(read)}; ` +
          `verify ${result.verify.cache}, disk read ${result.disk.readCache})`,
        status: share >= MIN_VERIFY_SHARE ? 'met' : 'not met',
      });
    }
  }
  return checks;
}
