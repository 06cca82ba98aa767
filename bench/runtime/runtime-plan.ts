/**
 * The sizes of one runtime benchmark run (bench/runtime/), from the size preset and the
 * command line. Timed workloads whose speed is still moving (the counter, the durable ingress)
 * run for a fixed time rather than a fixed count, so the run's length does not depend on how
 * fast the runtime is today; structural workloads (a tree, a rally, N instances) have fixed
 * shapes sized to take seconds at the speed measured when the preset was chosen.
 */

/** The presets of the runtime part (`large` uses `default`'s). */
export type RuntimePreset = 'default' | 'quick';

/** What the Restate peer is asked to run (its own child process; see restate-runner.ts). */
export type RestatePlan = {
  readonly invocations: number;
  readonly concurrency: number;
  readonly ids: number;
  /** Invocations before the timed part, not counted. */
  readonly warmup: number;
  /** Longest the peer may take, start-up included. */
  readonly timeoutMs: number;
};

/**
 * The checkpoint-over-a-backlog workload: `sources` ingress messages, each making the source
 * function send `messagesPerSource` messages to the sink, run once per barrier timeout.
 */
export type BacklogPlan = {
  readonly sources: number;
  readonly messagesPerSource: number;
  /** Distinct sink ids the messages are spread over (round robin). */
  readonly sinkIds: number;
  /** The runs' `barrierTimeoutMs`, in the order they run and are reported; 0 is off (the default). */
  readonly barrierTimeoutsMs: readonly number[];
};

/** Sizes of every runtime workload. */
export type RuntimeBenchPlan = {
  readonly preset: RuntimePreset;
  /** Periodic checkpoint interval of the counter, fan-out, ping-pong and ingress runtimes. */
  readonly checkpointIntervalMs: number;
  /**
   * The interval of one more exactly-once counter run, to show its latency against the
   * interval (absent in results stored before it existed).
   */
  readonly shortCheckpointIntervalMs?: number | undefined;
  /** Time during which the counter's senders keep sending (each mode). */
  readonly counterSeconds: number;
  /** Concurrent senders (= sends in flight) of the counter. */
  readonly counterConcurrency: number;
  /** Distinct counter ids the messages are spread over (uniformly at random). */
  readonly counterIds: number;
  /** Depth of each fan-out tree (the root is depth 0): 2^(depth+1) - 1 invocations a tree. */
  readonly fanOutDepth: number;
  /** Trees started at once, one ingress message each. */
  readonly fanOutTrees: number;
  /** The checkpoint-over-a-backlog runs (absent in results stored before they existed). */
  readonly backlog?: BacklogPlan | undefined;
  /** Pairs bouncing one message each at the same time. */
  readonly pingPongPairs: number;
  /** Invocations per pair (the message is passed on until this many have run). */
  readonly pingPongBounces: number;
  /** Time during which the durable-ingress senders keep sending. */
  readonly ingressSeconds: number;
  /** Concurrent senders of the durable-ingress workload (the issue says 64). */
  readonly ingressSenders: number;
  /**
   * Messages per `rt.sendAll` of the batched durable-ingress run, with the same senders
   * (absent in results stored before it existed: no batched run).
   */
  readonly ingressBatch?: number | undefined;
  /** Instance counts of the checkpoint-size workload, ascending; the last is also recovered. */
  readonly stateInstances: readonly number[];
  /** Share of the instances changed between the full and the incremental checkpoint. */
  readonly changedShare: number;
  /** Bytes of the value state each instance holds. */
  readonly stateValueBytes: number;
  /** The Restate peer's sizes; undefined skips it (--no-restate). */
  readonly restate: RestatePlan | undefined;
};

/** Command-line overrides of the preset. */
export type RuntimePlanOverrides = {
  /** Replaces counterSeconds and ingressSeconds. */
  readonly seconds?: number | undefined;
  /** The largest instance count; the sweep is the powers of ten from 1,000 below it, then it. */
  readonly instances?: number | undefined;
  /** False skips the Restate peer. */
  readonly restate?: boolean | undefined;
};

/** One run of the counter: its workload name's tail, guarantee and checkpoint interval. */
export type CounterRun = {
  /** `counter (<name>)` names the workload (its failure, its log lines). */
  readonly name: string;
  readonly mode: 'exactly-once' | 'at-least-once';
  readonly checkpointIntervalMs: number;
};

/** The counter runs of `plan`, in the order they run and are reported. */
export function counterRuns(plan: RuntimeBenchPlan): CounterRun[] {
  const interval = plan.checkpointIntervalMs;
  const runs: CounterRun[] = [
    { name: 'exactly-once', mode: 'exactly-once', checkpointIntervalMs: interval },
    { name: 'at-least-once', mode: 'at-least-once', checkpointIntervalMs: interval },
  ];
  const short = plan.shortCheckpointIntervalMs;
  if (short !== undefined) {
    runs.push({ name: `exactly-once, ${short} ms`, mode: 'exactly-once', checkpointIntervalMs: short });
  }
  return runs;
}

