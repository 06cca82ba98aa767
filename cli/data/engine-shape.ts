/**
 * The shape of an engine directory — levels, SST files, their sizes and key ranges, live
 * WALs, write amplification — from `Engine.describe`, which reads CURRENT, the MANIFEST and
 * the WALs without opening the engine: no lock taken, no file written, so `statefn inspect`
 * also works while a process has the directory open. Adds who holds the directory's LOCK.
 *
 * Levels and key ranges are those of the SST files: writes only in the WALs are shown as the
 * WALs' sizes (and counted in the write counters).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../engine/index.js';
import type { EngineDescription, WriteCounters } from '../../engine/index.js';
import { CliError } from '../cli-errors.js';
import { readLockOwner } from './lock-owner.js';
import type { LockOwner } from './lock-owner.js';

/** One SST file. Keys are user keys (without the engine's sequence trailer). */
export interface FileShape {
  number: number;
  name: string;
  bytes: number;
  entries: number;
  smallestKey: Uint8Array;
  largestKey: Uint8Array;
  smallestSequence: number;
  largestSequence: number;
}

/** One level: its files (level 0 newest first, deeper levels in key order) and totals. */
export interface LevelShape {
  level: number;
  files: FileShape[];
  bytes: number;
  entries: number;
  /** Smallest and largest user key of the level; undefined when it is empty. */
  smallestKey: Uint8Array | undefined;
  largestKey: Uint8Array | undefined;
}

/** What `readEngineShape` found. */
export interface EngineShape {
  dir: string;
  manifest: string;
  /** Largest sequence number the SSTs may hold (writes only in WALs may be later). */
  lastSequence: number;
  levels: LevelShape[];
  /** WALs not yet flushed into SSTs, with their sizes. */
  wals: { name: string; bytes: number }[];
  /** SST bytes plus WAL bytes. */
  totalBytes: number;
  /** The MANIFEST's write counters; undefined when it predates them (an older statefn). */
  writeCounters: WriteCounters | undefined;
  /** (WAL + flush + compaction bytes) / user bytes; undefined without counters or writes. */
  writeAmplification: number | undefined;
  lock: LockOwner | undefined;
}

/** Reads the shape of the engine in `dir` (which must hold a CURRENT file). */
export async function readEngineShape(dir: string): Promise<EngineShape> {
  if (!existsSync(join(dir, 'CURRENT'))) throw new CliError(`${dir} holds no engine (no CURRENT file)`);
  return toShape(await Engine.describe(dir), readLockOwner(dir));
}

function toShape(d: EngineDescription, lock: LockOwner | undefined): EngineShape {
  const levels = d.levels.map((l): LevelShape => {
    const files = l.files.map((f): FileShape => ({
      number: f.number,
      name: f.name,
      bytes: f.sizeBytes,
      entries: f.entries,
      smallestKey: f.smallestKey,
      largestKey: f.largestKey,
      smallestSequence: f.smallestSequence,
      largestSequence: f.largestSequence,
    }));
    let smallestKey: Uint8Array | undefined;
    let largestKey: Uint8Array | undefined;
    for (const f of files) {
      if (smallestKey === undefined || Buffer.compare(f.smallestKey, smallestKey) < 0)
        smallestKey = f.smallestKey;
      if (largestKey === undefined || Buffer.compare(f.largestKey, largestKey) > 0) largestKey = f.largestKey;
    }
    return {
      level: l.level,
      files,
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      entries: files.reduce((n, f) => n + f.entries, 0),
      smallestKey,
      largestKey,
    };
  });
  const wals = d.wals.map((w) => ({ name: w.name, bytes: w.sizeBytes }));
  const sstBytes = levels.reduce((n, l) => n + l.bytes, 0);
  return {
    dir: d.dir,
    manifest: d.manifest,
    lastSequence: d.lastSequence,
    levels,
    wals,
    totalBytes: sstBytes + wals.reduce((n, w) => n + w.bytes, 0),
    writeCounters: d.writeCounters,
    writeAmplification: d.writeAmplification,
    lock,
  };
}
