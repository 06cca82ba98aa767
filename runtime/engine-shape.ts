/**
 * The shape of the engines under a runtime, as {@link Runtime.stats} reports it: the part of
 * `Engine.stats()` that tells how the LSM tree looks (files and bytes per level, memtables,
 * flushes and compactions so far), without the engine's type in the runtime's public API.
 */
import type { EngineStats } from '../engine/index.js';

/** One level of an LSM tree. */
export interface LevelShape {
  /** 0 for the level flushes write to; deeper levels follow. */
  level: number;
  /** SST files in the level. */
  files: number;
  /** Bytes of those files. */
  bytes: number;
  /** How full the level is against its target (L0: files against the compaction trigger); compaction is due at 1 or more. */
  score: number;
}

/** How one engine looks now. */
export interface EngineShape {
  /** Every level of the tree, L0 first (empty levels included, as files: 0). */
  levels: LevelShape[];
  /** Bytes in the active memtable. */
  memtableBytes: number;
  /** Sealed memtables waiting for their flush. */
  immutableMemtables: number;
  /** Memtable flushes since the engine opened. */
  flushes: number;
  /** Compactions that merged files since the engine opened (moves of a whole file not counted). */
  compactions: number;
}

/**
 * The runtime's engines (runtime/FORMAT.md). One state engine serves every shard: each shard
 * owns a contiguous range of key groups, which is a contiguous key range of that engine.
 */
export interface RuntimeEngines {
  /** The working copy of function state (restored from the latest checkpoint at start). */
  state: EngineShape;
  /** The ingress log's idempotency keys (its records are in segment files: RuntimeStats.ingressLog). */
  ingress: EngineShape;
  /** Committed egress records. */
  egress: EngineShape;
}

/** The shape part of `stats`. */
export function engineShape(stats: EngineStats): EngineShape {
  return {
    levels: stats.levels.map(({ level, files, bytes, score }) => ({ level, files, bytes, score })),
    memtableBytes: stats.memtableBytes,
    immutableMemtables: stats.immutableMemtables,
    flushes: stats.flushes,
    compactions: stats.compactions,
  };
}
