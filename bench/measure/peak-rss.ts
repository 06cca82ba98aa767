/**
 * Peak RSS within one workload. The kernel's own peak (getrusage maxRSS) covers the whole
 * process, so it cannot tell workloads apart; this samples at the points the harness controls
 * (progress ticks, a timer during async phases, the end of each workload).
 */

/** Peak resident set size seen since the last reset. */
export class PeakRss {
  #peakBytes = 0;

  /** Reads the current RSS (a cheap read of /proc/self/statm on Linux). */
  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.#peakBytes) this.#peakBytes = rss;
  }

  /** Starts a new window: forgets the old peak and takes a first sample. */
  reset(): void {
    this.#peakBytes = 0;
    this.sample();
  }

  /** Highest RSS seen since the last reset, in bytes. */
  get peakBytes(): number {
    return this.#peakBytes;
  }
}
