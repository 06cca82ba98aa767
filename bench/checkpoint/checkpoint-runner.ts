/**
 * Child-process entry of the checkpoint benchmark (issue 3), started by run.ts after the
 * store workloads. In its own process so that its peak RSS is its own and a hang is caught by
 * the coordinator's watchdog. The steps, in order:
 *
 *   1. the disk's sequential write and read speed, before anything else loads the disk;
 *   2. load `keys` keys with fillrandom into a fresh engine;
 *   3. full checkpoint into a link store and a copy store (same disk);
 *   4. overwrite 1% of the keys; incremental checkpoint into both stores;
 *   5. restore the incremental checkpoint from each store; verify the full one;
 *   6. foreground writes in rounds of: without checkpoints, during link checkpoints, during
 *      copy checkpoints; then once more without.
 * Before steps 3, 4 and each window of 6 the engine is flushed and left to settle (untimed).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine, NodeFileSystem, WriteBatch } from '../../engine/index.js';
import type { EngineOptions } from '../../engine/index.js';
import { KeyGenerator } from '../data/key-generator.js';
import { SeededRandom } from '../data/seeded-random.js';
import { ValueGenerator } from '../data/value-generator.js';
import { PeakRss } from '../measure/peak-rss.js';
import { ProgressMeter } from '../measure/progress-meter.js';
import { diskUsageBytes } from '../stores/disk-usage.js';
import { ENTRY_SIZE_BYTES } from '../workloads/entry-size.js';
import { isCheckpointStartMessage } from './checkpoint-messages.js';
import type { CheckpointRunnerMessage, CheckpointStartMessage } from './checkpoint-messages.js';
import type {
  CheckpointBenchResult,
  CheckpointMeasure,
  ForegroundLoad,
  ForegroundWindow,
  RestoreMeasure,
  SettleMeasure,
} from './checkpoint-results.js';
import {
  backToBackCheckpoints,
  measureCheckpoint,
  measureRestore,
  measureVerify,
  openStoreTarget,
} from './checkpoint-steps.js';
import type { StoreTarget } from './checkpoint-steps.js';
import { settleEngine } from './compaction-settle.js';
import { measureDiskSpeed } from './disk-speed.js';
import { measureForegroundWindow } from './foreground-writes.js';
import type { BackgroundLoad, WriterInput } from './foreground-writes.js';

const LOAD_BATCH_SIZE = 1000;
/** The checkpoints run beside the foreground windows of each round, in this order. */
const FOREGROUND_LOADS: readonly ForegroundLoad[] = ['link', 'copy', 'paced copy'];
const RSS_TIMER_MS = 100;

function send(message: CheckpointRunnerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('checkpoint-runner: must be started by run.js with an IPC channel'));
      return;
    }
    process.send(message, undefined, {}, (error) => (error === null ? resolve() : reject(error)));
  });
}

function log(line: string): void {
  console.log(`[checkpoint] ${line}`);
  void send({ type: 'heartbeat' }).catch(() => undefined);
}

/** Writes the keys at `indices[0..count)` in batches of 1000; returns the seconds it took. */
async function writeKeys(
  db: Engine,
  keys: KeyGenerator,
  values: ValueGenerator,
  indices: Uint32Array,
  count: number,
  meter: ProgressMeter,
): Promise<number> {
  const batch = new WriteBatch();
  const start = performance.now();
  for (let done = 0; done < count;) {
    const size = Math.min(LOAD_BATCH_SIZE, count - done);
    batch.clear();
    for (let i = 0; i < size; i++) batch.put(keys.keyAt(indices[done + i]!), values.next());
    await db.write(batch, { sync: false });
    done += size;
    meter.check(done);
  }
  return (performance.now() - start) / 1000;
}

