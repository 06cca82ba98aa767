/**
 * The contract of a db_bench workload: what database state it needs, what it leaves, and how
 * it measures. A workload times only the store calls of its loop plus the key and value
 * generation that db_bench also does inside its loop; opening, preparing and closing stores
 * are the harness's business and are never timed.
 */
import type { KeyGenerator } from '../data/key-generator.js';
import type { SeededRandom } from '../data/seeded-random.js';
import type { ValueGenerator } from '../data/value-generator.js';
import type { LatencySummary } from '../measure/latency-recorder.js';
import type { ProgressMeter } from '../measure/progress-meter.js';
import type { BenchStore } from '../stores/store.js';

/** How many operations each kind of workload performs. */
export type WorkloadSizes = {
  /** Keys in the key space; fills write this many. */
  readonly num: number;
  /** Point reads, keys read by multi-gets, and entries read by scans. */
  readonly reads: number;
  /** Seeks of seekrandom. */
  readonly seeks: number;
  /** Acknowledged durable writes of fillsync (one writer). */
  readonly syncOps: number;
  /** Acknowledged durable writes of fillsync64 (64 writers). */
  readonly sync64Ops: number;
};

/** What a workload needs before it starts. */
export type DbRequirement =
  /** An empty database of its own (db_bench's fresh_db). */
  | 'fresh'
  /** A database holding every key of the key space. */
  | 'loaded';

/** What a workload leaves behind. */
export type DbOutcome =
  /** Every key of the key space is present. */
  | 'loaded'
  /** Only some keys are present. */
  | 'partial';

/** Everything a workload gets from the harness. */
export type WorkloadContext = {
  readonly store: BenchStore;
  readonly keys: KeyGenerator;
  readonly values: ValueGenerator;
  /** Seeded for this workload alone, so its operations do not depend on which ran before. */
  readonly random: SeededRandom;
  readonly sizes: WorkloadSizes;
  /** Starts the progress meter of the timed loop. */
  readonly meter: (total: number) => ProgressMeter;
};

/** What one run of a workload measured. */
export type WorkloadMeasurement = {
  /** Operations completed: writes, reads, keys of multi-gets, entries of scans, or seeks. */
  readonly ops: number;
  /** Wall time of the timed loop. */
  readonly elapsedNs: number;
  /** Key and value bytes moved, for MB/s. */
  readonly bytes: number;
  readonly latency: LatencySummary;
  /** Lines for the report, e.g. the writer's rate in readwhilewriting. */
  readonly notes: readonly string[];
};

/** A db_bench workload. */
export interface Workload {
  /** db_bench's name, as typed after `--workloads`. */
  readonly name: string;
  /** What one latency sample covers, e.g. `one get` or `a batch of 1000 puts`. */
  readonly latencyUnit: string;
  /** How the workload runs, for the report's method section. */
  readonly method: string;
  readonly requires: DbRequirement;
  readonly leaves: DbOutcome;
  run(context: WorkloadContext): Promise<WorkloadMeasurement>;
}
