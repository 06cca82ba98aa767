/** Made-up store-workload results and reports, for the report tests. */
import type { BenchReport, StoreRun, WorkloadResult } from '../../bench/report/results.js';

/** One store's result for one workload at `opsPerSec`, plausible elsewhere; `extra` overrides. */
export function result(
  store: string,
  workload: string,
  opsPerSec: number,
  extra: Partial<WorkloadResult> = {},
): WorkloadResult {
  return {
    store,
    workload,
    ops: 1_000,
    seconds: 1_000 / opsPerSec,
    opsPerSec,
    mbPerSec: (opsPerSec * 116) / (1 << 20),
    latency: { p50Ns: 1_500, p99Ns: 4_250_000, maxNs: 9_000_000, samples: 1_000 },
    latencyUnit: 'one get',
    peakRssBytes: 150 * (1 << 20),
    diskBytes: 12 * (1 << 20),
    notes: [],
    ...extra,
  };
}

/** One store's run holding `results`; `extra` overrides. */
export function run(store: string, results: WorkloadResult[], extra: Partial<StoreRun> = {}): StoreRun {
  return {
    store,
    packageName: store,
    version: '1.2.3',
    apiSummary: `${store} api`,
    results,
    failures: [],
    peakRssBytes: 200 * (1 << 20),
    error: undefined,
    ...extra,
  };
}

/** A store-workload BenchReport around `runs`, on a made-up machine. */
export function storeReport(runs: StoreRun[], workloads: string[]): BenchReport {
  return {
    machine: {
      cpuModel: 'Test CPU',
      cores: 2,
      memoryBytes: 8 * (1 << 30),
      os: 'TestOS',
      node: 'v20.0.0',
      date: '2030-01-02T03:04:05.000Z',
      commit: 'abc1234',
      dataDir: '/tmp/x',
      dataDirFileSystem: 'ext4',
    },
    size: 'quick',
    sizes: { num: 1_000, reads: 1_000, seeks: 100, syncOps: 10, sync64Ops: 50 },
    seed: 1,
    blockCacheBytes: 1 << 20,
    writeBufferBytes: 1 << 20,
    workloads,
    runs,
  };
}
