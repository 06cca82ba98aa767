/**
 * The work a background job does, described by plain data so that it can be posted to a
 * worker thread (structured clone) or run inline. The engine plans; the job only reads its
 * inputs and writes its outputs; the engine then commits the result to the MANIFEST.
 */
import type { FileMetadata } from '../version/file-metadata.js';
import type { FilterSpec } from './compaction-filter.js';
import type { KeyRange } from './subcompactions.js';
import type { WarmBlocks } from '../sstable/warm-blocks.js';

/** How SST files are built. */
export interface TableOptions {
  blockSizeBytes: number;
  restartInterval: number;
  bloomBitsPerKey: number;
  compression: 'lz4' | 'none';
}

export interface FlushSpec {
  kind: 'flush';
  dir: string;
  /** The sealed memtable's arena. */
  memtable: SharedArrayBuffer;
  fileNumber: number;
  table: TableOptions;
  /**
   * Entries shadowed by a newer version at or below this sequence are left out: the oldest
   * live snapshot's sequence, or the newest visible one when no snapshot is live (readers
   * without a snapshot that started earlier keep reading the memtable itself).
   */
  smallestSnapshot: number;
  /**
   * Return up to this many bytes of the output's data blocks, uncompressed, for the block
   * cache (EngineOptions.prepopulateBlockCache); 0 returns none.
   */
  warmBytes: number;
}

export interface CompactionSpec {
  kind: 'compaction';
  dir: string;
  /** Input files per input level, in key order for deeper levels, newest first for level 0. */
  inputs: Array<{ level: number; files: FileMetadata[] }>;
  outputLevel: number;
  /** Entries shadowed by a newer version at or below this sequence may be dropped. */
  smallestSnapshot: number;
  /**
   * For each level below the output level, its files' user-key ranges as internal keys:
   * a tombstone may be dropped only where no deeper level may hold the key.
   */
  deeperLevels: Array<Array<{ smallest: Uint8Array; largest: Uint8Array }>>;
  /** Output files take numbers first, first + 1, ...; at most `count` of them. */
  outputNumbers: { first: number; count: number };
  targetFileSizeBytes: number;
  table: TableOptions;
  /** The compaction filter, if the engine has one. */
  filter?: FilterSpec;
  /**
   * A subcompaction's part of the inputs (subcompactions.ts): only entries of user keys in
   * this range are read and written. Absent: all of them.
   */
  range?: KeyRange;
}

export type JobSpec = FlushSpec | CompactionSpec;

export interface JobResult {
  outputs: FileMetadata[];
  bytesRead: number;
  bytesWritten: number;
  entriesIn: number;
  entriesDropped: number;
  /** Values the compaction filter found expired (written as tombstones or dropped). */
  entriesExpired: number;
  /** Values the compaction filter reported (kept). */
  entriesReported: number;
  /** The first `filter.maxReports` keys reported, for the filter's onReport. */
  reported?: Uint8Array[];
  /** A flush's data blocks for the block cache, if the spec asked for them. */
  warm?: WarmBlocks;
}
