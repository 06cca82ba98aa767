/**
 * Prints a progress line every second while a phase of the Restate run lasts: the run spends
 * its time awaiting (server startup, HTTP calls), so unlike the storage benchmarks' synchronous
 * loops a timer can report on it.
 */

/** Receives progress lines. */
export type ProgressSink = (line: string) => void;

/** Interval between progress lines. */
export const TICK_MS = 1_000;

/** Reports the current phase, with its own detail line, once per {@link TICK_MS}. */
export class PhaseTicker {
  readonly #sink: ProgressSink | undefined;
  #label = '';
  #detail: (elapsedMs: number) => string = () => '';
  #startMs = performance.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(sink: ProgressSink | undefined) {
    this.#sink = sink;
  }

  /** Starts a phase: prints its label now, then `detail` every second until the next phase. */
  phase(label: string, detail: (elapsedMs: number) => string = () => ''): void {
    if (this.#sink === undefined) return;
    this.#label = label;
    this.#detail = detail;
    this.#startMs = performance.now();
    this.#sink(`restate: ${label}`);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), TICK_MS);
      this.#timer.unref();
    }
  }

  /** Stops the timer; safe to call more than once. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const elapsedMs = performance.now() - this.#startMs;
    const detail = this.#detail(elapsedMs);
    const seconds = (elapsedMs / 1000).toFixed(0);
    this.#sink?.(`restate: ${this.#label}, ${seconds} s${detail === '' ? '' : `: ${detail}`}`);
  }
}
