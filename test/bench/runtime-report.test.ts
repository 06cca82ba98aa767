// The runtime benchmark's untimed parts: its options and sizes, target arithmetic, its report
// section, and the stored parts BENCHMARKS.md is rendered from. Nothing here measures speed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/cli/bench-options.js';
import { renderBenchmarksDocument } from '../../bench/report/markdown.js';
import type { MachineInfo } from '../../bench/report/results.js';
import {
  STORED_FORMAT_VERSION,
  readStoredParts,
  storedPartPath,
  writeStoredPart,
} from '../../bench/report/stored-parts.js';
import type { StoredPart } from '../../bench/report/stored-parts.js';
import { renderRuntimeSection } from '../../bench/runtime/runtime-markdown.js';
import {
  backlogRuns,
  changedInstances,
  instanceSweep,
  runtimePlan,
} from '../../bench/runtime/runtime-plan.js';
import type {
  BacklogCheckpointResult,
  CounterResult,
  RuntimeRun,
  RuntimeWorkloadResult,
  StateSizeResult,
} from '../../bench/runtime/runtime-results.js';
import { checkRuntimeTargets } from '../../bench/runtime/runtime-targets.js';
import { WORKLOADS } from '../../bench/workloads/workload-registry.js';

const settings = { shards: 4, maxParallelism: 128 };

function counter(mode: CounterResult['mode'], invocationsPerSec: number): CounterResult {
  return {
    kind: 'counter',
    mode,
    settings,
    checkpointIntervalMs: 1000,
    ids: 100_000,
    concurrency: 256,
    invocations: invocationsPerSec * 30,
    seconds: 30,
    invocationsPerSec,
    latency: { p50Ms: 612.5, p99Ms: 1_240, maxMs: 1_500, samples: invocationsPerSec * 30 },
    checkpoints: 30,
  };
}

function backlog(
  barrierTimeoutMs: number,
  seconds: number,
  checkpointP50Ms: number,
): BacklogCheckpointResult {
  return {
    kind: 'backlog-checkpoint',
    settings,
    barrierTimeoutMs,
    checkpointIntervalMs: 1000,
    sources: 100,
    messagesPerSource: 2_000,
    sinkIds: 10_000,
    sinkMessages: 200_000,
    seconds,
    sinkMessagesPerSec: 200_000 / seconds,
    latency: { p50Ms: 1_500, p99Ms: 3_900, maxMs: 4_000, samples: 200_000 },
    checkpointDurations: { p50Ms: checkpointP50Ms, p99Ms: 3_200, maxMs: 3_200, samples: 3 },
    inFlightMessages: barrierTimeoutMs === 0 ? 0 : 150_000,
    barriersOvertaken: barrierTimeoutMs === 0 ? 0 : 12,
    barrierTimeouts: barrierTimeoutMs === 0 ? 0 : 12,
    setAside: barrierTimeoutMs === 0 ? 0 : 150_000,
    spilled: 40_000,
  };
}

function stateSize(instances: number, fullBytes: number, incrementalBytes: number): StateSizeResult {
  return {
    kind: 'state-size',
    settings,
    instances,
    stateValueBytes: 100,
    loadSeconds: instances / 40_000,
    full: { wallSeconds: 0.5, durationMs: 480, bytesCopied: fullBytes, totalBytes: fullBytes },
    changedInstances: changedInstances(instances, 0.01),
    incremental: {
      wallSeconds: 0.05,
      durationMs: 45,
      bytesCopied: incrementalBytes,
      totalBytes: fullBytes + incrementalBytes,
    },
  };
}

function runtimeRun(results: RuntimeWorkloadResult[], extra: Partial<RuntimeRun> = {}): RuntimeRun {
  return {
    plan: runtimePlan('default'),
    statefnVersion: '0.1.0',
    results,
    failures: [],
    restate: {
      result: {
        serverVersion: '1.7.12',
        sdkVersion: '1.17.2',
        invocations: 50_000,
        concurrency: 256,
        ids: 100_000,
        seconds: 25,
        invocationsPerSec: 2_000,
        p50Ms: 110,
        p99Ms: 420,
        maxMs: 900,
      },
      error: undefined,
    },
    peakRssBytes: 512 * (1 << 20),
    error: undefined,
    ...extra,
  };
}

