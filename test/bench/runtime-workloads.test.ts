// The runtime benchmark's workloads, end to end at tiny sizes on an in-memory file system:
// each runs, verifies what it sent against what it saw, and fails instead of reporting a rate
// when its verification is fed a wrong count. Nothing here measures speed.
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../engine/index.js';
import { runBacklogCheckpoint } from '../../bench/runtime/backlog-checkpoint-workload.js';
import { runCounter, verifyCounter } from '../../bench/runtime/counter-workload.js';
import type { CounterObservation } from '../../bench/runtime/counter-workload.js';
import { runFanOut, treeInvocations, verifyFanOut } from '../../bench/runtime/fan-out-workload.js';
import { runIngress, verifyIngress } from '../../bench/runtime/ingress-workload.js';
import { runPingPong, verifyPingPong } from '../../bench/runtime/ping-pong-workload.js';
import { runRecovery, verifyProbes } from '../../bench/runtime/recovery-workload.js';
import { randomSample, runStateSize } from '../../bench/runtime/state-size-workload.js';
import { SeededRandom } from '../../bench/data/seeded-random.js';
import { VerificationError } from '../../bench/runtime/verification.js';
import type { WorkloadEnv } from '../../bench/runtime/workload-env.js';

function env(fileSystem = new MemoryFileSystem()): WorkloadEnv {
  return { dir: '/bench', seed: 7, fileSystem, log: () => undefined };
}

/** Checkpoints this often, so exactly-once egress commits quickly at these sizes. */
const INTERVAL_MS = 50;

describe('counter workload', () => {
  const options = {
    seconds: 30,
    concurrency: 16,
    ids: 50,
    checkpointIntervalMs: INTERVAL_MS,
    maxInvocations: 300,
  };

  it('counts every message once in both modes and reports latencies from send to egress', async () => {
    for (const mode of ['exactly-once', 'at-least-once'] as const) {
      const result = await runCounter(env(), { ...options, mode });
      expect(result.invocations).toBe(300);
      expect(result.latency.samples).toBe(300);
      expect(result.latency.p50Ms).toBeGreaterThan(0);
      expect(result.latency.p99Ms).toBeGreaterThanOrEqual(result.latency.p50Ms);
      expect(result.invocationsPerSec).toBeCloseTo(300 / result.seconds, 6);
    }
  });

  it('fails instead of reporting a rate when one egress record is missing', async () => {
    const run = runCounter(env(), {
      ...options,
      mode: 'exactly-once',
      verify: (observed) => verifyCounter({ ...observed, seen: observed.seen - 1 }),
    });
    await expect(run).rejects.toThrow(VerificationError);
  });

  it('rejects duplicates, strangers and an id whose final count is off', () => {
    const good: CounterObservation = {
      sent: 3,
      seen: 3,
      duplicates: 0,
      unknown: 0,
      sentPerId: Uint32Array.of(2, 1),
      maxCountPerId: Uint32Array.of(2, 1),
    };
    expect(() => verifyCounter(good)).not.toThrow();
    expect(() => verifyCounter({ ...good, duplicates: 1 })).toThrow(/^counter: 1 messages seen twice/);
    expect(() => verifyCounter({ ...good, duplicates: 1 }, 'backlog')).toThrow(/^backlog: 1 messages/);
    expect(() => verifyCounter({ ...good, unknown: 1 })).toThrow(/never sent/);
    expect(() => verifyCounter({ ...good, maxCountPerId: Uint32Array.of(1, 1) })).toThrow(
      /1 ids end with a count other than their messages \(c0 got 2 messages, counted 1\)/,
    );
  });
});

describe('fan-out workload', () => {
  it('runs every node of every tree exactly once', async () => {
    const result = await runFanOut(env(), { depth: 4, trees: 3, checkpointIntervalMs: INTERVAL_MS });
    expect(treeInvocations(4)).toBe(31);
    expect(result.invocations).toBe(93);
    // No checkpoint records more than every message of the run.
    expect(result.largestInFlight!.messages).toBeLessThanOrEqual(93);
  });

  it('fails when the function or the runtime counted one invocation too few', async () => {
    const run = runFanOut(env(), {
      depth: 3,
      trees: 2,
      checkpointIntervalMs: INTERVAL_MS,
      verify: (options, counted, runtimeCounted) => verifyFanOut(options, counted - 1, runtimeCounted),
    });
    await expect(run).rejects.toThrow(/the function ran 29 times, expected 30/);
    expect(() => verifyFanOut({ depth: 3, trees: 2 }, 30, 31)).toThrow(/runtime counted 31/);
  });
});

describe('ping-pong workload', () => {
  it('ends every rally once with the counts it leaves in state', async () => {
    const result = await runPingPong(env(), { pairs: 5, bounces: 7, checkpointIntervalMs: INTERVAL_MS });
    expect(result.invocations).toBe(35);
  });

  it('fails when a rally is missing or its counts are off', async () => {
    const run = runPingPong(env(), {
      pairs: 3,
      bounces: 4,
      checkpointIntervalMs: INTERVAL_MS,
      verify: (options, rallies, counted) => verifyPingPong(options, rallies.slice(1), counted),
    });
    await expect(run).rejects.toThrow(/2 rallies ended, expected 3/);
    expect(() => verifyPingPong({ pairs: 1, bounces: 5 }, [[0, 3, 2]], 5)).not.toThrow();
    expect(() => verifyPingPong({ pairs: 1, bounces: 5 }, [[0, 2, 3]], 5)).toThrow(/counts 2 and 3/);
  });
});

