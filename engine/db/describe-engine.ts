/**
 * `Engine.describe`: the shape of an engine directory — levels, SST files with their sizes,
 * key ranges and sequence numbers, live WALs, write counters — read from CURRENT, the
 * MANIFEST and (for the counters only) the live WALs. No lock is taken, nothing is written
 * and no memtable is built, so it is cheap and works while a process has the directory open.
 *
 * Reading without the lock is safe for the reasons the read-only open gives
 * (open-read-only.ts): a MANIFEST is append-only, an edit being appended is a torn record
 * that the reader ignores, and a MANIFEST replaced meanwhile (the owner reopened or rolled it
 * over) is noticed as a missing file and read again.
 */
import type { FileSystem } from '../env/file-system.js';
import { joinPath } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-file-system.js';
import { InvalidArgumentError } from '../errors.js';
import { DEFAULT_NUM_LEVELS, MAX_NUM_LEVELS } from '../options.js';
import { initHashing } from '../util/checksum.js';
import { CURRENT_FILE, tableFileName, walFileName } from '../version/file-names.js';
import { decodeBatch } from '../batch/batch-reader.js';
import { userKeyOf } from '../version/internal-key.js';
import type { WriteCounters } from '../version/version-edit.js';
import { VersionSet } from '../version/version-set.js';
import { readLogRecords } from '../wal/log-reader.js';
import { retryWhileChanging } from './open-read-only.js';
import { checkDirectoryFormat, liveLogNumbersFromOldest } from './recovery-checks.js';
import { countReplayed, measureBatch } from './wal-replay.js';

/** Options of `Engine.describe`. */
export interface DescribeOptions {
  /** Storage to read. Default: the real file system. */
  fileSystem?: FileSystem;
}

/** One SST file, from the MANIFEST. Keys are user keys (as written), not internal keys. */
export interface TableFileDescription {
  /** The file number; the file is `name` in the engine directory. */
  number: number;
  name: string;
  sizeBytes: number;
  /** Entries, deletes included. */
  entries: number;
  smallestKey: Uint8Array;
  largestKey: Uint8Array;
  smallestSequence: number;
  largestSequence: number;
}

/** One level: its files, level 0 newest first, deeper levels in key order. */
export interface LevelDescription {
  level: number;
  files: TableFileDescription[];
}

/** A live WAL: writes not flushed into SST files yet. */
export interface WalDescription {
  number: number;
  name: string;
  sizeBytes: number;
}

/** What `Engine.describe` returns. */
export interface EngineDescription {
  dir: string;
  /** The MANIFEST that CURRENT names. */
  manifest: string;
  /** Largest sequence number the SST files may hold; writes only in WALs may be later. */
  lastSequence: number;
  /**
   * Levels 0 up to the deepest that holds a file, and at least the default seven. (The
   * level count is an open option, not recorded in the directory.)
   */
  levels: LevelDescription[];
  /** Live WALs, oldest first. */
  wals: WalDescription[];
  /**
   * The cumulative write counters: those the MANIFEST recorded at its last edit (the last
   * open, flush or compaction) plus the user and WAL bytes of the writes the live WALs hold
   * above them — what `stats()` would start from if the engine were opened now. Undefined
   * when the MANIFEST predates them (format version 1). See EngineStats for what each counts.
   */
  writeCounters: WriteCounters | undefined;
  /**
   * (WAL + flush + compaction bytes written) / user bytes written, from `writeCounters`;
   * undefined without counters or before any user byte was counted.
   */
  writeAmplification: number | undefined;
}

/** Implements `Engine.describe` (see the top of the file). */
export async function describeEngine(dir: string, options?: DescribeOptions): Promise<EngineDescription> {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidArgumentError('Engine.describe: dir must be a non-empty string');
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError('Engine.describe: options must be an object');
  }
  await initHashing();
  const fs = options?.fileSystem ?? new NodeFileSystem();
  if (!fs.exists(joinPath(dir, CURRENT_FILE))) {
    throw new InvalidArgumentError(`Engine.describe: ${dir} holds no engine (no CURRENT file)`);
  }
  return retryWhileChanging(() => {
    checkDirectoryFormat(fs, dir);
    // The most levels any engine may have: the MANIFEST does not say how many this one has.
    const versions = new VersionSet(fs, dir, {
      numLevels: MAX_NUM_LEVELS,
      maxManifestBytes: Number.MAX_SAFE_INTEGER,
    });
    try {
      versions.recover();
      return describeVersions(fs, dir, versions);
    } finally {
      versions.close();
    }
  });
}

function describeVersions(fs: FileSystem, dir: string, versions: VersionSet): EngineDescription {
  const files = versions.current.files;
  const deepest = files.reduce((last, level, i) => (level.length > 0 ? i : last), -1);
  const levels: LevelDescription[] = [];
  for (let level = 0; level < Math.max(DEFAULT_NUM_LEVELS, deepest + 1); level++) {
    levels.push({
      level,
      files: (files[level] ?? []).map((f) => ({
        number: f.number,
        name: tableFileName(f.number),
        sizeBytes: f.sizeBytes,
        entries: f.entries,
        smallestKey: userKeyOf(f.smallest),
        largestKey: userKeyOf(f.largest),
        smallestSequence: f.smallestSequence,
        largestSequence: f.largestSequence,
      })),
    });
  }
  const recorded = versions.writeCounters;
  const counters = recorded === undefined ? undefined : { ...recorded };
  let sequence = counters?.sequence ?? 0;
  const wals: WalDescription[] = [];
  for (const number of liveLogNumbersFromOldest(fs, dir, versions.logNumber)) {
    const name = walFileName(number);
    const path = joinPath(dir, name);
    // A WAL deleted since the listing (flushed meanwhile) fails with ENOENT: the MANIFEST
    // changed too, and the caller reads everything again.
    const data = fs.readFile(path);
    wals.push({ number, name, sizeBytes: data.length });
    if (counters === undefined) continue;
    // A torn tail (a write in progress, or a crash) holds no complete batch: not counted.
    for (const { offset, payload } of readLogRecords(data, path).records) {
      decodeBatch(payload, path, offset);
      const batch = measureBatch(payload);
      if (batch.count === 0) continue;
      countReplayed(counters, batch);
      sequence = Math.max(sequence, batch.firstSequence + batch.count - 1);
    }
  }
  if (counters !== undefined) counters.sequence = sequence;
  const c = counters;
  const written = c === undefined ? 0 : c.walBytes + c.flushBytes + c.compactionBytesWritten;
  return {
    dir,
    manifest: versions.manifestFileName,
    lastSequence: versions.lastSequence,
    levels,
    wals,
    writeCounters: c,
    writeAmplification: c === undefined || c.userBytes === 0 ? undefined : written / c.userBytes,
  };
}
