/**
 * What `Engine.stats()` answers (EngineStats), and the counters behind most of it
 * (EngineCounters), which the engine bumps as it writes, flushes, compacts and stalls.
 */
import type { BlockCache } from '../cache/block-cache.js';
import type { WriteCounters } from '../version/version-edit.js';
import type { FileDeleterStats } from './file-deleter.js';

/** Shape and counters of an engine, from `Engine.stats()`. */
export interface EngineStats {
  /** Per level: file count, bytes, and compaction score (>= 1 means compaction is due). */
  levels: Array<{ level: number; files: number; bytes: number; score: number }>;
  /** Last visible sequence number. */
  sequence: number;
  memtableBytes: number;
  immutableMemtables: number;
  liveSnapshots: number;
  /**
   * Bytes written by users (keys + values). This and the four byte counters after it count
   * over the life of the directory, across reopens (the MANIFEST records them; engine/FORMAT.md).
   */
  userBytesWritten: number;
  /** Bytes of write batches written to the WAL. */
  walBytesWritten: number;
  /** Bytes of SST files written by flushes. */
  flushBytesWritten: number;
  /** Bytes of SST files read by compactions. */
  compactionBytesRead: number;
  /** Bytes of SST files written by compactions. */
  compactionBytesWritten: number;
  /** (WAL + flush + compaction bytes written) / user bytes written; 0 before any write. */
  writeAmplification: number;
  /** Flushes, compactions and trivial moves since this open (not persisted). */
  flushes: number;
  compactions: number;
  trivialMoves: number;
  /**
   * Compactions split by key range into parts run at the same time (maxSubcompactions), and
   * the parts they ran (not persisted).
   */
  splitCompactions: { count: number; parts: number };
  commitGroups: number;
  walSyncs: number;
  /**
   * The block cache: lookups that found their block and that did not, the hit rate, the
   * bytes held and the capacity, and the point-read misses whose block it did not take
   * (a full cache takes a block only on its second miss in a while, so reads spread over
   * data many times its size do not churn it), and the misses a flush's handed-over blocks
   * answered without a read of the file (EngineOptions.prepopulateBlockCache), and the
   * blocks brought in that reused the memory of evicted ones instead of allocating.
   * Memory held besides the cached blocks: `handedOverBytes`, the flushed blocks tables
   * hold for gets that miss them (at most half the capacity), and `freeBytes`, evicted
   * blocks' memory kept for reuse: free slots of the arena (with those of blocks an iterator
   * saw, which wait until no iterator is open), and buffers (at most a sixteenth of the
   * capacity, 64 KiB to 8 MiB). `arenaBytes`: the memory reserved for cached blocks (at most
   * the capacity, in chunks of up to 64 MiB, resident once written), which holds them and
   * those free slots.
   */
  blockCache: {
    hits: number;
    misses: number;
    hitRate: number;
    bytes: number;
    capacityBytes: number;
    notAdmitted: number;
    prepopulated: number;
    recycled: number;
    handedOverBytes: number;
    freeBytes: number;
    arenaBytes: number;
  };
  /** Writes that waited for flush or compaction, and the total time they waited. */
  stalls: { count: number; totalMs: number };
  /** Flush and compaction attempts that failed and were tried again (see backgroundRetryDelayMs). */
  backgroundRetries: number;
  /**
   * The compaction filter's verdicts since this open: values compactions removed as expired,
   * and values they kept and reported (CompactionFilter; reports beyond `maxReports` per
   * compaction included, though not passed to onReport).
   */
  compactionFilter: { expired: number; reported: number };
  /**
   * Removal of files no longer needed, which runs in the background: removals queued or
   * running, files removed since this open, and removals that failed (such a file is tried
   * again after the next flush or compaction, and removed by the next open otherwise).
   */
  obsoleteFiles: FileDeleterStats;
}

/** The parts of EngineStats that EngineCounters answers. */
export type CounterStats = Pick<
  EngineStats,
  | 'userBytesWritten'
  | 'walBytesWritten'
  | 'flushBytesWritten'
  | 'compactionBytesRead'
  | 'compactionBytesWritten'
  | 'writeAmplification'
  | 'flushes'
  | 'compactions'
  | 'trivialMoves'
  | 'splitCompactions'
  | 'stalls'
  | 'backgroundRetries'
  | 'compactionFilter'
>;

/**
 * @internal The engine's counters. The five byte counters count over the life of the
 * directory: they start from what the MANIFEST recorded (WriteCounters) and every edit
 * records them again (`forEdit`). The others count since this open.
 */
export class EngineCounters {
  userBytes: number;
  walBytes: number;
  flushBytes: number;
  compactionBytesRead: number;
  compactionBytesWritten: number;
  flushes = 0;
  compactions = 0;
  trivialMoves = 0;
  splitCompactions = 0;
  splitCompactionParts = 0;
  /** Flush and compaction attempts that failed and were tried again. */
  backgroundRetries = 0;
  /** Values compactions removed as expired, and kept and reported (CompactionFilter). */
  filterExpired = 0;
  filterReported = 0;
  /** Writes that waited for flush or compaction, and how long they waited in all. */
  stallCount = 0;
  stallMs = 0;

  constructor(restored: WriteCounters) {
    this.userBytes = restored.userBytes;
    this.walBytes = restored.walBytes;
    this.flushBytes = restored.flushBytes;
    this.compactionBytesRead = restored.compactionBytesRead;
    this.compactionBytesWritten = restored.compactionBytesWritten;
  }

  /**
   * The byte counters for a MANIFEST edit whose last write is `sequence`: the caller takes
   * them in the same synchronous step as the edit goes to logAndApply, so that every write
   * up to `sequence` has added its bytes and none after it has.
   */
  forEdit(sequence: number): WriteCounters {
    return {
      sequence,
      userBytes: this.userBytes,
      walBytes: this.walBytes,
      flushBytes: this.flushBytes,
      compactionBytesRead: this.compactionBytesRead,
      compactionBytesWritten: this.compactionBytesWritten,
    };
  }

  /** This part of stats(). */
  stats(): CounterStats {
    const written = this.walBytes + this.flushBytes + this.compactionBytesWritten;
    return {
      userBytesWritten: this.userBytes,
      walBytesWritten: this.walBytes,
      flushBytesWritten: this.flushBytes,
      compactionBytesRead: this.compactionBytesRead,
      compactionBytesWritten: this.compactionBytesWritten,
      writeAmplification: this.userBytes === 0 ? 0 : written / this.userBytes,
      flushes: this.flushes,
      compactions: this.compactions,
      trivialMoves: this.trivialMoves,
      splitCompactions: { count: this.splitCompactions, parts: this.splitCompactionParts },
      stalls: { count: this.stallCount, totalMs: this.stallMs },
      backgroundRetries: this.backgroundRetries,
      compactionFilter: { expired: this.filterExpired, reported: this.filterReported },
    };
  }
}

/** stats().blockCache, given the bytes of flushed blocks tables still hold for gets. */
export function blockCacheStats(cache: BlockCache, handedOverBytes: number): EngineStats['blockCache'] {
  const counts = cache.stats();
  const lookups = counts.hits + counts.misses;
  return {
    hits: counts.hits,
    misses: counts.misses,
    hitRate: lookups === 0 ? 0 : counts.hits / lookups,
    bytes: counts.bytes,
    capacityBytes: counts.capacityBytes,
    notAdmitted: counts.notAdmitted,
    prepopulated: counts.prepopulated,
    recycled: counts.recycled,
    handedOverBytes,
    freeBytes: cache.buffers.bytes,
    arenaBytes: cache.buffers.arenaBytes,
  };
}