async function runBenchmark(start: CheckpointStartMessage): Promise<CheckpointBenchResult> {
  const { plan, dir, seed } = start;
  const rss = new PeakRss();
  const disk = await measureDiskSpeed(dir, plan.diskTestBytes, log);

  const engineFs = new NodeFileSystem();
  const tuning: EngineOptions = {
    writeBufferSizeBytes: start.writeBufferBytes,
    blockCacheBytes: start.blockCacheBytes,
  };
  const engineDir = join(dir, 'engine');
  const db = await Engine.open(engineDir, { ...tuning, fileSystem: engineFs });
  const targets: StoreTarget[] = [];
  let rssTimer: NodeJS.Timeout | undefined;
  try {
    const keys = new KeyGenerator(plan.keys);
    const values = new ValueGenerator(SeededRandom.derive(seed, 'values'));
    const meter = (label: string, total: number): ProgressMeter => new ProgressMeter(label, total, log, rss);

    log(`loading ${plan.keys.toLocaleString('en-US')} keys with fillrandom`);
    // The index arrays (4 bytes a key) are passed inline so they are garbage once written.
    const loadSeconds = await writeKeys(
      db,
      keys,
      values,
      keys.shuffledIndices(SeededRandom.derive(seed, 'checkpoint-load')),
      plan.keys,
      meter('load', plan.keys),
    );
    log(`loaded in ${loadSeconds.toFixed(1)} s`);

    // From here on, RSS is the checkpoints' (and the foreground writer's), not the load's.
    (globalThis as { gc?: () => void }).gc?.();
    rss.reset();
    rssTimer = setInterval(() => rss.sample(), RSS_TIMER_MS);
    const settles: SettleMeasure[] = [];
    const settle = async (before: string): Promise<void> => {
      settles.push(await settleEngine(db, before, plan.maxSettleSeconds, log));
    };

    await settle('the full checkpoints');
    const engineDiskBytes = await diskUsageBytes(engineDir);
    const link = await openStoreTarget('link', join(dir, 'store-link'), engineFs);
    targets.push(link);
    const copy = await openStoreTarget('copy', join(dir, 'store-copy'), engineFs);
    targets.push(copy);
    const fullLink = await measureCheckpoint(db, link, 'full', undefined, log);
    const fullCopy = await measureCheckpoint(db, copy, 'full', undefined, log);

    const statsBefore = db.stats();
    log(`overwriting ${plan.updatedKeys.toLocaleString('en-US')} distinct random keys (1%)`);
    await writeKeys(
      db,
      keys,
      values,
      keys.shuffledIndices(SeededRandom.derive(seed, 'checkpoint-update')),
      plan.updatedKeys,
      meter('update', plan.updatedKeys),
    );
    await settle('the incremental checkpoints');
    const statsAfter = db.stats();
    const incLink = await measureCheckpoint(db, link, 'incremental', fullLink.checkpoint, log);
    const incCopy = await measureCheckpoint(db, copy, 'incremental', fullCopy.checkpoint, log);
    const checkpoints: CheckpointMeasure[] = [
      fullLink.measure,
      fullCopy.measure,
      incLink.measure,
      incCopy.measure,
    ];

    const restores: RestoreMeasure[] = [
      // The link store (linkFiles: true): the engine hard-links.
      await measureRestore(
        link,
        incLink.checkpoint,
        join(dir, 'restore-link'),
        { ...tuning, fileSystem: engineFs },
        log,
      ),
      // The default FileSystem: the engine copies.
      await measureRestore(copy, incCopy.checkpoint, join(dir, 'restore-copy'), tuning, log),
    ];
    const verify = await measureVerify(copy, fullCopy.checkpoint, log);

    const foregroundDir = join(dir, 'foreground');
    await mkdir(foregroundDir, { recursive: true });
    const writer: WriterInput = {
      db,
      keys,
      values,
      random: SeededRandom.derive(seed, 'checkpoint-foreground'),
    };
    // Interleaved rounds, and a last window without: the writer's rate drifts as the engine
    // grows and compaction debt comes and goes (two windows without checkpoints differed by
    // 17% in one run), so each kind is pooled over windows spread across the whole run.
    const windows: { label: string; load: () => BackgroundLoad | undefined }[] = [];
    for (let round = 1; round <= plan.foregroundRounds; round++) {
      windows.push(
        { label: `without checkpoints (${round})`, load: () => undefined },
        ...FOREGROUND_LOADS.map((load) => ({
          label: `during ${load} checkpoints (${round})`,
          load: () =>
            backToBackCheckpoints(db, load, foregroundDir, engineFs, plan.pacedCopyBytesPerSecond, log),
        })),
      );
    }
    windows.push({ label: `without checkpoints (${plan.foregroundRounds + 1})`, load: () => undefined });
    const foreground: ForegroundWindow[] = [];
    for (const window of windows) {
      await settle(`foreground window "${window.label}"`);
      const measured = await measureForegroundWindow(
        writer,
        window.label,
        plan.foregroundWindowSeconds,
        window.load(),
        log,
      );
      log(`${window.label}: ${Math.round(measured.opsPerSec).toLocaleString('en-US')} writes/s`);
      foreground.push(measured);
    }

    rss.sample();
    return {
      keys: plan.keys,
      entryBytes: ENTRY_SIZE_BYTES,
      updatedKeys: plan.updatedKeys,
      loadSeconds,
      flushBytesBetween: statsAfter.flushBytesWritten - statsBefore.flushBytesWritten,
      compactionBytesBetween: statsAfter.compactionBytesWritten - statsBefore.compactionBytesWritten,
      engineDiskBytes,
      settles,
      disk,
      checkpoints,
      restores,
      verify,
      foreground,
      pacedCopyBytesPerSecond: plan.pacedCopyBytesPerSecond,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      checkpointPeakRssBytes: rss.peakBytes,
    };
  } finally {
    if (rssTimer !== undefined) clearInterval(rssTimer);
    for (const target of targets) await target.store.close();
    await db.close();
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

process.once('message', (message: unknown) => {
  if (!isCheckpointStartMessage(message)) {
    console.error('checkpoint-runner: expected a start message');
    process.exit(2);
  }
  runBenchmark(message).then(
    // Exit explicitly: the engine's worker threads may hold the event loop open after close.
    async (result) => {
      await send({ type: 'result', result });
      process.exit(0);
    },
    async (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`[checkpoint] fatal: ${text}`);
      await send({ type: 'fatal', error: firstLine(text) }).catch(() => undefined);
      process.exit(1);
    },
  );
});