const measured = runtimeRun([
  counter('exactly-once', 520_000),
  counter('at-least-once', 700_000),
  {
    kind: 'fan-out',
    settings,
    depth: 12,
    trees: 128,
    invocations: 128 * 8191,
    seconds: 4,
    invocationsPerSec: (128 * 8191) / 4,
    checkpoints: 4,
    largestInFlight: { messages: 123_456, metadataBytes: 2_048 },
  },
  backlog(0, 4, 3_100),
  backlog(50, 5, 80),
  {
    kind: 'ingress',
    settings,
    senders: 64,
    messages: 2_400_000,
    seconds: 20,
    messagesPerSec: 120_000,
    latency: { p50Ms: 0.5, p99Ms: 12.5, maxMs: 30, samples: 2_400_000 },
  },
  {
    kind: 'ingress',
    settings,
    senders: 64,
    batch: 100,
    messages: 8_000_000,
    seconds: 20,
    messagesPerSec: 400_000,
    latency: { p50Ms: 15, p99Ms: 40, maxMs: 80, samples: 80_000 },
  },
  stateSize(1_000, 80_000, 2_000),
  stateSize(1_000_000, 80_000_000, 9_000_000),
  {
    kind: 'recovery',
    settings,
    instances: 1_000_000,
    checkpointBytes: 89_000_000,
    replayedMessages: 10_000,
    startSeconds: 1.2,
    startToIdleSeconds: 2.5,
    probedInstances: 1_000,
  },
]);

function statusOf(run: RuntimeRun | undefined, prefix: string): string | undefined {
  return checkRuntimeTargets(run).find((check) => check.target.startsWith(prefix))?.status;
}

describe('runtime benchmark options and sizes', () => {
  it('runs after the checkpoints, alone with --runtime-only, or not at all', () => {
    expect(parseBenchOptions([]).parts.runtime).toBe(true);
    expect(parseBenchOptions(['--runtime-only']).parts).toEqual({
      stores: false,
      checkpoint: false,
      runtime: true,
    });
    expect(parseBenchOptions(['--no-runtime']).parts.runtime).toBe(false);
    expect(parseBenchOptions(['--checkpoint-only']).parts.runtime).toBe(false);
    expect(() => parseBenchOptions(['--runtime-only', '--no-runtime'])).toThrow(/exclude/);
    expect(() => parseBenchOptions(['--runtime-only', '--checkpoint-only'])).toThrow(/exclude/);
  });

  it('sizes the quick preset small and the default by duration, up to one million instances', () => {
    const quick = parseBenchOptions(['--quick', '--runtime-only']).runtimePlan;
    expect(quick.counterSeconds).toBeLessThanOrEqual(5);
    expect(quick.stateInstances.at(-1)).toBeLessThan(1_000_000);
    const plan = parseBenchOptions(['--runtime-only']).runtimePlan;
    expect(plan.stateInstances).toEqual([1_000, 10_000, 100_000, 1_000_000]);
    expect(plan.ingressSenders).toBe(64);
    expect(plan.counterIds).toBe(100_000);
    expect(plan.checkpointIntervalMs).toBe(1000);
    expect(plan.restate).toBeDefined();
  });

  it('runs the checkpoint over a backlog with the barrier timeout off and on, smaller when quick', () => {
    const plan = runtimePlan('default');
    expect(plan.backlog).toEqual({
      sources: 100,
      messagesPerSource: 2_000,
      sinkIds: 10_000,
      barrierTimeoutsMs: [0, 50],
    });
    expect(backlogRuns(plan)).toEqual([
      { name: 'checkpoint over a backlog (barrierTimeoutMs 0)', barrierTimeoutMs: 0 },
      { name: 'checkpoint over a backlog (barrierTimeoutMs 50)', barrierTimeoutMs: 50 },
    ]);
    const quick = runtimePlan('quick').backlog!;
    expect(quick.sources * quick.messagesPerSource).toBeLessThan(200_000);
    expect(quick.barrierTimeoutsMs).toEqual([0, 50]);
    // Results stored before the workload existed have no runs of it.
    expect(backlogRuns({ ...plan, backlog: undefined })).toEqual([]);
  });

  it('follows --runtime-seconds, --runtime-instances and --no-restate', () => {
    const plan = parseBenchOptions([
      '--runtime-seconds',
      '7',
      '--runtime-instances',
      '20_000',
      '--no-restate',
    ]).runtimePlan;
    expect(plan.counterSeconds).toBe(7);
    expect(plan.ingressSeconds).toBe(7);
    expect(plan.stateInstances).toEqual([1_000, 10_000, 20_000]);
    expect(plan.restate).toBeUndefined();
    expect(instanceSweep(500)).toEqual([500]);
    expect(instanceSweep(10_000)).toEqual([1_000, 10_000]);
    expect(() => parseBenchOptions(['--runtime-seconds', '0'])).toThrow(/--runtime-seconds/);
  });

  it('stores a part only when it ran at the default size with nothing resized', () => {
    expect(parseBenchOptions([]).defaultParts).toEqual({ stores: true, checkpoint: true, runtime: true });
    expect(parseBenchOptions(['--runtime-only']).defaultParts).toEqual({
      stores: false,
      checkpoint: false,
      runtime: true,
    });
    expect(parseBenchOptions(['--runtime-only', '--quick']).defaultParts.runtime).toBe(false);
    expect(parseBenchOptions(['--runtime-only', '--no-restate']).defaultParts.runtime).toBe(false);
    expect(parseBenchOptions(['--runtime-seconds', '5']).defaultParts).toEqual({
      stores: true,
      checkpoint: true,
      runtime: false,
    });
    expect(parseBenchOptions(['--num', '1000']).defaultParts.stores).toBe(false);
    expect(parseBenchOptions(['--checkpoint-keys', '1000']).defaultParts.checkpoint).toBe(false);
  });
});

