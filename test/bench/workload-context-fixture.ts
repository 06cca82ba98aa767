// A WorkloadContext for running a workload in a test, as bench/store-runner.ts builds one,
// with a progress meter that prints nothing.
import { KeyGenerator } from '../../bench/data/key-generator.js';
import { SeededRandom } from '../../bench/data/seeded-random.js';
import { ValueGenerator } from '../../bench/data/value-generator.js';
import { PeakRss } from '../../bench/measure/peak-rss.js';
import { ProgressMeter } from '../../bench/measure/progress-meter.js';
import type { BenchStore } from '../../bench/stores/store.js';
import type { WorkloadContext } from '../../bench/workloads/workload.js';

/**
 * Contexts over `store` for a key space of `keyCount` keys, `reads` reads, and the given
 * seed; each label seeds its own random, as the runner's do.
 */
export function workloadContexts(
  store: BenchStore,
  { keyCount, reads, seed }: { keyCount: number; reads: number; seed: number },
): (label: string) => WorkloadContext {
  const keys = new KeyGenerator(keyCount);
  const values = new ValueGenerator(new SeededRandom(seed));
  return (label) => ({
    store,
    keys,
    values,
    random: SeededRandom.derive(seed, label),
    sizes: { num: keyCount, reads, seeks: 100, syncOps: 10, sync64Ops: 10 },
    meter: (total) => new ProgressMeter(label, total, () => undefined, new PeakRss()),
  });
}
