/**
 * Pacing of the copies a checkpoint makes into a store opened with `maxCopyBytesPerSecond`
 * (RocksDB's backup engine has the same knob, `backup_rate_limit`).
 *
 * A copy at full speed takes CPU (the kernel's copy and its writeback) and disk bandwidth
 * from the engine's flushes and compactions, on which the writers wait: on two cores the
 * checkpoint benchmark saw foreground writes drop by a fifth while a full copy ran. Paced,
 * the same bytes are spread over more time. A file is still copied at full speed; the
 * pacer then waits until the average rate since the checkpoint's first copy is back within
 * the limit, so the pacing is exact over the checkpoint and coarse within it (at most one
 * file ahead of the limit).
 */

/** Waits after each copy so that copies average at most `bytesPerSecond`. */
export class CopyPacer {
  readonly #bytesPerSecond: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #startMs: number;
  #bytes = 0;

  /**
   * `bytesPerSecond` Infinity paces nothing. `now` (milliseconds) and `sleep` are the clock,
   * replaceable in tests; the pacing interval starts now.
   */
  constructor(
    bytesPerSecond: number,
    now: () => number = () => performance.now(),
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.#bytesPerSecond = bytesPerSecond;
    this.#now = now;
    this.#sleep = sleep;
    this.#startMs = now();
  }

  /** Whether copies are limited (each copy is then fsynced before the next starts). */
  get limited(): boolean {
    return Number.isFinite(this.#bytesPerSecond);
  }

  /** Notes that `bytes` were copied, then waits as long as the copies are ahead of the limit. */
  async copied(bytes: number): Promise<void> {
    if (!this.limited) return;
    this.#bytes += bytes;
    const dueMs = this.#startMs + (this.#bytes / this.#bytesPerSecond) * 1000;
    const aheadMs = dueMs - this.#now();
    if (aheadMs > 0) await this.#sleep(aheadMs);
  }
}
