/**
 * What the checkpoint benchmark measured, as plain data: the runner sends it over IPC, the
 * coordinator stores it in the JSON results and renders the "Checkpoints" section from it.
 * Every figure of that section comes from one of these records.
 */
import type { LatencySummary } from '../measure/latency-recorder.js';

/**
 * How a store receives the engine's SSTs: hard links (the store's default, linkFiles: true)
 * or copies (linkFiles: false), both measured on the same disk.
 */
export type TransferMode = 'link' | 'copy';

/**
 * What runs beside a foreground window: checkpoints into a link or a copy store, or into a
 * copy store opened with maxCopyBytesPerSecond (the result's pacedCopyBytesPerSecond).
 */
export type ForegroundLoad = TransferMode | 'paced copy';

/** Whether a read found its file in the page cache. */
export type CacheState =
  /** The file's pages were evicted before the read (posix_fadvise DONTNEED, checked). */
  | 'dropped'
  /** Eviction was not possible or not confirmed; the read may be served from memory. */
  | 'cached';

/** One `Engine.checkpoint` call. */
export type CheckpointMeasure = {
  readonly kind: 'full' | 'incremental';
  readonly mode: TransferMode;
  /** Wall time of the awaited `db.checkpoint(store)` call. */
  readonly seconds: number;
  /** As the engine reports it: bytes of the SSTs the store did not hold, plus metadata. */
  readonly bytesCopied: number;
  readonly newFiles: number;
  /** Files the checkpoint names, shared or new. */
  readonly files: number;
  /** Sum of the sizes of every file the checkpoint names. */
  readonly checkpointBytes: number;
  /**
   * Bytes of the SSTs this checkpoint names that the store's previous checkpoint did not
   * (all of them for a full checkpoint): what an incremental checkpoint must transfer.
   */
  readonly newSstBytes: number;
  /** Growth of the store directory (allocated blocks, hard links counted in full). */
  readonly storeGrowthBytes: number;
};

/** One `Engine.open(dir, { restoreFrom })` into a missing directory. */
export type RestoreMeasure = {
  readonly mode: TransferMode;
  readonly seconds: number;
  readonly files: number;
  readonly bytes: number;
  /** Page-cache state of the store's files when the restore started. */
  readonly cache: CacheState;
};

/** `store.verify` of the full checkpoint. */
export type VerifyMeasure = {
  readonly mode: TransferMode;
  readonly seconds: number;
  /** Bytes of the files the checkpoint names. */
  readonly checkpointBytes: number;
  /** Bytes verify reported reading (each file is read twice: whole-file hash, then blocks). */
  readonly bytesRead: number;
  readonly cache: CacheState;
};

/** The disk's sequential speed, measured on a file written in the same run. */
export type DiskSpeed = {
  readonly fileBytes: number;
  readonly chunkBytes: number;
  /** 1 MiB writes, then one fdatasync; the time includes the sync. */
  readonly writeSeconds: number;
  /** 1 MiB reads from the start to the end of the file. */
  readonly readSeconds: number;
  readonly readCache: CacheState;
  /** How the page cache was (or could not be) dropped. */
  readonly cacheNote: string;
};

/** Foreground writes over one fixed window. */
export type ForegroundWindow = {
  readonly label: string;
  /** Which checkpoints ran back to back during the window, if any. */
  readonly during: ForegroundLoad | 'none';
  readonly seconds: number;
  /** Keys written (batches of 1000, each awaited before the next). */
  readonly ops: number;
  readonly opsPerSec: number;
  /** Per batch of 1000 puts. */
  readonly latency: LatencySummary;
  /** Checkpoints that completed inside the window. */
  readonly checkpoints: number;
  /** Their durations, in order (absent from results stored before it was recorded). */
  readonly checkpointSeconds?: readonly number[];
};

/** How long compaction was given to settle before a measured checkpoint. */
export type SettleMeasure = {
  readonly before: string;
  readonly seconds: number;
  readonly settled: boolean;
};

/** Everything one checkpoint benchmark run measured. */
export type CheckpointBenchResult = {
  readonly keys: number;
  readonly entryBytes: number;
  /** Keys overwritten between the full and the incremental checkpoints. */
  readonly updatedKeys: number;
  readonly loadSeconds: number;
  /**
   * What the engine wrote between the full and the incremental checkpoints (the update, its
   * flush, and the compactions that followed), from Engine.stats(): it explains the ratio.
   */
  readonly flushBytesBetween: number;
  readonly compactionBytesBetween: number;
  /** The engine directory's size when the full checkpoints were taken. */
  readonly engineDiskBytes: number;
  readonly settles: readonly SettleMeasure[];
  readonly disk: DiskSpeed;
  readonly checkpoints: readonly CheckpointMeasure[];
  readonly restores: readonly RestoreMeasure[];
  readonly verify: VerifyMeasure;
  readonly foreground: readonly ForegroundWindow[];
  /** maxCopyBytesPerSecond of the 'paced copy' windows' stores (absent before they existed). */
  readonly pacedCopyBytesPerSecond?: number;
  /** The runner's kernel-reported peak RSS (getrusage maxRSS), load included. */
  readonly peakRssBytes: number;
  /** Highest RSS sampled while checkpoints, restores and verify ran (load excluded). */
  readonly checkpointPeakRssBytes: number;
};

/** The checkpoint benchmark as the report sees it: a result, or why there is none. */
export type CheckpointRun = {
  readonly keys: number;
  readonly result: CheckpointBenchResult | undefined;
  readonly error: string | undefined;
};
