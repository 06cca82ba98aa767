// The checkpoint benchmark's untimed parts: sizing, target arithmetic and the report section.
// Nothing here measures speed; speed is measured only by `npm run bench`.
import { describe, expect, it } from 'vitest';
import { checkpointPlan } from '../../bench/checkpoint/checkpoint-messages.js';
import { renderCheckpointSection } from '../../bench/checkpoint/checkpoint-markdown.js';
import type {
  CheckpointBenchResult,
  CheckpointMeasure,
  ForegroundWindow,
} from '../../bench/checkpoint/checkpoint-results.js';
import {
  checkCheckpointTargets,
  foregroundBaseline,
  incrementalTimeLimitSeconds,
} from '../../bench/checkpoint/checkpoint-targets.js';
import { parseBenchOptions } from '../../bench/cli/bench-options.js';

const MIB = 1 << 20;
const latency = { p50Ns: 2_000_000, p99Ns: 5_000_000, maxNs: 9_000_000, samples: 100 };

function checkpoint(extra: Partial<CheckpointMeasure>): CheckpointMeasure {
  return {
    kind: 'full',
    mode: 'copy',
    seconds: 2,
    bytesCopied: 700 * MIB,
    newFiles: 350,
    files: 350,
    checkpointBytes: 700 * MIB,
    newSstBytes: 700 * MIB,
    storeGrowthBytes: 700 * MIB,
    ...extra,
  };
}

function window(label: string, during: ForegroundWindow['during'], opsPerSec: number): ForegroundWindow {
  const checkpointSeconds = during === 'none' ? [] : [1.5, 2.25];
  return {
    label,
    during,
    seconds: 10,
    ops: opsPerSec * 10,
    opsPerSec,
    latency,
    checkpoints: checkpointSeconds.length,
    checkpointSeconds,
  };
}

function result(extra: Partial<CheckpointBenchResult> = {}): CheckpointBenchResult {
  return {
    keys: 10_000_000,
    entryBytes: 116,
    updatedKeys: 100_000,
    loadSeconds: 45,
    flushBytesBetween: 6 * MIB,
    compactionBytesBetween: 4 * MIB,
    engineDiskBytes: 700 * MIB,
    settles: [{ before: 'the full checkpoints', seconds: 3, settled: true }],
    // 1000 MiB written in 2 s (500 MiB/s), read in 1 s (1000 MiB/s).
    disk: {
      fileBytes: 1000 * MIB,
      chunkBytes: MIB,
      writeSeconds: 2,
      readSeconds: 1,
      readCache: 'dropped',
      cacheNote: 'evicted',
    },
    checkpoints: [
      checkpoint({ mode: 'link' }),
      checkpoint({ mode: 'copy' }),
      // 10 MiB new at 500 MiB/s: the limit is 50 ms + 20 ms.
      checkpoint({
        kind: 'incremental',
        mode: 'link',
        seconds: 0.069,
        bytesCopied: 10 * MIB + 900_000,
        newFiles: 5,
        newSstBytes: 10 * MIB,
      }),
      checkpoint({
        kind: 'incremental',
        mode: 'copy',
        seconds: 0.071,
        bytesCopied: 10 * MIB + 1_000_001,
        newFiles: 5,
        newSstBytes: 10 * MIB,
      }),
    ],
    restores: [{ mode: 'copy', seconds: 3, files: 355, bytes: 710 * MIB, cache: 'dropped' }],
    // 700 MiB in 1.25 s = 560 MiB/s: 56% of the read speed.
    verify: {
      mode: 'copy',
      seconds: 1.25,
      checkpointBytes: 700 * MIB,
      bytesRead: 1400 * MIB,
      cache: 'dropped',
    },
    foreground: [
      window('without checkpoints (before)', 'none', 300_000),
      window('during link checkpoints', 'link', 280_000),
      window('during copy checkpoints', 'copy', 260_000),
      window('during paced copy checkpoints', 'paced copy', 275_000),
      window('without checkpoints (after)', 'none', 280_000),
    ],
    pacedCopyBytesPerSecond: 100 * MIB,
    peakRssBytes: 900 * MIB,
    checkpointPeakRssBytes: 500 * MIB,
    ...extra,
  };
}

function statusOf(checks: ReturnType<typeof checkCheckpointTargets>, prefix: string): string | undefined {
  return checks.find((check) => check.target.startsWith(prefix))?.status;
}

