/**
 * What the runtime benchmark measured, as plain data: the runners send it over IPC, the
 * coordinator stores it as JSON (bench/results/runtime.json at the default size) and renders
 * the report's runtime section from it. Every figure of that section comes from these records.
 * Times are milliseconds or seconds as named; every rate was verified before it was recorded.
 */
import type { RuntimeBenchPlan } from './runtime-plan.js';

/** Delivery guarantee a runtime ran with. */
export type RuntimeMode = 'exactly-once' | 'at-least-once';

/** Nearest-rank percentiles of per-message latencies, in milliseconds. */
export type LatencyMs = {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
};

/** The settings every workload's runtime shared, as `rt.stats()` reported them. */
export type RuntimeSettings = {
  readonly shards: number;
  readonly maxParallelism: number;
};

/** Counter: one ingress message per invocation, value state read and written, one egress record. */
export type CounterResult = {
  readonly kind: 'counter';
  readonly mode: RuntimeMode;
  readonly settings: RuntimeSettings;
  readonly checkpointIntervalMs: number;
  readonly ids: number;
  readonly concurrency: number;
  /** Messages sent, processed and seen on the egress (all three are equal once verified). */
  readonly invocations: number;
  /** From the first send to the last egress record seen by the reader. */
  readonly seconds: number;
  readonly invocationsPerSec: number;
  /** Per message: from the `send` call to its egress record reaching the reader. */
  readonly latency: LatencyMs;
  /** Checkpoints committed while the workload ran. */
  readonly checkpoints: number;
};

/** The checkpoint of a run that recorded the most messages in flight between functions. */
export interface LargestInFlight {
  /** Messages it recorded in flight (0 if none did). */
  readonly messages: number;
  /** Bytes of its metadata file, which holds a count of them rather than the messages. */
  readonly metadataBytes: number;
}

/** Fan-out: each invocation sends to two children, down trees of `depth`. */
export type FanOutResult = {
  readonly kind: 'fan-out';
  readonly settings: RuntimeSettings;
  readonly depth: number;
  readonly trees: number;
  readonly invocations: number;
  /** From the first root's send until `rt.idle()` resolved. */
  readonly seconds: number;
  readonly invocationsPerSec: number;
  readonly checkpoints: number;
  /** Absent in results stored before it was measured. */
  readonly largestInFlight?: LargestInFlight | undefined;
};

/** Ping-pong: pairs passing one message back and forth, a cycle between two instances. */
export type PingPongResult = {
  readonly kind: 'ping-pong';
  readonly settings: RuntimeSettings;
  readonly pairs: number;
  readonly bounces: number;
  readonly invocations: number;
  /** From the first serve's send until `rt.idle()` resolved. */
  readonly seconds: number;
  readonly invocationsPerSec: number;
  readonly checkpoints: number;
  /** Absent in results stored before it was measured. */
  readonly largestInFlight?: LargestInFlight | undefined;
};

/**
 * Checkpoint over a backlog: per ingress message a source sends `messagesPerSource` messages
 * to a sink (value state read and written, one egress record each), with one
 * `barrierTimeoutMs`. From the first send until the last egress record was seen.
 */
export type BacklogCheckpointResult = {
  readonly kind: 'backlog-checkpoint';
  readonly settings: RuntimeSettings;
  readonly barrierTimeoutMs: number;
  readonly checkpointIntervalMs: number;
  readonly sources: number;
  readonly messagesPerSource: number;
  readonly sinkIds: number;
  /** Sink messages processed, each seen once on the egress (verified). */
  readonly sinkMessages: number;
  /** From the first ingress send to the last egress record seen by the reader. */
  readonly seconds: number;
  readonly sinkMessagesPerSec: number;
  /** Per sink message: from its source's `send` call to its egress record reaching the reader. */
  readonly latency: LatencyMs;
  /**
   * The runtime's own durations (CommittedCheckpoint.durationMs) of the checkpoints that
   * committed meanwhile; `samples` is their count.
   */
  readonly checkpointDurations: LatencyMs;
  /** Messages those checkpoints recorded in flight (written to the state engine). */
  readonly inFlightMessages: number;
  /** Growth of the runtime's counters (RuntimeStats, summed over shards) meanwhile. */
  readonly barriersOvertaken: number;
  readonly barrierTimeouts: number;
  readonly setAside: number;
  readonly spilled: number;
};

