/**
 * Time and scheduling, injectable so a test can run the runtime deterministically: a
 * ManualClock advances only when told, and a SeededScheduler runs ready tasks in an order
 * drawn from a seed. Production uses the system clock and setImmediate.
 */

/** A cancellable pending timer. */
export interface TimerHandle {
  cancel(): void;
}

/** Wall-clock time and timers. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` once `delayMs` have passed. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
}

/** Runs tasks soon, never synchronously inside `schedule`. */
export interface Scheduler {
  schedule(task: () => void): void;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    // setTimeout fires at once for delays beyond 2^31 - 1 ms; the caller re-arms when a
    // clamped timer fires early (shards compare with now()).
    const t = setTimeout(callback, Math.min(Math.max(0, delayMs), 2 ** 31 - 1));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
}

/** setImmediate: lets I/O callbacks (the ingress log's fsyncs) run between tasks. */
export class ImmediateScheduler implements Scheduler {
  schedule(task: () => void): void {
    setImmediate(task);
  }
}

/** A clock that moves only when `advance` is called, firing due timers in time order. */
export class ManualClock implements Clock {
  #now: number;
  #next = 0;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + Math.max(0, delayMs), callback });
    return { cancel: () => this.#timers.delete(id) };
  }

  /** When the earliest pending timer fires, or undefined if none is pending. */
  nextTimerAt(): number | undefined {
    let at: number | undefined;
    for (const t of this.#timers.values()) if (at === undefined || t.at < at) at = t.at;
    return at;
  }

  /** Moves time forward by `ms`, running each timer that falls due, in time order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let dueId: number | undefined;
      let due: { at: number; callback: () => void } | undefined;
      for (const [id, t] of this.#timers) {
        if (t.at <= target && (due === undefined || t.at < due.at)) {
          dueId = id;
          due = t;
        }
      }
      if (due === undefined || dueId === undefined) break;
      this.#timers.delete(dueId);
      this.#now = Math.max(this.#now, due.at);
      due.callback();
    }
    this.#now = target;
  }
}

/**
 * Runs scheduled tasks in a seeded random order when `run` is called, so an interleaving
 * of shards that fails a test can be replayed exactly from its seed.
 */
export class SeededScheduler implements Scheduler {
  readonly #ready: (() => void)[] = [];
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }

  schedule(task: () => void): void {
    this.#ready.push(task);
  }

  get pending(): number {
    return this.#ready.length;
  }

  #random(): number {
    // xorshift32: small, fast and fully determined by the seed.
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state / 0x1_0000_0000;
  }

  /** Runs one ready task, chosen by the seed; false if none was ready. */
  step(): boolean {
    if (this.#ready.length === 0) return false;
    const i = Math.floor(this.#random() * this.#ready.length);
    const task = this.#ready[i]!;
    this.#ready[i] = this.#ready[this.#ready.length - 1]!;
    this.#ready.pop();
    task();
    return true;
  }
}
