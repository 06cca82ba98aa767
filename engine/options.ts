/**
 * Engine options: every tunable, its default and its allowed range. Options are validated
 * when passed; a bad one fails `Engine.open` with a message naming the option and its range.
 */
import { checkRestoreFrom } from './checkpoint/restore-checkpoint.js';
import type { RestoreFrom } from './checkpoint/restore-checkpoint.js';
import { checkCompactionFilter } from './compaction/compaction-filter.js';
import type { CompactionFilter } from './compaction/compaction-filter.js';
import type { TableOptions } from './compaction/job-spec.js';
import { FILE_SYSTEM_METHODS } from './env/file-system.js';
import type { FileSystem } from './env/file-system.js';
import { InvalidArgumentError } from './errors.js';

/** Levels an engine has unless `numLevels` says otherwise. */
export const DEFAULT_NUM_LEVELS = 7;
/** The most levels `numLevels` allows. */
export const MAX_NUM_LEVELS = 20;

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Options of `Engine.open`. Every field is optional; see each for its default and range. */
export interface EngineOptions {
  /**
   * Open an existing engine for reading only, without its lock, so that it can be read while
   * another process (or another `Engine` in this one) has it open for writing.
   *
   * The engine shows a point-in-time view: what the directory held when `open` ran — the
   * MANIFEST's files plus the writes found in the WALs, replayed into memory (a torn last
   * record is skipped, as recovery does) — and never anything written later. Reads, iterators,
   * snapshots and `stats()` work as usual. Nothing in the directory is created, written,
   * renamed or deleted, no flush or compaction runs and no worker starts; `put`, `delete`,
   * `write`, `flush`, `compactRange` and `checkpoint` reject with `ReadOnlyError`.
   *
   * A writer may delete SST files of that view afterwards (compaction). The open keeps up to
   * `maxOpenFiles` of them open, which keeps them readable (on POSIX file systems); should a
   * read need one that is gone, it fails with `CorruptionError` saying the directory changed
   * under the read-only open — it never returns data of another point in time. Reopen to see
   * newer writes.
   *
   * Excludes `createIfMissing: true`, `errorIfExists: true` and `restoreFrom`. Options about
   * writing (compaction, `backgroundMode`, `compactionFilter`) are accepted and have no
   * effect; `writeBufferSizeBytes` sizes the memtables the WALs are replayed into. Default
   * false.
   */
  readOnly?: boolean;
  /** Create the directory and an empty engine if there is none. Default true (false when `readOnly`). */
  createIfMissing?: boolean;
  /** Fail if the directory already holds an engine. Default false. */
  errorIfExists?: boolean;
  /** Bytes of writes buffered in a memtable before it is flushed. Default 4 MiB; 4 KiB to 1 GiB. */
  writeBufferSizeBytes?: number;
  /**
   * Zeros the WAL keeps written ahead of its records, so that a sync write's fsync rewrites
   * space the file already has instead of growing it (a growing fsync also commits the new
   * size: a journal commit, about twice as slow on ext4). Cut off when the WAL is closed.
   * Default a quarter of writeBufferSizeBytes, at most 1 MiB; 0 disables; up to 64 MiB.
   */
  walPreallocateBytes?: number;
  /**
   * How a sync write's fsync of the WAL runs (one per commit group):
   * - `'inline'`: called synchronously on the thread that runs the engine. It blocks that
   *   thread's event loop for the fsync, as the engine's reads and WAL appends already do
   *   for theirs, and saves two thread hand-offs per group (the pool thread's wake-up, then
   *   the event loop's). On the 2-vCPU VMs this was measured on, a wake-up took about as
   *   long as the fsync itself, and inline sync writes were much faster, for one writer and
   *   for 64 concurrent ones (BENCHMARKS.md: fillsync, fillsync64).
   * - `'async'`: through the file system's asynchronous sync (libuv's thread pool on the real
   *   file system), so the event loop keeps running during the fsync: for applications
   *   where a stall of one fsync (milliseconds, more on a busy disk) matters more than
   *   sync-write latency.
   *
   * Default `'inline'` on the real file system, `'async'` with a custom `fileSystem` (whose
   * deterministic simulations keep the interleavings they were written with).
   */
  walSyncMode?: 'inline' | 'async';
  /** Sealed memtables waiting for flush before writes wait. Default 2; 1 to 16. */
  maxImmutableMemtables?: number;
  /** Uncompressed size of a data block. Default 4 KiB; a power of two from 1 KiB to 1 MiB. */
  blockSizeBytes?: number;
  /**
   * Keys between restart points in a data block. Default 1; 1 to 1024. At 1 every key is
   * stored whole and data blocks carry a hash index, so a point read finds its entry with one
   * probe; larger intervals store keys prefix-compressed (smaller blocks, LevelDB's 16) and
   * point reads search the block instead.
   */
  blockRestartInterval?: number;
  /** Bloom filter bits per key; 0 disables filters. Default 10; 0 to 64. */
  bloomBitsPerKey?: number;
  /** Block compression. Default 'lz4'. */
  compression?: 'lz4' | 'none';
  /** Capacity of the cache of decompressed blocks. Default 64 MiB; 0 to 64 GiB. */
  blockCacheBytes?: number;
  /**
   * Whether a flush hands the data blocks it wrote to the block cache (as RocksDB's
   * `prepopulate_block_cache`). 'flush' (the default): up to a quarter of the cache's
   * capacity per flush, held by the new table until a get misses them, which then caches a
   * copy instead of reading, decompressing and checking the block from the file; so reads of
   * what was just flushed from a memtable stay in memory. Tables hold such blocks up to half
   * the cache's capacity in all, outside it (the oldest let go first). 'off': the blocks enter
   * the cache as reads miss them.
   */
  prepopulateBlockCache?: 'flush' | 'off';
  /** SST files kept open at once. Default 1000; 16 to 1,000,000. */
  maxOpenFiles?: number;
  /** Size at which compaction starts a new SST file. Default 2 MiB; 4 KiB to 1 GiB. */
  targetFileSizeBytes?: number;
  /** Level-0 files that trigger a compaction. Default 4; 1 to 1000. */
  l0CompactionTrigger?: number;
  /** Level-0 files at which writes wait for compaction. Default 12; at least l0CompactionTrigger. */
  l0StopWritesTrigger?: number;
  /** Size budget of level 1; deeper levels get `levelSizeMultiplier` times more each. Default 10 MiB; 16 KiB to 1 TiB. */
  maxBytesForLevelBase?: number;
  /** Growth factor between levels. Default 10; 2 to 100. */
  levelSizeMultiplier?: number;
  /** Number of levels. Default 7; 2 to 20. */
  numLevels?: number;
  /** Where flush and compaction run: a worker thread (default when available) or the main thread. */
  backgroundMode?: 'worker' | 'inline';
  /**
   * Parts a large compaction is split into, by key range, each run as a job of its own at
   * the same time (RocksDB's `max_subcompactions`). With worker threads, each part gets a
   * worker of its own (started when first needed), so a compaction uses that many cores.
   * A compaction is split only where each part has at least `targetFileSizeBytes` of input
   * to write. Default 1 (never split); 1 to 16 (MAX_SUBCOMPACTIONS).
   */
  maxSubcompactions?: number;
  /**
   * A flush or compaction whose files could not be written (a full disk, an I/O error) is
   * tried again after this many ms, then after twice as long, then four times: only when
   * its fourth attempt fails does the engine stop taking writes (BackgroundError). Default
   * 100; 0 to 60000.
   */
  backgroundRetryDelayMs?: number;
  /** Storage to use. Default: the real file system. Tests pass an in-memory one. */
  fileSystem?: FileSystem;
  /**
   * Restore this checkpoint into the directory, which must be empty or missing, then open
   * it. Every file is checked against its checksum as it is copied.
   */
  restoreFrom?: RestoreFrom;
  /**
   * Lets compactions remove values that have expired (see CompactionFilter). Default: none,
   * compactions keep every live value.
   */
  compactionFilter?: CompactionFilter;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readOnly: boolean;
  createIfMissing: boolean;
  errorIfExists: boolean;
  writeBufferSizeBytes: number;
  walPreallocateBytes: number;
  maxImmutableMemtables: number;
  blockSizeBytes: number;
  blockRestartInterval: number;
  bloomBitsPerKey: number;
  compression: 'lz4' | 'none';
  blockCacheBytes: number;
  prepopulateBlockCache: 'flush' | 'off';
  maxOpenFiles: number;
  targetFileSizeBytes: number;
  l0CompactionTrigger: number;
  l0StopWritesTrigger: number;
  maxBytesForLevelBase: number;
  levelSizeMultiplier: number;
  numLevels: number;
  backgroundMode: 'worker' | 'inline' | undefined;
  maxSubcompactions: number;
  walSyncMode: 'inline' | 'async' | undefined;
  backgroundRetryDelayMs: number;
  fileSystem: FileSystem | undefined;
  compactionFilter: CompactionFilter | undefined;
  restoreFrom: RestoreFrom | undefined;
  maxManifestBytes: number;
}

