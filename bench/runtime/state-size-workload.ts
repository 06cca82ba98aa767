/**
 * Checkpoints against state size: a fresh runtime (periodic checkpoints off, so the measured
 * ones are the only ones) loads `instances` instances, one invocation each, through the
 * loader; a first checkpoint is taken (full: the store holds nothing yet); then `changedShare`
 * of the instances, drawn at random, get one more message each, and a second checkpoint is
 * taken (incremental). Both are timed around `rt.checkpoint()` and report the runtime's own
 * duration and bytes.
 *
 * When asked to prepare a crash (the largest size, for the recovery workload), the runtime is
 * then given as many more random updates, which no checkpoint covers, and handed back still
 * running with what a restart must reproduce; the caller abandons it.
 */
import { Runtime } from '../../runtime/index.js';
import { SeededRandom } from '../data/seeded-random.js';
import { runConcurrentSenders } from './concurrent-senders.js';
import { INSTANCES_PER_LOADER_MESSAGE, instanceApp, instanceMessage, loaderMessage } from './instance-app.js';
import { changedInstances } from './runtime-plan.js';
import type { CheckpointFigures, StateSizeResult } from './runtime-results.js';
import { every, stopRuntime, untilIdle } from './runtime-waits.js';
import { verify } from './verification.js';
import { PROGRESS_INTERVAL_MS, fileSystemOption, n, settingsOf } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';

/** Instances loaded between two waits for idle: bounds the messages queued at once. */
const LOAD_WAVE_INSTANCES = 100_000;
const LOADER_SENDERS = 64;
const UPDATE_SENDERS = 256;
/** Instances whose state the recovery workload reads back. */
export const PROBED_INSTANCES = 1_000;

/** The size of one checkpoint-size run. */
export type StateSizeOptions = {
  readonly instances: number;
  readonly changedShare: number;
  readonly stateValueBytes: number;
};

/** What a restart of a prepared crash must reproduce (sent to the recovery runner). */
export type CrashInfo = {
  readonly dir: string;
  readonly instances: number;
  readonly stateValueBytes: number;
  /** totalBytes of the latest checkpoint. */
  readonly checkpointBytes: number;
  /** Ingress messages processed after the latest checkpoint. */
  readonly replayedMessages: number;
  /** Instances to probe after the restart, and the count each must hold before its probe. */
  readonly probes: readonly number[];
  readonly expectedCounts: readonly number[];
};

/** The outcome: the figures, and with `prepareCrash` the still-running runtime. */
export type StateSizeRun = {
  readonly result: StateSizeResult;
  readonly crash?: { readonly rt: Runtime; readonly info: CrashInfo } | undefined;
};

/** The first `count` entries of a seeded random permutation of [0, size). */
export function randomSample(size: number, count: number, random: SeededRandom): Uint32Array {
  const picks = Math.min(size, count);
  const permutation = new Uint32Array(size);
  for (let i = 0; i < size; i++) permutation[i] = i;
  for (let i = 0; i < picks; i++) {
    const j = i + random.nextInt(size - i);
    const swap = permutation[i]!;
    permutation[i] = permutation[j]!;
    permutation[j] = swap;
  }
  return permutation.slice(0, picks);
}

/** The state engine counts as settled once its flush and compaction counts stood still this long. */
const SETTLE_QUIET_MS = 1000;
const SETTLE_MAX_MS = 120_000;

/**
 * Waits (untimed, at most two minutes) until the state engine has no flush or compaction due
 * and none finished for a second. The load leaves compaction debt; without this, the
 * incremental checkpoint would copy whatever compaction of the load finished between the two
 * checkpoints, which says nothing about how its bytes follow the state changed (the engine's
 * checkpoint benchmark settles for the same reason).
 */