describe('runtime targets', () => {
  it('checks each target against the figures given', () => {
    expect(statusOf(measured, 'counter, exactly-once')).toBe('met');
    expect(statusOf(measured, 'durable ingress, 64 senders: ≥')).toBe('met');
    expect(statusOf(measured, 'durable ingress, 64 senders: p99')).toBe('not met');
    expect(statusOf(measured, 'recovery')).toBe('met');
    // 9 MB of 80 MB = 11.25% > 10 × 1% changed.
    expect(statusOf(measured, 'checkpoint bytes')).toBe('not met');
  });

  it('holds the counter to its exactly-once row and recovery to one million instances', () => {
    const slow = runtimeRun([counter('exactly-once', 499_999), counter('at-least-once', 900_000)]);
    expect(statusOf(slow, 'counter, exactly-once')).toBe('not met');
    const small = runtimeRun([
      {
        kind: 'recovery',
        settings,
        instances: 100_000,
        checkpointBytes: 9_000_000,
        replayedMessages: 1_000,
        startSeconds: 0.2,
        startToIdleSeconds: 0.3,
        probedInstances: 1_000,
      },
      stateSize(100_000, 8_000_000, 80_000),
    ]);
    expect(statusOf(small, 'recovery')).toBe('not measured');
    expect(statusOf(small, 'checkpoint bytes')).toBe('met');
  });

  it('holds durable ingress to the rt.send row, not the batched one', () => {
    const batchedOnly = runtimeRun(measured.results.filter((r) => r.kind !== 'ingress' || r.batch === 100));
    expect(statusOf(batchedOnly, 'durable ingress, 64 senders: ≥')).toBe('not measured');
    expect(renderRuntimeSection(batchedOnly, '')).toContain('| `send` | 64 | not run |');
  });

  it('reports every target as not measured without figures', () => {
    const checks = checkRuntimeTargets(undefined);
    expect(checks).toHaveLength(5);
    expect(checks.every((check) => check.status === 'not measured')).toBe(true);
  });
});

