/**
 * The demo's live progress: on a terminal, one line rewritten in place (`\r`) ten times a
 * second; otherwise (a pipe, a CI log) a plain line every two seconds, and the last figures
 * once more when the display stops. Either way something is printed regularly, since a timer
 * redraws even when no report arrived (during a recovery, a drain, the verification).
 * Messages that must stay (the kill, the recovery) go through {@link ProgressDisplay.log},
 * which clears the live line first.
 *
 * The line fits in PROGRESS_COLUMNS (a narrower terminal gets it cut at its width):
 *
 *   [██████████░░░░░░]  62% 620.0k ev  18.4k ev/s  31 ckpt  8.1k egress  L0:2 L1:5 L2:1  34s producing
 */

/** What the progress line shows. */
export interface ProgressSnapshot {
  /** What is happening now, e.g. "producing" or "recovering". */
  phase: string;
  /** Events acknowledged so far. */
  acked: number;
  /** Events in the stream. */
  events: number;
  checkpoints: number;
  egressRecords: number;
  /** SST files per level of the state engine, L0 first (empty deeper levels left out). */
  levels: readonly number[];
}

/** Where the display writes: a stream, maybe a terminal. */
export interface DisplayOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/**
 * The progress line is at most this wide: it fits a 100-column terminal with the last column
 * free, so the cursor never wraps to a new line.
 */
export const PROGRESS_COLUMNS = 99;

const BAR_WIDTH = 16;
const TTY_INTERVAL_MS = 100;
const PLAIN_INTERVAL_MS = 2000;
/** The events/s figure is the rate over this much recent time. */
const RATE_WINDOW_MS = 2000;

/** `x` in at most 6 characters: 987, 12.3k, 456.7k, 1.20M. */
export function compactCount(x: number): string {
  if (x < 1000) return String(Math.round(x));
  if (x < 999_950) return `${(x / 1000).toFixed(1)}k`;
  return `${(x / 1_000_000).toFixed(2)}M`;
}

/** `L0:2 L1:5 L2:1`: files per level, up to the deepest level that has any (L0 at least). */
export function renderLevels(levels: readonly number[]): string {
  let last = 0;
  for (let i = 0; i < levels.length; i++) if (levels[i]! > 0) last = i;
  const parts: string[] = [];
  for (let i = 0; i <= last; i++) parts.push(`L${i}:${levels[i] ?? 0}`);
  return parts.join(' ');
}

/**
 * The progress line for `s` at `elapsedMs`, with `eventsPerSecond` the recent rate; at most
 * PROGRESS_COLUMNS characters (the elapsed time goes first if it would not fit).
 */
export function renderProgress(
  s: ProgressSnapshot,
  elapsedMs: number,
  eventsPerSecond: number,
  tty: boolean,
): string {
  const fraction = s.events === 0 ? 1 : Math.min(1, s.acked / s.events);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = tty
    ? '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled)
    : '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const head =
    `[${bar}] ${percent} ${compactCount(s.acked)} ev  ${compactCount(eventsPerSecond)} ev/s  ` +
    `${s.checkpoints} ckpt  ${compactCount(s.egressRecords)} egress  ${renderLevels(s.levels)}`;
  const line = `${head}  ${Math.floor(elapsedMs / 1000)}s ${s.phase}`;
  return line.length <= PROGRESS_COLUMNS ? line : `${head}  ${s.phase}`.slice(0, PROGRESS_COLUMNS);
}

/** Keeps the progress line up to date on `out`. */
export class ProgressDisplay {
  readonly #out: DisplayOutput;
  readonly #tty: boolean;
  readonly #startMs = performance.now();
  readonly #samples: [number, number][] = [];
  #snapshot: ProgressSnapshot;
  #timer: NodeJS.Timeout | undefined;
  #shown = false;

  constructor(out: DisplayOutput, initial: ProgressSnapshot) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#snapshot = initial;
  }

  /** Starts redrawing on a timer. */
  start(): void {
    this.#timer ??= setInterval(() => this.#draw(), this.#tty ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS);
  }

  /** Takes new figures; they show at the next redraw. */
  update(changes: Partial<ProgressSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...changes };
  }

  /** The figures shown. */
  get snapshot(): ProgressSnapshot {
    return this.#snapshot;
  }

  /** Milliseconds since the display was made. */
  get elapsedMs(): number {
    return performance.now() - this.#startMs;
  }

  /** Prints `line` to stay, above the live line. */
  log(line: string): void {
    this.#clear();
    this.#out.write(`${line}\n`);
    if (this.#tty && this.#timer !== undefined) this.#draw();
  }

  /** Stops redrawing and leaves the last figures on screen (printed again if not a terminal). */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#tty) this.#draw();
    if (this.#tty && this.#shown) this.#out.write('\n');
    this.#shown = false;
  }

  #clear(): void {
    if (this.#tty && this.#shown) this.#out.write('\r\x1b[K');
    this.#shown = false;
  }

  #rate(now: number): number {
    this.#samples.push([now, this.#snapshot.acked]);
    while (this.#samples.length > 2 && this.#samples[0]![0] < now - RATE_WINDOW_MS) this.#samples.shift();
    const [t0, a0] = this.#samples[0]!;
    return now > t0 ? ((this.#snapshot.acked - a0) * 1000) / (now - t0) : 0;
  }

  #draw(): void {
    const now = performance.now();
    let line = renderProgress(this.#snapshot, now - this.#startMs, this.#rate(now), this.#tty);
    if (this.#tty) {
      const width = Math.min(PROGRESS_COLUMNS, (this.#out.columns ?? PROGRESS_COLUMNS + 1) - 1);
      if (line.length > width) line = line.slice(0, width);
      this.#out.write(`\r${line}\x1b[K`);
      this.#shown = true;
    } else {
      this.#out.write(`${line}\n`);
    }
  }
}
