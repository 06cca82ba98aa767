/**
 * The measured steps of the checkpoint benchmark: one checkpoint, one restore, one verify,
 * and the back-to-back checkpoints that run behind a foreground-write window. Each step
 * prints a line every couple of seconds while it runs, so a long one is never silent.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointStore, Engine } from '../../engine/index.js';
import type { Checkpoint, EngineOptions, FileSystem } from '../../engine/index.js';
import { PROGRESS_INTERVAL_MS } from '../measure/progress-meter.js';
import { diskUsageBytes } from '../stores/disk-usage.js';
import type {
  CheckpointMeasure,
  ForegroundLoad,
  RestoreMeasure,
  TransferMode,
  VerifyMeasure,
} from './checkpoint-results.js';
import type { BackgroundLoad } from './foreground-writes.js';
import { dropFromPageCache } from './page-cache.js';

/** A checkpoint store the benchmark writes into, and how the engine fills it. */
export type StoreTarget = {
  readonly mode: TransferMode;
  readonly dir: string;
  readonly store: CheckpointStore;
};

/**
 * Opens a store that the engine fills by `mode`: hard links where the store shares the
 * engine's storage (the default), or copies forced by `linkFiles: false`, at most
 * `maxCopyBytesPerSecond` if given.
 */
export async function openStoreTarget(
  mode: TransferMode,
  dir: string,
  engineFs: FileSystem,
  maxCopyBytesPerSecond?: number,
): Promise<StoreTarget> {
  return {
    mode,
    dir,
    store: await CheckpointStore.open(dir, {
      fileSystem: engineFs,
      linkFiles: mode === 'link',
      ...(maxCopyBytesPerSecond === undefined ? {} : { maxCopyBytesPerSecond }),
    }),
  };
}

/** Prints `label: N s` every couple of seconds until the returned function is called. */
export function startTicker(label: string, log: (line: string) => void): () => void {
  const start = performance.now();
  const timer = setInterval(
    () => log(`${label}: ${((performance.now() - start) / 1000).toFixed(0)} s`),
    PROGRESS_INTERVAL_MS,
  );
  return () => clearInterval(timer);
}

/** Takes one checkpoint of `db` into `target` and measures it. */
export async function measureCheckpoint(
  db: Engine,
  target: StoreTarget,
  kind: CheckpointMeasure['kind'],
  previous: Checkpoint | undefined,
  log: (line: string) => void,
): Promise<{ measure: CheckpointMeasure; checkpoint: Checkpoint }> {
  const label = `${kind} checkpoint into the ${target.mode} store`;
  const sizeBefore = await diskUsageBytes(target.dir);
  log(`${label}: running`);
  const stop = startTicker(label, log);
  let checkpoint: Checkpoint;
  const start = performance.now();
  try {
    checkpoint = await db.checkpoint(target.store);
  } finally {
    stop();
  }
  const seconds = (performance.now() - start) / 1000;
  const storeGrowthBytes = (await diskUsageBytes(target.dir)) - sizeBefore;
  const known = new Set(previous?.files.map((file) => file.name) ?? []);
  const newSstBytes = checkpoint.files
    .filter((file) => !known.has(file.name))
    .reduce((sum, file) => sum + file.bytes, 0);
  const measure: CheckpointMeasure = {
    kind,
    mode: target.mode,
    seconds,
    bytesCopied: checkpoint.bytesCopied,
    newFiles: checkpoint.newFiles,
    files: checkpoint.files.length,
    checkpointBytes: checkpointBytes(checkpoint),
    newSstBytes,
    storeGrowthBytes,
  };
  log(
    `${label}: ${(seconds * 1000).toFixed(1)} ms, bytesCopied ${checkpoint.bytesCopied.toLocaleString('en-US')}, ` +
      `${checkpoint.newFiles} new of ${checkpoint.files.length} files`,
  );
  return { measure, checkpoint };
}

/**
 * Restores `checkpoint` from `source` into the missing directory `dir` with Engine.open and
 * measures it; closes and deletes the restored engine afterwards (untimed). `engineFs` is the
 * restored engine's FileSystem: the source store's own object makes the engine hard-link.
 */
