/**
 * Per-message latencies in milliseconds (performance.now() differences), kept in a typed
 * array that doubles as it fills, so recording allocates nothing per message and a run's
 * length need not be known in advance (the timed workloads run for a duration).
 */
import { percentile } from '../measure/percentile.js';
import type { LatencyMs } from './runtime-results.js';

/** A growable array of doubles, indexed from 0. */
export class GrowableFloat64Array {
  #values: Float64Array;
  #length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.#values = new Float64Array(Math.max(16, initialCapacity));
  }

  /** Values pushed so far. */
  get length(): number {
    return this.#length;
  }

  /** Appends `value`; returns its index. */
  push(value: number): number {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length] = value;
    return this.#length++;
  }

  /** The value at `index` (which must be below `length`). */
  get(index: number): number {
    return this.#values[index]!;
  }

  /** Replaces the value at `index` (which must be below `length`). */
  set(index: number, value: number): void {
    this.#values[index] = value;
  }

  /** A view of the values pushed so far (shared: sorting it sorts them). */
  view(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }
}

/** Nearest-rank p50, p99 and the maximum of `samplesMs`; sorts them in place. */
export function summarizeLatencyMs(samplesMs: Float64Array): LatencyMs {
  if (samplesMs.length === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 };
  const sorted = samplesMs.sort();
  return {
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1]!,
    samples: sorted.length,
  };
}