describe('renderRuntimeSection', () => {
  const markdown = renderRuntimeSection(measured, '_provenance_');

  it('puts statefn and Restate side by side in the counter table', () => {
    expect(markdown.startsWith('## Stateful functions runtime\n\n_provenance_\n')).toBe(true);
    expect(markdown).toContain(
      '| statefn 0.1.0 | exactly-once, checkpoints every 1000 ms | 15,600,000 | 256 | 520,000 | 612.5 ms | 1.24 s | 1.50 s | 100,000 ids; 30.00 s; 30 checkpoints; 4 shards, 128 key groups |',
    );
    expect(markdown).toContain('| statefn 0.1.0 | at-least-once, checkpoints every 1000 ms | 21,000,000 |');
    expect(markdown).toContain(
      '| Restate server 1.7.12, TypeScript SDK 1.17.2 | virtual object, over loopback | 50,000 | 256 | 2,000 | 110.0 ms | 420.0 ms | 900.0 ms |',
    );
  });

  it('prints checkpoints against state size, recovery and the targets', () => {
    expect(markdown).toContain(
      '| 1,000,000 | 95.4 MiB | 25.00 s | 500.0 ms | 80,000,000 | 10,000 | 50.0 ms | 9,000,000 | 11.25% |',
    );
    expect(markdown).toContain('| 1,000,000 | 84.9 MiB | 10,000 | 1.20 s | 2.50 s | 1,000 |');
    expect(markdown).toContain('| durable ingress, 64 senders: p99 ≤ 10 ms | p99 12.50 ms | **not met** |');
    expect(markdown).toContain(
      '| `send` | 64 | 2,400,000 | 20.00 s | 120,000 | 500.0 µs | 12.5 ms | 30.0 ms |',
    );
    expect(markdown).toContain(
      '| `sendAll` of 100 | 64 | 8,000,000 | 20.00 s | 400,000 | 15.0 ms | 40.0 ms | 80.0 ms |',
    );
  });

  it('shows the checkpoint with the most messages in flight, and nothing for results stored without it', () => {
    expect(markdown).toContain(
      '| fan-out | 128 trees of depth 12 (8,191 invocations each); stateless | 1,048,448 | 4.00 s | 262,112 | 4 | 123,456 messages, metadata 2,048 bytes |',
    );
    const fanOut = measured.results.find((r) => r.kind === 'fan-out')!;
    const older = renderRuntimeSection(runtimeRun([{ ...fanOut, largestInFlight: undefined }]));
    expect(older).toContain('| 262,112 | 4 |  |');
  });

  it('adds the exactly-once counter at the short interval, and checks the target on the plan interval only', () => {
    const short: CounterResult = {
      ...counter('exactly-once', 600_000),
      checkpointIntervalMs: 100,
      latency: { p50Ms: 120, p99Ms: 250, maxMs: 400, samples: 600_000 * 30 },
    };
    // Listed first, and fast enough for the target: the target must still use the 1 s run.
    const run = runtimeRun([short, counter('exactly-once', 40_000), counter('at-least-once', 45_000)]);
    const md = renderRuntimeSection(run);
    expect(md).toContain(
      '| statefn 0.1.0 | exactly-once, checkpoints every 100 ms | 18,000,000 | 256 | 600,000 | 120.0 ms |',
    );
    expect(md.indexOf('| exactly-once, checkpoints every 100 ms')).toBeGreaterThan(
      md.indexOf('| at-least-once, checkpoints every 1000 ms'),
    );
    expect(md).toContain('and once more in exactly-once mode with checkpoints every 100 ms');
    const target = checkRuntimeTargets(run).find((c) => c.target.startsWith('counter'))!;
    expect(target.measured).toBe('40,000 invocations/s');
    expect(target.status).toBe('not met');
    // A run without it says which failed; results stored before it existed have no row.
    const failed = renderRuntimeSection(
      runtimeRun([counter('exactly-once', 40_000)], {
        failures: [{ workload: 'counter (exactly-once, 100 ms)', error: 'boom' }],
      }),
    );
    expect(failed).toContain('| statefn 0.1.0 | exactly-once, 100 ms | failed: boom |');
    const older = renderRuntimeSection(
      runtimeRun([counter('exactly-once', 40_000)], {
        plan: { ...runtimePlan('default'), shortCheckpointIntervalMs: undefined },
      }),
    );
    expect(older).not.toContain('100 ms');
  });

  it('prints one row per barrier timeout for the checkpoint over a backlog, after fan-out and cycles', () => {
    expect(markdown).toContain(
      '100 ingress messages, sent at once, each make a source function send 2,000 messages to a sink, round robin over 10,000 ids (200,000 sink messages',
    );
    expect(markdown).toContain(
      '| 0 (off) | 4.00 s | 50,000 | 1.50 s | 3.90 s | 3 | 3.10 s | 3.20 s | 0 (0) | 0 | 0 | 40,000 |',
    );
    expect(markdown).toContain(
      '| 50 ms | 5.00 s | 40,000 | 1.50 s | 3.90 s | 3 | 80.0 ms | 3.20 s | 12 (12) | 150,000 | 150,000 | 40,000 |',
    );
    expect(markdown.indexOf('### Checkpoints over a backlog')).toBeGreaterThan(
      markdown.indexOf('### Fan-out and cycles'),
    );
    expect(markdown).toContain('- Checkpoint over a backlog: the benchmark asks for no checkpoint.');
    expect(markdown).toContain('and `barrierTimeoutMs` in the checkpoint-over-a-backlog runs.');
  });

  it('says which backlog run failed, and leaves the workload out of results stored before it', () => {
    const failed = renderRuntimeSection(
      runtimeRun([backlog(0, 4, 3_100)], {
        failures: [{ workload: 'checkpoint over a backlog (barrierTimeoutMs 50)', error: 'boom' }],
      }),
    );
    expect(failed).toContain('| 0 (off) | 4.00 s |');
    expect(failed).toContain('| 50 ms | failed: boom |');
    const notRun = renderRuntimeSection(runtimeRun([]));
    expect(notRun).toContain('| 0 (off) | not run |');
    const older = renderRuntimeSection(
      runtimeRun([], { plan: { ...runtimePlan('default'), backlog: undefined } }),
    );
    expect(older).not.toContain('backlog');
    expect(older).not.toContain('barrierTimeoutMs');
  });

  it("includes the engineers' analysis after the targets, its headings nested", () => {
    const analysis = '## Where the runtime stands\n\nWords only.\n\n### A part\n\nMore words.\n';
    const withAnalysis = renderRuntimeSection(measured, '_provenance_', analysis);
    const targets = withAnalysis.indexOf('### Targets');
    const stands = withAnalysis.indexOf('### Where the runtime stands\n\nWords only.\n\n#### A part');
    const counterTable = withAnalysis.indexOf('### Counter, side by side with Restate');
    expect(targets).toBeGreaterThan(0);
    expect(stands).toBeGreaterThan(targets);
    expect(counterTable).toBeGreaterThan(stands);
    expect(markdown).not.toContain('Where the runtime stands');
  });

  it('says which workloads failed and why Restate has no figures', () => {
    const failed = renderRuntimeSection(
      runtimeRun([counter('at-least-once', 1_000)], {
        failures: [
          { workload: 'counter (exactly-once)', error: 'counter: 9 egress records for 10 messages sent' },
        ],
        restate: { result: undefined, error: 'restate-server did not become healthy in 60 s' },
      }),
    );
    expect(failed).toContain(
      '| statefn 0.1.0 | exactly-once | failed: counter: 9 egress records for 10 messages sent |',
    );
    expect(failed).toContain(
      '| Restate | virtual object, over loopback | failed: restate-server did not become healthy in 60 s |',
    );
    expect(failed).toContain('### Failed workloads');
    expect(failed).toContain('| ping-pong | 1000 pairs x 500 | not run |');
    expect(renderRuntimeSection(undefined)).toBe('');
  });
});

