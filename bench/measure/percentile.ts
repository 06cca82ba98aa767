/**
 * Nearest-rank percentiles: the reported p99 is a latency some operation actually had, never
 * an interpolation between two.
 */

/**
 * The `p`-th percentile (0–100) of ascending `sorted` samples by the nearest-rank method: the
 * smallest sample that at least `p`% of the samples are less than or equal to.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile: no samples');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be in [0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]!;
}