describe('checkpoint targets', () => {
  const checks = checkCheckpointTargets(result());

  it('allows an incremental checkpoint 1 MB beyond its new SSTs and no more', () => {
    expect(statusOf(checks, 'incremental checkpoint (link): bytes')).toBe('met');
    expect(statusOf(checks, 'incremental checkpoint (copy): bytes')).toBe('not met');
  });

  it('budgets 50 ms plus the new bytes at the measured sequential write speed', () => {
    expect(incrementalTimeLimitSeconds(10 * MIB, 500 * MIB)).toBeCloseTo(0.07, 10);
    expect(statusOf(checks, 'incremental checkpoint (link): time')).toBe('met');
    expect(statusOf(checks, 'incremental checkpoint (copy): time')).toBe('not met');
  });

  it('compares foreground writes with the windows without checkpoints pooled', () => {
    expect(foregroundBaseline(result().foreground)).toBe(290_000);
    // 280k is a 3.4% drop from 290k; 260k a 10.3% drop; 275k a 5.2% drop.
    expect(statusOf(checks, 'foreground writes during link')).toBe('met');
    expect(statusOf(checks, 'foreground writes during copy checkpoints: drop')).toBe('not met');
    expect(
      statusOf(
        checks,
        'foreground writes during copy checkpoints paced at 100.0 MiB/s (maxCopyBytesPerSecond): drop',
      ),
    ).toBe('met');
  });

  it('has no paced row for a run stored before the paced windows existed', () => {
    const older = result({
      foreground: result().foreground.filter((w) => w.during !== 'paced copy'),
      pacedCopyBytesPerSecond: undefined,
    });
    const olderChecks = checkCheckpointTargets(older);
    expect(olderChecks).toHaveLength(checks.length - 1);
    expect(olderChecks.some((check) => check.target.includes('paced'))).toBe(false);
  });

  it('holds verify to half the sequential read speed', () => {
    expect(statusOf(checks, 'verify')).toBe('met');
    // 700 MiB in 1.5 s = 467 MiB/s.
    const slower = checkCheckpointTargets(result({ verify: { ...result().verify, seconds: 1.5 } }));
    expect(statusOf(slower, 'verify')).toBe('not met');
  });

  it('reports every target as not measured when the benchmark did not finish', () => {
    const missing = checkCheckpointTargets(undefined);
    expect(missing).toHaveLength(checks.length);
    expect(missing.every((check) => check.status === 'not measured')).toBe(true);
  });
});

describe('renderCheckpointSection', () => {
  it('prints the measured checkpoints, the incremental/full ratio and the targets', () => {
    const markdown = renderCheckpointSection({ keys: 10_000_000, result: result(), error: undefined });
    expect(markdown.startsWith('## Checkpoints\n')).toBe(true);
    expect(markdown).toContain('| full | copy store (copies) | 2.00 s | 734,003,200 | — | 350 of 350 |');
    // (10 MiB + 900,000) / 700 MiB.
    expect(markdown).toContain(
      '| incremental | link store (hard links) | 69.0 ms | 11,385,760 | 1.55% | 5 of 350 |',
    );
    expect(markdown).toContain(
      '| verify: ≥ 50% of the sequential read speed | 56% (560.0 MiB/s vs 1000.0 MiB/s;',
    );
    expect(markdown).toContain(
      '| during copy checkpoints | copy checkpoints, back to back | 260,000 | 0.90× |',
    );
    expect(markdown).toMatch(
      /\| during paced copy checkpoints \| copy checkpoints paced at 100\.0 MiB\/s \(maxCopyBytesPerSecond\), back to back \| 275,000 \| 0\.95× \|[^\n]*\| 2 \| 1\.50 s, 2\.25 s \|/,
    );
  });

  it("gives a window's checkpoint times one by one up to three, else their median and maximum", () => {
    const many = {
      ...window('during link checkpoints', 'link', 280_000),
      checkpoints: 4,
      checkpointSeconds: [0.03, 2, 0.05, 0.04],
    };
    const markdown = renderCheckpointSection({
      keys: 10_000_000,
      result: result({ foreground: [window('without', 'none', 300_000), many] }),
      error: undefined,
    });
    expect(markdown).toContain('| 4 | median 40.0 ms, max 2.00 s |');
  });

  it('says why when the benchmark failed, and nothing when it was not run', () => {
    const failed = renderCheckpointSection({
      keys: 200_000,
      result: undefined,
      error: 'runner exited early',
    });
    expect(failed).toContain('did not finish: runner exited early');
    expect(failed).toContain('| not measured |');
    expect(renderCheckpointSection(undefined)).toBe('');
  });
});

describe('checkpoint options and sizing', () => {
  it('loads 10M keys by default, 200k with --quick, and follows --checkpoint-keys', () => {
    expect(parseBenchOptions([]).checkpointKeys).toBe(10_000_000);
    expect(parseBenchOptions(['--quick']).checkpointKeys).toBe(200_000);
    expect(parseBenchOptions(['--checkpoint-keys', '3_000']).checkpointKeys).toBe(3_000);
  });

  it('runs the checkpoint benchmark after statefn, alone, or not at all', () => {
    expect(parseBenchOptions([]).parts).toEqual({ stores: true, checkpoint: true, runtime: true });
    expect(parseBenchOptions(['--stores', 'lmdb']).parts).toEqual({
      stores: true,
      checkpoint: false,
      runtime: false,
    });
    expect(parseBenchOptions(['--checkpoint-only']).parts).toEqual({
      stores: false,
      checkpoint: true,
      runtime: false,
    });
    expect(parseBenchOptions(['--no-checkpoint']).parts).toEqual({
      stores: true,
      checkpoint: false,
      runtime: true,
    });
    expect(() => parseBenchOptions(['--checkpoint-only', '--no-checkpoint'])).toThrow(/exclude/);
  });

  it('updates 1% of the keys and sizes the disk test file between 256 MiB and 1 GiB', () => {
    const full = checkpointPlan(10_000_000, 116, false);
    expect(full.updatedKeys).toBe(100_000);
    expect(full.diskTestBytes).toBe(1024 * MIB);
    expect(checkpointPlan(200_000, 116, true).diskTestBytes).toBe(256 * MIB);
    expect(checkpointPlan(50, 116, true).updatedKeys).toBe(1);
  });
});
