/**
 * Checks that recovery makes before it trusts a directory, shared by the normal open
 * (open-engine.ts) and the read-only open (open-read-only.ts). None of them writes.
 */
import { IDENTITY_FILE } from '../checkpoint/engine-identity.js';
import type { FileSystem } from '../env/file-system.js';
import { joinPath } from '../env/file-system.js';
import { CorruptionError, IncompatibleFormatError } from '../errors.js';
import {
  CURRENT_FILE,
  isLockFile,
  parseCurrentFile,
  parseFileName,
  tableFileName,
  walFileName,
} from '../version/file-names.js';
import type { VersionSet } from '../version/version-set.js';
import { LOG_HEADER_BYTES, looksLikeStatefnLog } from '../wal/log-format.js';

/**
 * Read-only check that `dir` is a statefn engine directory or could become one: CURRENT (if
 * any) names a MANIFEST that is a statefn log, or, without CURRENT, every file has an engine
 * name. Anything else is another program's directory: IncompatibleFormatError.
 */
export function checkDirectoryFormat(fs: FileSystem, dir: string): void {
  const currentPath = joinPath(dir, CURRENT_FILE);
  if (!fs.exists(currentPath)) {
    const foreign = fs
      .list(dir)
      .filter((n) => !isLockFile(n) && n !== IDENTITY_FILE && parseFileName(n) === undefined);
    if (foreign.length > 0) {
      const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? ', …' : '');
      throw new IncompatibleFormatError(
        `Engine.open: ${dir} is not empty and is not a statefn engine directory (found ${shown})`,
      );
    }
    return;
  }
  const name = parseCurrentFile(fs.readFile(currentPath));
  if (name === undefined) {
    throw new IncompatibleFormatError(
      `Engine.open: ${currentPath} does not name a statefn MANIFEST (is this another program's data directory?)`,
    );
  }
  const manifest = joinPath(dir, name);
  if (fs.exists(manifest) && !looksLikeStatefnLog(readHead(fs, manifest, LOG_HEADER_BYTES + 4))) {
    throw new IncompatibleFormatError(
      `Engine.open: ${manifest} is not a statefn MANIFEST (is this another program's data directory?)`,
    );
  }
}

/**
 * The WAL the MANIFEST names as the oldest still needed must exist: it is deleted only after
 * a later edit, which moves the log number past it, is committed. If it is missing, such an
 * edit was committed and then lost — a damaged last MANIFEST record taken for a torn write —
 * and opening would silently lose the data that edit flushed. (A lost compaction edit shows
 * up the same way, as missing input SSTs, in checkTablesExist.)
 */
export function checkOldestLogExists(fs: FileSystem, dir: string, versions: VersionSet): void {
  const name = walFileName(versions.logNumber);
  if (!fs.exists(joinPath(dir, name))) {
    throw new CorruptionError(
      joinPath(dir, versions.manifestFileName),
      undefined,
      `the MANIFEST names ${name} as the oldest write-ahead log still needed, but it is missing: a committed MANIFEST edit was lost`,
    );
  }
}

export function checkTablesExist(fs: FileSystem, dir: string, versions: VersionSet): void {
  const present = new Set(fs.list(dir));
  for (const level of versions.current.files) {
    for (const f of level) {
      const name = tableFileName(f.number);
      if (!present.has(name)) {
        throw new CorruptionError(
          joinPath(dir, name),
          undefined,
          `the MANIFEST names this SST file but it is missing`,
        );
      }
    }
  }
}

/**
 * liveLogNumbers for a reader without the lock (a read-only open, describe), which checks in
 * the same listing that the oldest WAL the MANIFEST names is there. Checking it before the
 * listing is not enough: the writer may flush that WAL and delete it in between, and the
 * later WALs alone would then be taken for the whole log, its writes missing (they are in
 * an SST of a version the reader did not read). The CorruptionError makes the caller read
 * the MANIFEST again (retryWhileChanging).
 */
export function liveLogNumbersFromOldest(fs: FileSystem, dir: string, logNumber: number): number[] {
  const numbers = liveLogNumbers(fs, dir, logNumber);
  if (numbers[0] !== logNumber) {
    throw new CorruptionError(
      joinPath(dir, walFileName(logNumber)),
      undefined,
      'the MANIFEST names this as the oldest write-ahead log still needed, but it is gone (flushed and deleted during the read, or lost)',
    );
  }
  return numbers;
}

/** Numbers of the WALs in `dir` numbered at or above `logNumber` (the live ones), ascending. */
export function liveLogNumbers(fs: FileSystem, dir: string, logNumber: number): number[] {
  return fs
    .list(dir)
    .map((n) => parseFileName(n))
    .filter((p): p is { kind: 'wal'; number: number } => p?.kind === 'wal' && p.number >= logNumber)
    .map((p) => p.number)
    .sort((a, b) => a - b);
}

/** The first `length` bytes of a file (fewer if it is shorter). */
function readHead(fs: FileSystem, path: string, length: number): Uint8Array {
  const file = fs.openRandomAccess(path);
  try {
    return file.read(0, length);
  } finally {
    file.close();
  }
}