async function settleStateEngine(rt: Runtime, label: string, log: (line: string) => void): Promise<void> {
  const startMs = performance.now();
  let lastActivity = -1;
  let quietSinceMs = startMs;
  for (;;) {
    const { state } = rt.stats().engines;
    const activity = state.flushes + state.compactions;
    const due = state.immutableMemtables > 0 || state.levels.some((l) => l.score >= 1);
    const nowMs = performance.now();
    if (activity !== lastActivity || due) {
      lastActivity = activity;
      quietSinceMs = nowMs;
    }
    if (nowMs - quietSinceMs >= SETTLE_QUIET_MS) return;
    if (nowMs - startMs >= SETTLE_MAX_MS) {
      log(`${label}: compaction still due after ${SETTLE_MAX_MS / 1000} s; going on`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Times one `rt.checkpoint()`. */
async function measureCheckpoint(rt: Runtime): Promise<CheckpointFigures> {
  const startMs = performance.now();
  const committed = await rt.checkpoint();
  return {
    wallSeconds: (performance.now() - startMs) / 1000,
    durationMs: committed.durationMs,
    bytesCopied: committed.bytesCopied,
    totalBytes: committed.totalBytes,
  };
}

/** Throws a VerificationError unless the instances ran exactly `expected` times so far. */
export function verifyInvocations(what: string, counted: number, expected: number): void {
  verify(counted === expected, `${what}: the instances ran ${n(counted)} times, expected ${n(expected)}`);
}

/** Loads, checkpoints, changes, checkpoints; see the file comment. */
export async function runStateSize(
  env: WorkloadEnv,
  options: StateSizeOptions,
  prepareCrash = false,
): Promise<StateSizeRun> {
  const { instances } = options;
  let counted = 0;
  const rt = await Runtime.start({
    dir: env.dir,
    statefun: instanceApp(options.stateValueBytes, () => counted++),
    checkpointIntervalMs: 0,
    ...fileSystemOption(env),
  });
  let handedOver = false;
  const label = `state ${n(instances)}`;
  const stopProgress = every(PROGRESS_INTERVAL_MS, () =>
    env.log(`${label}: ${n(counted)} invocations so far`),
  );
  try {
    const settings = settingsOf(rt);
    const loadStartMs = performance.now();
    for (let wave = 0; wave < instances; wave += LOAD_WAVE_INSTANCES) {
      const waveEnd = Math.min(instances, wave + LOAD_WAVE_INSTANCES);
      let next = wave;
      await runConcurrentSenders(LOADER_SENDERS, () => {
        if (next >= waveEnd) return undefined;
        const start = next;
        next = Math.min(waveEnd, start + INSTANCES_PER_LOADER_MESSAGE);
        return rt.send(loaderMessage(start, next));
      });
      await untilIdle(rt, `${label}: loading`);
    }
    const loadSeconds = (performance.now() - loadStartMs) / 1000;
    verifyInvocations(`${label}: loading`, counted, instances);
    env.log(`${label}: loaded in ${loadSeconds.toFixed(1)} s; settling, then the full checkpoint`);
    await settleStateEngine(rt, label, env.log);
    const full = await measureCheckpoint(rt);

    const changed = changedInstances(instances, options.changedShare);
    // The changed instances, then (for a crash) as many more for the replay: distinct picks.
    const picks = randomSample(
      instances,
      prepareCrash ? 2 * changed : changed,
      SeededRandom.derive(env.seed, label),
    );
    const update = async (from: number, to: number): Promise<void> => {
      let next = from;
      await runConcurrentSenders(UPDATE_SENDERS, () =>
        next < to ? rt.send(instanceMessage(picks[next++]!, false)) : undefined,
      );
      await untilIdle(rt, `${label}: updating`);
    };
    await update(0, changed);
    verifyInvocations(`${label}: changing ${n(changed)}`, counted, instances + changed);
    await settleStateEngine(rt, label, env.log);
    const incremental = await measureCheckpoint(rt);
    env.log(
      `${label}: full ${n(full.bytesCopied)} bytes in ${full.wallSeconds.toFixed(2)} s, ` +
        `incremental ${n(incremental.bytesCopied)} bytes in ${incremental.wallSeconds.toFixed(2)} s`,
    );
    const result: StateSizeResult = {
      kind: 'state-size',
      settings,
      instances,
      stateValueBytes: options.stateValueBytes,
      loadSeconds,
      full,
      changedInstances: changed,
      incremental,
    };
    if (!prepareCrash) return { result };

    const replayFrom = picks.length - changed;
    await update(replayFrom, picks.length);
    verifyInvocations(`${label}: after the checkpoint`, counted, instances + 2 * changed);
    const counts = new Uint8Array(instances).fill(1);
    for (const index of picks) counts[index]!++;
    const probes = Array.from(
      randomSample(instances, PROBED_INSTANCES, SeededRandom.derive(env.seed, `${label} probes`)),
    );
    handedOver = true;
    return {
      result,
      crash: {
        rt,
        info: {
          dir: env.dir,
          instances,
          stateValueBytes: options.stateValueBytes,
          checkpointBytes: incremental.totalBytes,
          replayedMessages: changed,
          probes,
          expectedCounts: probes.map((index) => counts[index]!),
        },
      },
    };
  } finally {
    stopProgress();
    if (!handedOver) await stopRuntime(rt);
  }
}
