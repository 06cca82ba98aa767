/**
 * Progress of long work (verify, restore, bench): on a terminal, one line redrawn in place at
 * most ten times a second; otherwise (a pipe, a CI log) a plain line at most once a second.
 * Either way a line appears at least once a second while the work lasts — a timer redraws
 * when no update came — so nothing is silent for more than a second. Progress goes to
 * stderr, so `--json` output on stdout stays one document.
 *
 * Updates are also drawn from inside `update` when due: verification runs synchronously for
 * a whole file, during which no timer can fire.
 */
import type { OutputStream } from '../command.js';
import { formatBytes, formatCount, formatDuration } from './format.js';

const BAR_WIDTH = 24;
const TTY_INTERVAL_MS = 100;
const PLAIN_INTERVAL_MS = 1000;

/** How `done` and `total` are shown. */
export type ProgressUnit = 'bytes' | 'count';

/** Options of a Progress line. */
export interface ProgressOptions {
  /** How amounts are shown. Default 'bytes'. */
  unit?: ProgressUnit;
  /** Shown after the figures, e.g. "3 files, 1.2 MiB". */
  detail?: string;
  /** `performance.now()` when the work started, for the elapsed time. Default: now. */
  startMs?: number;
}

/** A progress line for one piece of long work. */
export class Progress {
  readonly #out: OutputStream;
  readonly #label: string;
  readonly #unit: ProgressUnit;
  readonly #tty: boolean;
  readonly #startMs: number;
  #done = 0;
  #total: number | undefined;
  #detail = '';
  #lastDrawMs = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #lineShown = false;

  /**
   * Starts showing `label` on `out`. Without a total (`update` never gives one) the line
   * shows the elapsed time only.
   */
  constructor(out: OutputStream, label: string, options: ProgressOptions = {}) {
    this.#out = out;
    this.#label = label;
    this.#unit = options.unit ?? 'bytes';
    this.#detail = options.detail ?? '';
    this.#startMs = options.startMs ?? performance.now();
    this.#tty = out.isTTY === true;
    this.#timer = setInterval(() => this.#draw(), this.#tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS);
    this.#timer.unref();
    this.#draw();
  }

  /** Records progress; draws if a line is due. */
  update(done: number, total?: number, detail?: string): void {
    this.#done = done;
    if (total !== undefined) this.#total = total;
    if (detail !== undefined) this.#detail = detail;
    const interval = this.#tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS;
    if (performance.now() - this.#lastDrawMs >= interval) this.#draw();
  }

  /** Stops the timer and clears the live line (a terminal) — the caller prints the outcome. */
  finish(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#tty && this.#lineShown) this.#out.write('\r\x1b[2K');
  }

  /** The line as it would be drawn now (exported for tests of the format). */
  render(): string {
    const elapsed = formatDuration(performance.now() - this.#startMs);
    const detail = this.#detail === '' ? '' : `  ${this.#detail}`;
    const total = this.#total;
    if (total === undefined) return `${this.#label}  ${elapsed}${detail}`;
    const fraction = total === 0 ? 1 : Math.min(1, this.#done / total);
    const filled = Math.round(fraction * BAR_WIDTH);
    const bar = this.#tty
      ? '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled)
      : '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const show = this.#unit === 'bytes' ? formatBytes : formatCount;
    return `${this.#label} [${bar}] ${percent}  ${show(this.#done)} / ${show(total)}  ${elapsed}${detail}`;
  }

  #draw(): void {
    if (this.#timer === undefined) return;
    this.#lastDrawMs = performance.now();
    let line = this.render();
    if (this.#tty) {
      const width = this.#out.columns;
      if (width !== undefined && width > 0 && line.length >= width) line = line.slice(0, width - 1);
      this.#out.write(`\r\x1b[2K${line}`);
    } else {
      this.#out.write(`${line}\n`);
    }
    this.#lineShown = true;
  }
}

/** Runs `work` with a progress line labelled `label`, finishing the line however it ends. */
export async function withProgress<T>(
  out: OutputStream,
  label: string,
  options: ProgressOptions,
  work: (progress: Progress) => Promise<T>,
): Promise<T> {
  const progress = new Progress(out, label, options);
  try {
    return await work(progress);
  } finally {
    progress.finish();
  }
}
