/**
 * Brings the engine to a quiet state before a measured checkpoint: flushes the memtable,
 * then waits until no flush or compaction is due and none has finished for a while. Without
 * this, the two stores of one step could checkpoint different versions, and the time would
 * depend on what compaction happened to be doing. Untimed.
 */
import type { Engine } from '../../engine/index.js';
import { PROGRESS_INTERVAL_MS } from '../measure/progress-meter.js';
import type { SettleMeasure } from './checkpoint-results.js';

/** The engine counts as settled once nothing changed in its levels for this long. */
const QUIET_MS = 1000;
const POLL_MS = 100;

/** Flushes `db` and waits (at most `maxSeconds`) for its compactions to settle. */
export async function settleEngine(
  db: Engine,
  before: string,
  maxSeconds: number,
  log: (line: string) => void,
): Promise<SettleMeasure> {
  const start = performance.now();
  await db.flush();
  let lastActivity = -1;
  let quietSince = performance.now();
  let lastPrint = performance.now();
  for (;;) {
    const stats = db.stats();
    const activity = stats.flushes + stats.compactions + stats.trivialMoves;
    const maxScore = Math.max(0, ...stats.levels.map((level) => level.score));
    const due = stats.immutableMemtables > 0 || maxScore >= 1;
    const now = performance.now();
    if (activity !== lastActivity || due) {
      lastActivity = activity;
      quietSince = now;
    }
    const seconds = (now - start) / 1000;
    if (now - quietSince >= QUIET_MS) return { before, seconds, settled: true };
    if (seconds >= maxSeconds) {
      log(`settling before ${before}: compaction still due after ${maxSeconds} s; going on`);
      return { before, seconds, settled: false };
    }
    if (now - lastPrint >= PROGRESS_INTERVAL_MS) {
      lastPrint = now;
      const l0 = stats.levels[0]?.files ?? 0;
      log(
        `settling before ${before}: ${seconds.toFixed(0)} s, L0 ${l0} files, max score ${maxScore.toFixed(2)}, ${stats.compactions} compactions so far`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