/** Renders a rejected option value for an error message. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeof v;
}

function describeBytes(n: number): string {
  if (n >= 1024 ** 4 && n % 1024 ** 4 === 0) return `${n / 1024 ** 4} TiB`;
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} bytes`;
}

function int(
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  bytes = false,
): number {
  const v = options[name];
  return v === undefined
    ? fallback
    : checkInt(`Engine.open: ${name}`, v, min, max, bytes ? describeBytes : String);
}

/** `v` if it is an integer in [min, max], else an error naming it as `label` ("API: option"). */
function checkInt(label: string, v: unknown, min: number, max: number, unit: (n: number) => string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(
      `${label} must be an integer between ${unit(min)} and ${unit(max)}, got ${showValue(v)}`,
    );
  }
  return v;
}

function bool(options: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') {
    throw new InvalidArgumentError(`Engine.open: ${name} must be a boolean, got ${typeof v}`);
  }
  return v;
}

function oneOf<T extends string>(
  options: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const v = options[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new InvalidArgumentError(
      `Engine.open: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${showValue(v)}`,
    );
  }
  return v as T;
}

const KNOWN = new Set([
  'readOnly',
  'createIfMissing',
  'errorIfExists',
  'writeBufferSizeBytes',
  'walPreallocateBytes',
  'maxImmutableMemtables',
  'blockSizeBytes',
  'blockRestartInterval',
  'bloomBitsPerKey',
  'compression',
  'blockCacheBytes',
  'prepopulateBlockCache',
  'maxOpenFiles',
  'targetFileSizeBytes',
  'l0CompactionTrigger',
  'l0StopWritesTrigger',
  'maxBytesForLevelBase',
  'levelSizeMultiplier',
  'numLevels',
  'backgroundMode',
  'maxSubcompactions',
  'walSyncMode',
  'backgroundRetryDelayMs',
  'fileSystem',
  'restoreFrom',
  'compactionFilter',
]);

