/**
 * The shape of an engine directory — levels, SST files, their sizes and key ranges, live
 * WALs — read from its CURRENT and MANIFEST without opening the engine: no lock taken, no
 * file written, so `statefn inspect` also works while a process has the directory open.
 *
 * It reads engine internals (the MANIFEST decoder in engine/version/; checkpoint-listing.ts
 * is the only other module of cli/ that does): the public Engine has no read-only open, and `Engine.stats()` needs the
 * lock and reports levels without files or key ranges. Reading without the lock is safe
 * because a MANIFEST is append-only (a torn last record is ignored by the log reader, as at
 * recovery) and only replaced by a rename of CURRENT; a MANIFEST deleted between reading
 * CURRENT and reading it means the owner just reopened, and the read is retried.
 *
 * Not shown, because no file holds it: what is still only in the WALs and memtables (the
 * WALs' sizes are shown), and write amplification (Engine.stats() counts bytes written per
 * process; nothing persists the counters).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptionError, NodeFileSystem } from '../../engine/index.js';
import { initHashing } from '../../engine/util/checksum.js';
import { parseFileName, tableFileName } from '../../engine/version/file-names.js';
import { userKeyOf } from '../../engine/version/internal-key.js';
import { VersionSet } from '../../engine/version/version-set.js';
import { CliError } from '../cli-errors.js';
import { readLockOwner } from './lock-owner.js';
import type { LockOwner } from './lock-owner.js';

/** Largest level count an engine may have (EngineOptions.numLevels). */
const MAX_LEVELS = 20;
/** Levels shown even when empty: the engine's default count. */
const DEFAULT_LEVELS = 7;
const READ_ATTEMPTS = 3;

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
  lock: LockOwner | undefined;
}

/** Reads the shape of the engine in `dir` (which must hold a CURRENT file). */
export async function readEngineShape(dir: string): Promise<EngineShape> {
  await initHashing();
  const fs = new NodeFileSystem();
  if (!existsSync(join(dir, 'CURRENT'))) throw new CliError(`${dir} holds no engine (no CURRENT file)`);
  for (let attempt = 1; ; attempt++) {
    const versions = new VersionSet(fs, dir, {
      numLevels: MAX_LEVELS,
      maxManifestBytes: Number.MAX_SAFE_INTEGER,
    });
    try {
      versions.recover();
      return describe(dir, versions);
    } catch (err) {
      // The owner replaced the MANIFEST between our reads of CURRENT and of the MANIFEST.
      const replaced = err instanceof CorruptionError && /does not exist/.test(err.message);
      if (!replaced || attempt >= READ_ATTEMPTS) throw err;
    } finally {
      versions.close();
    }
  }
}

function describe(dir: string, versions: VersionSet): EngineShape {
  const files = versions.current.files;
  const lastUsed = files.reduce((last, level, i) => (level.length > 0 ? i : last), -1);
  const levels: LevelShape[] = [];
  for (let level = 0; level < Math.max(DEFAULT_LEVELS, lastUsed + 1); level++) {
    const shapes = (files[level] ?? []).map((f): FileShape => {
      return {
        number: f.number,
        name: tableFileName(f.number),
        bytes: f.sizeBytes,
        entries: f.entries,
        smallestKey: userKeyOf(f.smallest),
        largestKey: userKeyOf(f.largest),
        smallestSequence: f.smallestSequence,
        largestSequence: f.largestSequence,
      };
    });
    let smallestKey: Uint8Array | undefined;
    let largestKey: Uint8Array | undefined;
    for (const f of shapes) {
      if (smallestKey === undefined || Buffer.compare(f.smallestKey, smallestKey) < 0)
        smallestKey = f.smallestKey;
      if (largestKey === undefined || Buffer.compare(f.largestKey, largestKey) > 0) largestKey = f.largestKey;
    }
    levels.push({
      level,
      files: shapes,
      bytes: shapes.reduce((n, f) => n + f.bytes, 0),
      entries: shapes.reduce((n, f) => n + f.entries, 0),
      smallestKey,
      largestKey,
    });
  }
  const wals: { name: string; bytes: number }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const parsed = parseFileName(name);
    if (parsed?.kind !== 'wal' || parsed.number < versions.logNumber) continue;
    try {
      wals.push({ name, bytes: statSync(join(dir, name)).size });
    } catch {
      // Deleted by the owner since the listing: flushed meanwhile.
    }
  }
  const sstBytes = levels.reduce((n, l) => n + l.bytes, 0);
  return {
    dir,
    manifest: versions.manifestFileName,
    lastSequence: versions.lastSequence,
    levels,
    wals,
    totalBytes: sstBytes + wals.reduce((n, w) => n + w.bytes, 0),
    lock: readLockOwner(dir),
  };
}
