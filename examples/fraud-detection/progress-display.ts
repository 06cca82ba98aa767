/**
 * The demo's live progress: on a terminal, one line rewritten in place (`\r`) ten times a
 * second; otherwise (a pipe, a CI log) a plain line once a second. Either way something is
 * printed at least once a second, since a timer redraws even when no report arrived (during
 * a recovery, a drain, the verification). Messages that must stay (the kill, the recovery)
 * go through {@link ProgressDisplay.log}, which clears the live line first.
 */

/** What the progress line shows. */
export interface ProgressSnapshot {
  /** What is happening now, e.g. "producing" or "recovering". */
  phase: string;
  /** Events acknowledged so far. */
  acked: number;
  /** Events in the stream. */
  events: number;
  invocations: number;
  checkpoints: number;
  egressRecords: number;
  /** Ingress messages accepted but not processed yet. */
  backlog: number;
}

/** Where the display writes: a stream, maybe a terminal. */
export interface DisplayOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

const BAR_WIDTH = 24;
const TTY_INTERVAL_MS = 100;
const PLAIN_INTERVAL_MS = 1000;
/** The events/s figure is the rate over this much recent time. */
const RATE_WINDOW_MS = 2000;

function n(x: number): string {
  return x.toLocaleString('en-US');
}

function compact(x: number): string {
  if (x >= 10_000) return `${(x / 1000).toFixed(1)}k`;
  return String(Math.round(x));
}

/** The progress line for `s` at `elapsedMs`, with `eventsPerSecond` the recent rate. */
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
  return (
    `[${bar}] ${percent} ${n(s.acked)}/${n(s.events)} events  ${compact(eventsPerSecond)} ev/s  ` +
    `${n(s.invocations)} invocations  ${s.checkpoints} checkpoints  ${n(s.egressRecords)} egress records  ` +
    `backlog ${n(s.backlog)}  ${(elapsedMs / 1000).toFixed(1)}s  ${s.phase}`
  );
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

  /** Stops redrawing and leaves the last line on screen. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
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
      const width = (this.#out.columns ?? 120) - 1;
      if (line.length > width) line = line.slice(0, width);
      this.#out.write(`\r${line}\x1b[K`);
      this.#shown = true;
    } else {
      this.#out.write(`${line}\n`);
    }
  }
}
