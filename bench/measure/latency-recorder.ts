/**
 * Records latencies into a buffer allocated before the timed loop, so recording allocates
 * nothing and adds no GC work to the measurement. Past `maxSamples` events it keeps every
 * k-th one (k fixed up front from the expected count), which bounds memory on 10M-op runs.
 */
import { percentile } from './percentile.js';

/** Percentiles of the recorded latencies, in nanoseconds. */
export type LatencySummary = {
  readonly p50Ns: number;
  readonly p99Ns: number;
  readonly maxNs: number;
  readonly samples: number;
};

/** Default cap on stored samples: 8 MiB of Float64. */
export const DEFAULT_MAX_SAMPLES = 1 << 20;

/** Collects latencies of one workload. */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  readonly #stride: number;
  #events = 0;
  #count = 0;

  /** `expectedEvents` sizes the buffer; more events than that still record, but sparser. */
  constructor(expectedEvents: number, maxSamples = DEFAULT_MAX_SAMPLES) {
    const capacity = Math.max(1, Math.min(expectedEvents, maxSamples));
    this.#stride = Math.max(1, Math.ceil(expectedEvents / capacity));
    this.#samples = new Float64Array(capacity);
  }

  /** Records one latency measured with process.hrtime.bigint(). */
  record(elapsedNs: bigint): void {
    if (this.#events++ % this.#stride !== 0 || this.#count === this.#samples.length) return;
    this.#samples[this.#count++] = Number(elapsedNs);
  }

  /** Percentiles of what was recorded; sorts the samples in place. */
  summary(): LatencySummary {
    if (this.#count === 0) return { p50Ns: 0, p99Ns: 0, maxNs: 0, samples: 0 };
    const sorted = this.#samples.subarray(0, this.#count).sort();
    return {
      p50Ns: percentile(sorted, 50),
      p99Ns: percentile(sorted, 99),
      maxNs: sorted[sorted.length - 1]!,
      samples: this.#count,
    };
  }
}
