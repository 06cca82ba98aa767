/**
 * Waiting for a runtime without hanging the benchmark: every wait is guarded by a stall
 * timer that fails the workload when its progress counter stops moving, so a runtime bug
 * shows up as a failed workload with the counts reached, not as a run killed by the watchdog
 * (whose heartbeats the progress lines keep alive).
 */
import type { CommittedCheckpoint, Runtime } from '../../runtime/index.js';
import { runConcurrentSenders } from './concurrent-senders.js';
import { VerificationError } from './verification.js';
import { PROGRESS_INTERVAL_MS, n } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';
import type { LargestInFlight } from './runtime-results.js';

/** A wait fails after its progress has not moved for this long. */
export const DEFAULT_STALL_MS = 60_000;
const STALL_CHECK_MS = 500;

/**
 * Resolves with `waiting`, or rejects with a VerificationError naming `what` once
 * `progress()` has returned the same value for `stallMs`.
 */
export async function withStallGuard<T>(
  waiting: Promise<T>,
  progress: () => number,
  what: () => string,
  stallMs = DEFAULT_STALL_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    let last = progress();
    let lastChangeMs = performance.now();
    timer = setInterval(() => {
      const now = progress();
      if (now !== last) {
        last = now;
        lastChangeMs = performance.now();
      } else if (performance.now() - lastChangeMs >= stallMs) {
        reject(new VerificationError(`no progress for ${stallMs / 1000} s: ${what()}`));
      }
    }, STALL_CHECK_MS);
  });
  try {
    return await Promise.race([waiting, stalled]);
  } finally {
    clearInterval(timer);
  }
}

/** `rt.idle()`, failing if the runtime processes nothing for `stallMs` before it is idle. */
export async function untilIdle(rt: Runtime, label: string, stallMs = DEFAULT_STALL_MS): Promise<void> {
  const idle = rt.idle();
  // idle() keeps polling until the runtime stops; once the guard gave up, its end is moot.
  idle.catch(() => undefined);
  await withStallGuard(
    idle,
    () => rt.stats().messagesProcessed,
    () => {
      const stats = rt.stats();
      return `${label}: ${stats.messagesProcessed} processed, ${stats.inFlight} in flight, ${stats.ingressBacklog} in the ingress backlog`;
    },
    stallMs,
  );
}

/** Calls `tick` every `intervalMs` until the returned function is called. */
export function every(intervalMs: number, tick: () => void): () => void {
  const timer = setInterval(tick, intervalMs);
  return () => clearInterval(timer);
}

/**
 * Counts the checkpoints `rt` commits from now on. `rt.stats()` keeps only the last 20, so
 * the tally must be sampled at least every 20 checkpoint intervals (progress lines do it).
 */
export class CheckpointTally {
  readonly #before: ReadonlySet<string>;
  readonly #committed = new Map<string, CommittedCheckpoint>();
  readonly #rt: Runtime;
  #largestInFlight: LargestInFlight = { messages: 0, metadataBytes: 0 };

  constructor(rt: Runtime) {
    this.#rt = rt;
    this.#before = new Set(rt.stats().checkpoints.map((checkpoint) => checkpoint.id));
  }

  /** Records the checkpoints committed since the last call. */
  sample(): void {
    for (const cp of this.#rt.stats().checkpoints) {
      if (this.#before.has(cp.id)) continue;
      this.#committed.set(cp.id, cp);
      if (cp.inFlightMessages > this.#largestInFlight.messages) {
        this.#largestInFlight = { messages: cp.inFlightMessages, metadataBytes: cp.metadataBytes };
      }
    }
  }

  /** Checkpoints committed since this tally was made (the last sample's view). */
  get count(): number {
    return this.#committed.size;
  }

  /** Those checkpoints as the runtime reported them, oldest first. */
  get committed(): CommittedCheckpoint[] {
    return [...this.#committed.values()];
  }

  /** Of those, the one that recorded the most messages in flight. */
  get largestInFlight(): LargestInFlight {
    return this.#largestInFlight;
  }
}

/** What `sendRootsUntilIdle` measured. */
export interface RootsRun {
  /** From the first send until the runtime was idle. */
  seconds: number;
  /** Checkpoints committed meanwhile. */
  checkpoints: number;
  largestInFlight: LargestInFlight;
}

/**
 * The timed part of a workload that starts cascades of messages between functions: sends
 * `roots` ingress messages (`send(i)` sends root i) from up to `senders` concurrent senders,
 * then waits until the runtime is idle, logging the invocations `counted()` reports.
 */
export async function sendRootsUntilIdle(
  rt: Runtime,
  env: WorkloadEnv,
  run: {
    label: string;
    roots: number;
    senders: number;
    send: (root: number) => Promise<unknown>;
    counted: () => number;
  },
): Promise<RootsRun> {
  const checkpoints = new CheckpointTally(rt);
  const stopProgress = every(PROGRESS_INTERVAL_MS, () => {
    checkpoints.sample();
    env.log(`${run.label}: ${n(run.counted())} invocations so far`);
  });
  let started = 0;
  const startMs = performance.now();
  try {
    await runConcurrentSenders(Math.min(run.senders, run.roots), () =>
      started === run.roots ? undefined : run.send(started++),
    );
    await untilIdle(rt, run.label);
  } finally {
    stopProgress();
  }
  const seconds = (performance.now() - startMs) / 1000;
  checkpoints.sample();
  return { seconds, checkpoints: checkpoints.count, largestInFlight: checkpoints.largestInFlight };
}

/** How long `stopRuntime` lets `rt.stop()` take. */
export const STOP_TIMEOUT_MS = 60_000;

/**
 * `rt.stop()`, abandoning the runtime instead if it does not finish in `timeoutMs` (then
 * throws): a broken runtime must fail its workload, not hang the runner.
 */
export async function stopRuntime(rt: Runtime, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const stopping = rt.stop().then(() => 'stopped' as const);
    // Once abandoned after the timeout, how the stop ends is moot.
    stopping.catch(() => undefined);
    const outcome = await Promise.race([stopping, timedOut]);
    if (outcome === 'timeout') {
      rt.abandon();
      throw new VerificationError(`rt.stop() did not finish in ${timeoutMs / 1000} s; abandoned`);
    }
  } finally {
    clearTimeout(timer);
  }
}
