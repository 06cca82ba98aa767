/** A store-workload BenchReport around `runs`, on a made-up machine: for the report tests. */
import type { BenchReport, StoreRun } from '../../bench/report/results.js';

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