function machine(date: string): MachineInfo {
  return {
    cpuModel: 'Test CPU',
    cores: 2,
    memoryBytes: 8 * (1 << 30),
    os: 'TestOS',
    node: 'v20.0.0',
    date,
    commit: 'abc1234',
    dataDir: '/tmp/x',
    dataDirFileSystem: 'ext4',
  };
}

describe('stored parts and BENCHMARKS.md', () => {
  const runtimePart: StoredPart<'runtime'> = {
    part: 'runtime',
    formatVersion: STORED_FORMAT_VERSION,
    machine: machine('2030-01-02T03:04:05.000Z'),
    size: 'default',
    data: measured,
  };

  it('renders every stored part with its own date, and says which parts were never measured', () => {
    const document = renderBenchmarksDocument(
      { runtime: runtimePart },
      { origin: 'stored', workloads: WORKLOADS, subject: 'statefn' },
    );
    expect(document).toContain(
      '| Stateful functions runtime (statefn vs Restate) | 2030-01-02T03:04:05.000Z | default | abc1234 | Test CPU, 2 cores | `npm run bench -- --runtime-only` |',
    );
    expect(document).toContain(
      '_Measured 2030-01-02T03:04:05.000Z at statefn commit abc1234 (size preset: default) on Test CPU, 2 cores, 8192.0 MiB, TestOS, Node.js v20.0.0; data directory /tmp/x (ext4). Refresh with `npm run bench -- --runtime-only`._',
    );
    expect(document).toContain(
      '## Checkpoints\n\nNot measured at the default size yet: run `npm run bench -- --checkpoint-only`.',
    );
    expect(document).toContain('## Store workloads (db_bench)\n\nNot measured at the default size yet');
  });

  it('round-trips a part through bench/results and refuses a file of another part', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statefn-stored-'));
    try {
      const path = await writeStoredPart(dir, runtimePart);
      expect(path).toBe(storedPartPath(dir, 'runtime'));
      expect(readStoredParts(dir)).toEqual({ runtime: runtimePart });
      expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ part: 'runtime', size: 'default' });
      await writeFile(path, JSON.stringify({ ...runtimePart, part: 'checkpoint' }));
      expect(() => readStoredParts(dir)).toThrow(/is not a stored "runtime" part/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