/** One run of the checkpoint-over-a-backlog workload. */
export type BacklogRun = {
  /** Names the workload (its failure, its log lines). */
  readonly name: string;
  readonly barrierTimeoutMs: number;
};

/** The name of the checkpoint-over-a-backlog run with `barrierTimeoutMs`. */
export function backlogRunName(barrierTimeoutMs: number): string {
  return `checkpoint over a backlog (barrierTimeoutMs ${barrierTimeoutMs})`;
}

/** The checkpoint-over-a-backlog runs of `plan`, in the order they run and are reported. */
export function backlogRuns(plan: RuntimeBenchPlan): BacklogRun[] {
  return (plan.backlog?.barrierTimeoutsMs ?? []).map((barrierTimeoutMs) => ({
    name: backlogRunName(barrierTimeoutMs),
    barrierTimeoutMs,
  }));
}

/** The checkpoint-size sweep starts here. */
export const MIN_STATE_INSTANCES = 1_000;

const PRESETS: Readonly<Record<RuntimePreset, Omit<RuntimeBenchPlan, 'preset'>>> = {
  // About 5 minutes for statefn's workloads on the 2-core machine at the speed measured when
  // chosen (counter ~8k invocations/s, fan-out ~100k/s, ping-pong ~25k/s, ~15-35k instances
  // loaded/s; the timed workloads take 30 + 30 + 20 s whatever the speed), plus 1-3 minutes
  // for Restate (~400-1,000 calls/s; its runner also reads every counter back, one call each).
  // The backlog's 200,000 sink messages take 3-4 s per run (50-75k sink messages/s when
  // chosen), several checkpoint intervals.
  default: {
    checkpointIntervalMs: 1000,
    shortCheckpointIntervalMs: 100,
    counterSeconds: 30,
    counterConcurrency: 256,
    counterIds: 100_000,
    fanOutDepth: 12,
    fanOutTrees: 128,
    backlog: { sources: 100, messagesPerSource: 2_000, sinkIds: 10_000, barrierTimeoutsMs: [0, 50] },
    pingPongPairs: 1_000,
    pingPongBounces: 500,
    ingressSeconds: 20,
    ingressSenders: 64,
    ingressBatch: 100,
    stateInstances: [1_000, 10_000, 100_000, 1_000_000],
    changedShare: 0.01,
    stateValueBytes: 100,
    restate: { invocations: 30_000, concurrency: 256, ids: 100_000, warmup: 2_000, timeoutMs: 8 * 60_000 },
  },
  // Under a minute for the whole runtime part on a quiet machine, Restate's start-up included.
  // The backlog is three quarters of the default's (about 2 s per run): with much less it is
  // gone before the first periodic checkpoint starts, an interval after Runtime.start.
  quick: {
    checkpointIntervalMs: 1000,
    shortCheckpointIntervalMs: 100,
    counterSeconds: 3,
    counterConcurrency: 256,
    counterIds: 100_000,
    fanOutDepth: 8,
    fanOutTrees: 32,
    backlog: { sources: 75, messagesPerSource: 2_000, sinkIds: 10_000, barrierTimeoutsMs: [0, 50] },
    pingPongPairs: 100,
    pingPongBounces: 100,
    ingressSeconds: 3,
    ingressSenders: 64,
    ingressBatch: 100,
    stateInstances: [1_000, 10_000, 100_000],
    changedShare: 0.01,
    stateValueBytes: 100,
    restate: { invocations: 2_000, concurrency: 256, ids: 100_000, warmup: 200, timeoutMs: 2 * 60_000 },
  },
};

/** The plan of `preset` with `overrides` applied. */
export function runtimePlan(preset: RuntimePreset, overrides: RuntimePlanOverrides = {}): RuntimeBenchPlan {
  const base = PRESETS[preset];
  const seconds = overrides.seconds;
  return {
    preset,
    ...base,
    counterSeconds: seconds ?? base.counterSeconds,
    ingressSeconds: seconds ?? base.ingressSeconds,
    stateInstances:
      overrides.instances === undefined ? base.stateInstances : instanceSweep(overrides.instances),
    restate: overrides.restate === false ? undefined : base.restate,
  };
}

/** 1,000, 10,000, … below `largest`, then `largest` itself; just `largest` below 1,000. */
export function instanceSweep(largest: number): number[] {
  const sweep: number[] = [];
  for (let n = MIN_STATE_INSTANCES; n < largest; n *= 10) sweep.push(n);
  sweep.push(largest);
  return sweep;
}

/** Instances changed before the incremental checkpoint: `share` of `instances`, at least 1. */
export function changedInstances(instances: number, share: number): number {
  return Math.max(1, Math.round(instances * share));
}