/**
 * Durable ingress: concurrent senders awaiting `rt.send`, or `rt.sendAll` of `batch`
 * messages (resolved once fsynced).
 */
export type IngressResult = {
  readonly kind: 'ingress';
  readonly settings: RuntimeSettings;
  readonly senders: number;
  /** Messages per call: absent or 1 for `rt.send`, more for `rt.sendAll`. */
  readonly batch?: number | undefined;
  /** Messages acknowledged. */
  readonly messages: number;
  /** From the first send to the last acknowledgement. */
  readonly seconds: number;
  readonly messagesPerSec: number;
  /** Per call (a send, or a sendAll of `batch`): from the call to its acknowledgement. */
  readonly latency: LatencyMs;
};

/** Messages per call of an ingress run: 1 for `rt.send`. */
export function ingressBatchOf(result: IngressResult): number {
  return result.batch ?? 1;
}

/** One `rt.checkpoint()` call. */
export type CheckpointFigures = {
  /** Wall time of the awaited call. */
  readonly wallSeconds: number;
  /** The runtime's own figure (CommittedCheckpoint.durationMs). */
  readonly durationMs: number;
  /** Bytes the checkpoint store did not hold yet (CommittedCheckpoint.bytesCopied). */
  readonly bytesCopied: number;
  /** Bytes of every file the checkpoint uses (CommittedCheckpoint.totalBytes). */
  readonly totalBytes: number;
};

/** Checkpoints of one instance count: full after loading, incremental after a small change. */
export type StateSizeResult = {
  readonly kind: 'state-size';
  readonly settings: RuntimeSettings;
  readonly instances: number;
  readonly stateValueBytes: number;
  /** Loading every instance (one invocation each), until idle. */
  readonly loadSeconds: number;
  readonly full: CheckpointFigures;
  readonly changedInstances: number;
  readonly incremental: CheckpointFigures;
};

/** `Runtime.start` after a crash of a runtime holding `instances` instances. */
export type RecoveryResult = {
  readonly kind: 'recovery';
  readonly settings: RuntimeSettings;
  readonly instances: number;
  /** totalBytes of the checkpoint recovered from. */
  readonly checkpointBytes: number;
  /** Ingress messages after that checkpoint, replayed by the restart. */
  readonly replayedMessages: number;
  /** Until `Runtime.start` resolved. */
  readonly startSeconds: number;
  /** Until `rt.idle()` resolved after it: the replay is done. */
  readonly startToIdleSeconds: number;
  /** Instances whose recovered count was checked through the egress afterwards. */
  readonly probedInstances: number;
};

/** Any one workload's result. */
export type RuntimeWorkloadResult =
  | CounterResult
  | FanOutResult
  | PingPongResult
  | BacklogCheckpointResult
  | IngressResult
  | StateSizeResult
  | RecoveryResult;

/** A workload that threw or whose verification failed: no figure is reported for it. */
export type RuntimeFailure = {
  readonly workload: string;
  readonly error: string;
};

/** What the Restate peer reported (bench/runtime/restate/restate-counter.ts). */
export type RestateCounterFigures = {
  readonly serverVersion: string;
  readonly sdkVersion: string;
  readonly invocations: number;
  readonly concurrency: number;
  readonly ids: number;
  readonly seconds: number;
  readonly invocationsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Counters the peer checked after its run, when it says. */
  readonly checkedKeys?: number | undefined;
  /** Calls whose returned values it checked, when it says. */
  readonly checkedCalls?: number | undefined;
};

/** The Restate peer as the report sees it: figures, why there are none, or skipped. */
export type RestateOutcome = {
  readonly result: RestateCounterFigures | undefined;
  /** Set when it was run and failed; undefined with no result means it was skipped. */
  readonly error: string | undefined;
};

/** The whole runtime part of one run. */
export type RuntimeRun = {
  readonly plan: RuntimeBenchPlan;
  /** statefn's package version. */
  readonly statefnVersion: string;
  readonly results: readonly RuntimeWorkloadResult[];
  readonly failures: readonly RuntimeFailure[];
  readonly restate: RestateOutcome;
  /** Kernel-reported peak RSS (maxRSS) of the main runtime runner. */
  readonly peakRssBytes: number;
  /** Set when a runner failed as a whole (crashed, hung, or could not start). */
  readonly error: string | undefined;
};
