/**
 * Keeps a long workload from going silent and samples RSS while it runs. Synchronous read
 * loops block the event loop, so a timer could neither print nor sample during them: the loop
 * calls {@link ProgressMeter.tick} instead, which looks at the clock once every 1024 ticks.
 */

import type { PeakRss } from './peak-rss.js';

/** Prints a progress line at most this often. */
export const PROGRESS_INTERVAL_MS = 2000;
const TICKS_PER_CHECK = 1024;

/** Receives progress lines. */
export type ProgressSink = (line: string) => void;

/** Progress of one workload towards `total` operations. */
export class ProgressMeter {
  readonly #label: string;
  readonly #total: number;
  readonly #sink: ProgressSink;
  readonly #rss: PeakRss;
  readonly #startMs = performance.now();
  #lastPrintMs = performance.now();
  #ticks = 0;

  constructor(label: string, total: number, sink: ProgressSink, rss: PeakRss) {
    this.#label = label;
    this.#total = total;
    this.#sink = sink;
    this.#rss = rss;
  }

  /** Call once per operation (or per batch) with the operations done so far. */
  tick(done: number): void {
    if (++this.#ticks % TICKS_PER_CHECK !== 0) return;
    this.check(done);
  }

  /** Samples RSS and prints a line if the last one is old; for loops that tick rarely. */
  check(done: number): void {
    this.#rss.sample();
    const now = performance.now();
    if (now - this.#lastPrintMs < PROGRESS_INTERVAL_MS) return;
    this.#lastPrintMs = now;
    const percent = this.#total > 0 ? Math.floor((done / this.#total) * 100) : 0;
    const rate = done / ((now - this.#startMs) / 1000);
    this.#sink(
      `${this.#label}  ${String(percent).padStart(3)}%  ${done.toLocaleString('en-US')} ops  ` +
        `${Math.round(rate).toLocaleString('en-US')} ops/s so far`,
    );
  }
}