export async function measureRestore(
  source: StoreTarget,
  checkpoint: Checkpoint,
  dir: string,
  engineOptions: EngineOptions,
  log: (line: string) => void,
): Promise<RestoreMeasure> {
  const drop = await dropFromPageCache(await listFiles(source.dir));
  const label = `restore from the ${source.mode} store`;
  log(`${label}: running (${drop.dropped ? 'store evicted from the page cache' : 'store possibly cached'})`);
  const stop = startTicker(label, log);
  let restored: Engine;
  const start = performance.now();
  try {
    restored = await Engine.open(dir, {
      ...engineOptions,
      restoreFrom: { store: source.store, id: checkpoint.id },
    });
  } finally {
    stop();
  }
  const seconds = (performance.now() - start) / 1000;
  try {
    const sequence = restored.stats().sequence;
    if (sequence !== checkpoint.sequence) {
      throw new Error(
        `${label}: the restored engine is at sequence ${sequence}, the checkpoint at ${checkpoint.sequence}`,
      );
    }
  } finally {
    await restored.close();
    await rm(dir, { recursive: true, force: true });
  }
  log(`${label}: ${(seconds * 1000).toFixed(1)} ms`);
  return {
    mode: source.mode,
    seconds,
    files: checkpoint.files.length,
    bytes: checkpointBytes(checkpoint),
    cache: drop.dropped ? 'dropped' : 'cached',
  };
}

/** Runs `store.verify` over `checkpoint`, with its files evicted from the page cache first. */
export async function measureVerify(
  target: StoreTarget,
  checkpoint: Checkpoint,
  log: (line: string) => void,
): Promise<VerifyMeasure> {
  const drop = await dropFromPageCache(await listFiles(target.dir));
  const label = `verify of checkpoint ${checkpoint.id} in the ${target.mode} store`;
  log(`${label}: running (${drop.dropped ? 'evicted from the page cache' : 'possibly cached'})`);
  let bytesRead = 0;
  let lastPrint = performance.now();
  const start = performance.now();
  await target.store.verify(checkpoint.id, {
    onProgress: (done, total) => {
      bytesRead = done;
      const now = performance.now();
      if (now - lastPrint < PROGRESS_INTERVAL_MS) return;
      lastPrint = now;
      log(
        `${label}: ${Math.floor((done / Math.max(1, total)) * 100)}% of ${total.toLocaleString('en-US')} bytes`,
      );
    },
  });
  const seconds = (performance.now() - start) / 1000;
  log(`${label}: ${(seconds * 1000).toFixed(1)} ms`);
  return {
    mode: target.mode,
    seconds,
    checkpointBytes: checkpointBytes(checkpoint),
    bytesRead,
    cache: drop.dropped ? 'dropped' : 'cached',
  };
}

/**
 * Full checkpoints of `db` taken back to back, each into a fresh store of kind `load` under
 * `parentDir` (a 'paced copy' store copies at most `pacedBytesPerSecond`), for as long as a
 * foreground window lasts. The stores are deleted after the window, so deleting them does
 * not load the disk during it.
 */
export function backToBackCheckpoints(
  db: Engine,
  load: ForegroundLoad,
  parentDir: string,
  engineFs: FileSystem,
  pacedBytesPerSecond: number,
  log: (line: string) => void,
): BackgroundLoad {
  let stopped = false;
  const seconds: number[] = [];
  let failure: Error | undefined;
  let loop: Promise<void> = Promise.resolve();
  const dirs: string[] = [];
  const run = async (): Promise<void> => {
    while (!stopped) {
      const dir = join(parentDir, `${load.replace(' ', '-')}-${dirs.length + 1}`);
      dirs.push(dir);
      const { store } = await openStoreTarget(
        load === 'link' ? 'link' : 'copy',
        dir,
        engineFs,
        load === 'paced copy' ? pacedBytesPerSecond : undefined,
      );
      try {
        const start = performance.now();
        const checkpoint = await db.checkpoint(store);
        if (!stopped) {
          seconds.push((performance.now() - start) / 1000);
          log(`  background ${load} checkpoint ${seconds.length}: ${checkpoint.files.length} files`);
        }
      } finally {
        await store.close();
      }
    }
  };
  return {
    load,
    start: () => {
      loop = run().catch((error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
      });
    },
    stop: async () => {
      stopped = true;
      const completed = [...seconds];
      await loop;
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
      if (failure !== undefined) throw failure;
      return completed;
    },
  };
}

function checkpointBytes(checkpoint: Checkpoint): number {
  return checkpoint.files.reduce((sum, file) => sum + file.bytes, 0);
}

/** Every regular file under `dir`, recursively. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
