/**
 * What a run measured, as plain data: the store runners send it to the coordinator, which
 * writes it as JSON and renders the markdown report from it. Nothing in the report is typed
 * by hand; every figure comes from one of these records.
 */
import type { CheckpointRun } from '../checkpoint/checkpoint-results.js';
import type { LatencySummary } from '../measure/latency-recorder.js';
import type { RuntimeRun } from '../runtime/runtime-results.js';
import type { WorkloadSizes } from '../workloads/workload.js';

/** One workload on one store. */
export type WorkloadResult = {
  readonly store: string;
  readonly workload: string;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  /** db_bench's MB/s: key and value bytes per second, in units of 2^20 bytes. */
  readonly mbPerSec: number;
  readonly latency: LatencySummary;
  readonly latencyUnit: string;
  /** Highest RSS sampled during this workload. */
  readonly peakRssBytes: number;
  /** The store's directory size right after the workload. */
  readonly diskBytes: number;
  readonly notes: readonly string[];
};

/** A workload that threw instead of finishing. */
export type WorkloadFailure = {
  readonly store: string;
  readonly workload: string;
  readonly error: string;
};

/** Everything measured for one store, in its own child process. */
export type StoreRun = {
  readonly store: string;
  readonly packageName: string;
  readonly version: string;
  readonly apiSummary: string;
  readonly results: readonly WorkloadResult[];
  readonly failures: readonly WorkloadFailure[];
  /** The child's kernel-reported peak RSS (getrusage maxRSS) over its whole run. */
  readonly peakRssBytes: number;
  /** Set when the child failed as a whole (could not load the store, crashed, or hung). */
  readonly error: string | undefined;
};

/** The machine and software a run measured on. */
export type MachineInfo = {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly date: string;
  /** statefn's commit, with `+dirty` when the measured code had uncommitted changes. */
  readonly commit: string;
  readonly dataDir: string;
  /** File system type of the data directory, e.g. ext4; tmpfs makes fsync figures meaningless. */
  readonly dataDirFileSystem: string;
};

/** A whole run. */
export type BenchReport = {
  readonly machine: MachineInfo;
  readonly size: string;
  readonly sizes: WorkloadSizes;
  readonly seed: number;
  readonly blockCacheBytes: number;
  readonly writeBufferBytes: number;
  readonly workloads: readonly string[];
  readonly runs: readonly StoreRun[];
  /** The checkpoint benchmark (bench/checkpoint/); absent when it was not run. */
  readonly checkpoint?: CheckpointRun | undefined;
  /** The runtime benchmark (bench/runtime/); absent when it was not run. */
  readonly runtime?: RuntimeRun | undefined;
  /** The machine when the runtime benchmark started (its commit also checks runtime/). */
  readonly runtimeMachine?: MachineInfo | undefined;
};
