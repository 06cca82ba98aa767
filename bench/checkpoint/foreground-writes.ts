/**
 * Foreground write throughput over a fixed window, optionally while checkpoints run back to
 * back: one writer overwrites random keys in batches of 1000, awaiting each batch before the
 * next (no fsync), as db_bench's overwrite does. The checkpoints share the event loop with the
 * writer, so any synchronous work a checkpoint does on the main thread shows up here.
 *
 * The writer yields to the event loop (setImmediate) after every batch, as an application
 * that also serves I/O does. Without that, an awaited write that completes through microtasks
 * alone never lets timers and I/O callbacks run until the memtable fills and writes stall:
 * a checkpoint started beside it then makes no progress at all, and "no drop" means nothing.
 */
import type { Engine } from '../../engine/index.js';
import { WriteBatch } from '../../engine/index.js';
import type { KeyGenerator } from '../data/key-generator.js';
import type { SeededRandom } from '../data/seeded-random.js';
import type { ValueGenerator } from '../data/value-generator.js';
import { now } from '../measure/clock.js';
import { LatencyRecorder } from '../measure/latency-recorder.js';
import { PROGRESS_INTERVAL_MS } from '../measure/progress-meter.js';
import type { ForegroundLoad, ForegroundWindow } from './checkpoint-results.js';

/** Puts per batch, as in the fill workloads. */
export const FOREGROUND_BATCH_SIZE = 1000;

/** What the writer writes. */
export type WriterInput = {
  readonly db: Engine;
  readonly keys: KeyGenerator;
  readonly values: ValueGenerator;
  readonly random: SeededRandom;
};

/**
 * Something that runs in the background of a window: `start` begins it, `stop` asks it to
 * end and resolves with the durations of the checkpoints completed before `stop` was called.
 */
export type BackgroundLoad = {
  readonly load: ForegroundLoad;
  start(): void;
  stop(): Promise<number[]>;
};

/** Writes for `seconds` and reports the throughput; `load` runs meanwhile if given. */
export async function measureForegroundWindow(
  input: WriterInput,
  label: string,
  seconds: number,
  load: BackgroundLoad | undefined,
  log: (line: string) => void,
): Promise<ForegroundWindow> {
  const { db, keys, values, random } = input;
  // Sized for a generous rate; past it the recorder samples every k-th batch.
  const latency = new LatencyRecorder(Math.ceil(seconds * 2_000));
  const batch = new WriteBatch();
  let ops = 0;
  log(`${label}: writing for ${seconds} s`);
  load?.start();
  const startMs = performance.now();
  const endMs = startMs + seconds * 1000;
  let lastPrint = startMs;
  let nowMs = startMs;
  let checkpointSeconds: number[] = [];
  try {
    while (nowMs < endMs) {
      batch.clear();
      for (let i = 0; i < FOREGROUND_BATCH_SIZE; i++)
        batch.put(keys.keyAt(keys.randomIndex(random)), values.next());
      const batchStart = now();
      await db.write(batch, { sync: false });
      latency.record(now() - batchStart);
      ops += FOREGROUND_BATCH_SIZE;
      await new Promise((resolve) => setImmediate(resolve));
      nowMs = performance.now();
      if (nowMs - lastPrint >= PROGRESS_INTERVAL_MS) {
        lastPrint = nowMs;
        log(
          `${label}: ${((nowMs - startMs) / 1000).toFixed(0)} s, ${Math.round(ops / ((nowMs - startMs) / 1000)).toLocaleString('en-US')} writes/s so far`,
        );
      }
    }
  } finally {
    // Also on a failed write: no checkpoint may outlive the window.
    if (load !== undefined) checkpointSeconds = await load.stop();
  }
  const elapsed = (nowMs - startMs) / 1000;
  return {
    label,
    during: load?.load ?? 'none',
    seconds: elapsed,
    ops,
    opsPerSec: ops / elapsed,
    latency: latency.summary(),
    checkpoints: checkpointSeconds.length,
    checkpointSeconds,
  };
}