describe('checkpoint-over-a-backlog workload', () => {
  const options = { sources: 4, messagesPerSource: 50, sinkIds: 30, checkpointIntervalMs: INTERVAL_MS };

  it('sees every sink message once on the egress with and without a barrier timeout', async () => {
    for (const barrierTimeoutMs of [0, 1]) {
      const result = await runBacklogCheckpoint(env(), { ...options, barrierTimeoutMs });
      expect(result.barrierTimeoutMs).toBe(barrierTimeoutMs);
      expect(result.sinkMessages).toBe(200);
      expect(result.latency.samples).toBe(200);
      // Exactly-once egress is visible only once a checkpoint has committed it.
      expect(result.checkpointDurations.samples).toBeGreaterThanOrEqual(1);
      expect(result.checkpointDurations.maxMs).toBeGreaterThanOrEqual(result.checkpointDurations.p50Ms);
      expect(result.barrierTimeouts).toBeLessThanOrEqual(result.barriersOvertaken);
      if (barrierTimeoutMs === 0) expect(result.barrierTimeouts).toBe(0);
      expect(result.sinkMessagesPerSec).toBeCloseTo(200 / result.seconds, 6);
    }
  });

  it('fails instead of reporting a rate when one egress record is missing', async () => {
    const run = runBacklogCheckpoint(env(), {
      ...options,
      barrierTimeoutMs: 0,
      verify: (observed) => verifyCounter({ ...observed, seen: observed.seen - 1 }, 'backlog'),
    });
    await expect(run).rejects.toThrow(/^backlog: 199 egress records for 200 messages sent$/);
  });
});

describe('durable ingress workload', () => {
  it('acknowledges every send with its own dense offset, and processes each', async () => {
    const result = await runIngress(env(), {
      senders: 64,
      seconds: 30,
      checkpointIntervalMs: INTERVAL_MS,
      maxMessages: 500,
    });
    expect(result.messages).toBe(500);
    expect(result.latency.samples).toBe(500);
  });

  it('with batches, acknowledges every message of each sendAll with its own dense offset', async () => {
    const result = await runIngress(env(), {
      senders: 8,
      batch: 30,
      seconds: 30,
      checkpointIntervalMs: INTERVAL_MS,
      maxMessages: 500,
    });
    expect(result.batch).toBe(30);
    expect(result.messages).toBe(500);
    // One latency sample per call: 16 full batches and the last 20 messages.
    expect(result.latency.samples).toBe(17);
  });

  it('fails when an acknowledgement is missing or an offset repeats', async () => {
    const run = runIngress(env(), {
      senders: 8,
      seconds: 30,
      checkpointIntervalMs: INTERVAL_MS,
      maxMessages: 50,
      verify: (sent, offsets, processed) => verifyIngress(sent + 1, offsets, processed),
    });
    await expect(run).rejects.toThrow(/50 acknowledgements for 51 sends/);
    expect(() => verifyIngress(3, Float64Array.of(4, 2, 3), 3)).not.toThrow();
    expect(() => verifyIngress(3, Float64Array.of(2, 2, 3), 3)).toThrow(/not dense/);
  });
});

describe('checkpoint-size and recovery workloads', () => {
  it('checkpoints full then incremental, and a crashed runtime recovers its state', async () => {
    const fileSystem = new MemoryFileSystem();
    const run = await runStateSize(
      env(fileSystem),
      { instances: 2_000, changedShare: 0.01, stateValueBytes: 100 },
      true,
    );
    expect(run.result.changedInstances).toBe(20);
    expect(run.result.full.bytesCopied).toBeGreaterThan(run.result.incremental.bytesCopied);
    const crash = run.crash!;
    expect(crash.info.replayedMessages).toBe(20);
    crash.rt.abandon();
    // Only what was fsynced survives, as after a power cut.
    const recovered = await runRecovery(env(fileSystem.crash()), crash.info);
    expect(recovered.replayedMessages).toBe(20);
    expect(recovered.probedInstances).toBe(1_000);
    expect(recovered.startToIdleSeconds).toBeGreaterThanOrEqual(recovered.startSeconds);
  });

  it('fails the recovery when a probed instance answers with a wrong count', async () => {
    const fileSystem = new MemoryFileSystem();
    const run = await runStateSize(
      env(fileSystem),
      { instances: 1_000, changedShare: 0.01, stateValueBytes: 16 },
      true,
    );
    run.crash!.rt.abandon();
    const wrong = run.crash!.info.expectedCounts.map((count, i) => (i === 0 ? count + 1 : count));
    const recovery = runRecovery(env(fileSystem.crash()), run.crash!.info, (info, answers) =>
      verifyProbes({ ...info, expectedCounts: wrong }, answers),
    );
    await expect(recovery).rejects.toThrow(VerificationError);
  });

  it('draws distinct random instances', () => {
    const sample = randomSample(100, 30, new SeededRandom(3));
    expect(sample).toHaveLength(30);
    expect(new Set(sample).size).toBe(30);
    expect(Math.max(...sample)).toBeLessThan(100);
    expect(randomSample(5, 10, new SeededRandom(3))).toHaveLength(5);
  });
});