/** Validates `input` and fills in defaults. Throws InvalidArgumentError naming the option. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (input === undefined) input = {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidArgumentError(
      `Engine.open: options must be an object, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new InvalidArgumentError(`Engine.open: unknown option '${key}'`);
  }
  const blockSizeBytes = int(o, 'blockSizeBytes', 4 * KiB, KiB, MiB, true);
  if ((blockSizeBytes & (blockSizeBytes - 1)) !== 0) {
    throw new InvalidArgumentError(
      `Engine.open: blockSizeBytes must be a power of two between 1 KiB and 1 MiB, got ${blockSizeBytes}`,
    );
  }
  const l0CompactionTrigger = int(o, 'l0CompactionTrigger', 4, 1, 1000);
  const l0StopWritesTrigger = int(o, 'l0StopWritesTrigger', Math.max(12, l0CompactionTrigger), 1, 10_000);
  if (l0StopWritesTrigger < l0CompactionTrigger) {
    throw new InvalidArgumentError(
      `Engine.open: l0StopWritesTrigger (${l0StopWritesTrigger}) must be at least l0CompactionTrigger (${l0CompactionTrigger})`,
    );
  }
  const fileSystem = o['fileSystem'];
  if (fileSystem !== undefined) {
    if (typeof fileSystem !== 'object' || fileSystem === null) {
      throw new InvalidArgumentError('Engine.open: fileSystem must be a FileSystem object');
    }
    const fsObject = fileSystem as Record<string, unknown>;
    const missing = FILE_SYSTEM_METHODS.filter((m) => typeof fsObject[m] !== 'function');
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        `Engine.open: fileSystem must be a FileSystem object; it lacks ${missing.join(', ')}`,
      );
    }
  }
  const readOnly = bool(o, 'readOnly', false);
  const createIfMissing = bool(o, 'createIfMissing', !readOnly);
  const errorIfExists = bool(o, 'errorIfExists', false);
  if (readOnly) {
    const conflict = createIfMissing
      ? 'createIfMissing: true (a read-only open never creates an engine)'
      : errorIfExists
        ? 'errorIfExists: true (a read-only open needs an existing engine)'
        : o['restoreFrom'] !== undefined
          ? 'restoreFrom (a restore writes the directory)'
          : undefined;
    if (conflict !== undefined) {
      throw new InvalidArgumentError(`Engine.open: readOnly: true cannot be combined with ${conflict}`);
    }
  }
  const writeBufferSizeBytes = int(o, 'writeBufferSizeBytes', 4 * MiB, 4 * KiB, GiB, true);
  return {
    readOnly,
    createIfMissing,
    errorIfExists,
    writeBufferSizeBytes,
    walPreallocateBytes: int(
      o,
      'walPreallocateBytes',
      Math.min(MiB, Math.floor(writeBufferSizeBytes / 4)),
      0,
      64 * MiB,
      true,
    ),
    maxImmutableMemtables: int(o, 'maxImmutableMemtables', 2, 1, 16),
    blockSizeBytes,
    blockRestartInterval: int(o, 'blockRestartInterval', 1, 1, 1024),
    bloomBitsPerKey: int(o, 'bloomBitsPerKey', 10, 0, 64),
    compression: oneOf(o, 'compression', ['lz4', 'none'] as const) ?? 'lz4',
    blockCacheBytes: int(o, 'blockCacheBytes', 64 * MiB, 0, 64 * GiB, true),
    prepopulateBlockCache: oneOf(o, 'prepopulateBlockCache', ['flush', 'off'] as const) ?? 'flush',
    maxOpenFiles: int(o, 'maxOpenFiles', 1000, 16, 1_000_000),
    targetFileSizeBytes: int(o, 'targetFileSizeBytes', 2 * MiB, 4 * KiB, GiB, true),
    l0CompactionTrigger,
    l0StopWritesTrigger,
    maxBytesForLevelBase: int(o, 'maxBytesForLevelBase', 10 * MiB, 16 * KiB, 1024 * GiB, true),
    levelSizeMultiplier: int(o, 'levelSizeMultiplier', 10, 2, 100),
    numLevels: int(o, 'numLevels', DEFAULT_NUM_LEVELS, 2, MAX_NUM_LEVELS),
    backgroundMode: oneOf(o, 'backgroundMode', ['worker', 'inline'] as const),
    maxSubcompactions: int(o, 'maxSubcompactions', 1, 1, MAX_SUBCOMPACTIONS),
    walSyncMode: oneOf(o, 'walSyncMode', ['inline', 'async'] as const),
    backgroundRetryDelayMs: int(o, 'backgroundRetryDelayMs', 100, 0, 60_000),
    fileSystem: fileSystem as FileSystem | undefined,
    restoreFrom: o['restoreFrom'] === undefined ? undefined : checkRestoreFrom(o['restoreFrom']),
    compactionFilter:
      o['compactionFilter'] === undefined ? undefined : checkCompactionFilter(o['compactionFilter']),
    maxManifestBytes: 4 * MiB,
  };
}

/** The most parts `maxSubcompactions` (the engine's or compactRange's) may ask for. */
export const MAX_SUBCOMPACTIONS = 16;

/** Options of Engine.compactRange. */
export interface CompactRangeOptions {
  /**
   * Parts each of these compactions may be split into, run at the same time (as the engine
   * option of the same name, which is the default). 1 to 16.
   */
  maxSubcompactions?: number;
}

/** The parts compactRange's compactions may use: its option, else the engine's. */
export function compactRangeParts(options: CompactRangeOptions | undefined, engineDefault: number): number {
  const api = 'Engine.compactRange';
  if (options === undefined) return engineDefault;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${api}: options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'maxSubcompactions') throw new InvalidArgumentError(`${api}: unknown option '${key}'`);
  }
  const parts = options.maxSubcompactions;
  return parts === undefined
    ? engineDefault
    : checkInt(`${api}: options.maxSubcompactions`, parts, 1, MAX_SUBCOMPACTIONS, String);
}

/** How flushes and compactions build SST files under these options. */
export function tableOptionsOf(o: ResolvedOptions): TableOptions {
  return {
    blockSizeBytes: o.blockSizeBytes,
    restartInterval: o.blockRestartInterval,
    bloomBitsPerKey: o.bloomBitsPerKey,
    compression: o.compression,
  };
}
