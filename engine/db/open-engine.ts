/**
 * Opening an engine directory: validation, locking, recovery.
 *
 * Recovery: read CURRENT and replay its MANIFEST (the file set, counters, and the oldest WAL
 * still needed); replay every WAL from that number on into memtables, flushing them to
 * level 0 as they fill (the last one is left to a background flush; see replayLogs); then
 * write a fresh MANIFEST holding the result and start a new WAL. Only after the new MANIFEST
 * is current are the old WALs deleted, so a crash during recovery simply recovers again.
 *
 * Torn tails: a crash can leave the last WAL's final record incomplete. That record was never
 * acknowledged as durable (a sync write resolves only after its fsync), so it is dropped. A
 * torn tail in any WAL but the newest cannot come from a crash — the engine fsyncs a WAL
 * before starting the next — and is reported as corruption.
 *
 * Restore (`restoreFrom`, checkpoint/restore-checkpoint.ts) runs under the lock before
 * recovery: it fills an empty directory with the checkpoint's SSTs, a MANIFEST and CURRENT,
 * and recovery then opens it like any other.
 *
 * A directory without CURRENT is new: it may hold only a leftover LOCK, IDENTITY and files of an
 * earlier attempt to create the engine that crashed before CURRENT was written (nothing in
 * it was ever acknowledged). Any other file means it is not ours, and it is refused.
 */
import { BlockCache } from '../cache/block-cache.js';
import { newIdentity, readIdentity, writeIdentity } from '../checkpoint/engine-identity.js';
import { restoreCheckpoint } from '../checkpoint/restore-checkpoint.js';
import { TableCache } from '../cache/table-cache.js';
import type { JobRunner } from '../compaction/job-runner.js';
import { InlineJobRunner } from '../compaction/job-runner.js';
import { WorkerJobRunner, workerAvailable } from '../compaction/worker-job-runner.js';
import type { FileLock, FileSystem } from '../env/file-system.js';
import { joinPath } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-file-system.js';
import { CorruptionError, InvalidArgumentError } from '../errors.js';
import { MemTable } from '../memtable/memtable.js';
import type { EngineOptions, ResolvedOptions } from '../options.js';
import { resolveOptions, tableOptionsOf } from '../options.js';
import { initHashing } from '../util/checksum.js';
import {
  CURRENT_FILE,
  LOCK_FILE,
  isLockFile,
  parseFileName,
  tempFileName,
  walFileName,
} from '../version/file-names.js';
import type { FileMetadata } from '../version/file-metadata.js';
import { VersionEdit, zeroWriteCounters } from '../version/version-edit.js';
import type { WriteCounters } from '../version/version-edit.js';
import { obsoleteFiles } from '../version/obsolete-files.js';
import { VersionSet } from '../version/version-set.js';
import { readLogRecords } from '../wal/log-reader.js';
import { LogWriter } from '../wal/log-writer.js';
import { Engine } from './engine.js';
import { openReadOnly } from './open-read-only.js';
import {
  checkDirectoryFormat,
  checkOldestLogExists,
  checkTablesExist,
  liveLogNumbers,
} from './recovery-checks.js';
import { countReplayed, replayRecords } from './wal-replay.js';

export async function openEngine(dir: string, input: EngineOptions | undefined): Promise<Engine> {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidArgumentError('Engine.open: dir must be a non-empty string');
  }
  const options = resolveOptions(input);
  await initHashing();
  const fs = options.fileSystem ?? new NodeFileSystem();
  if (options.readOnly) return openReadOnly(dir, options, fs);
  if (!fs.exists(dir)) {
    if (!options.createIfMissing && !options.restoreFrom) {
      throw new InvalidArgumentError(`Engine.open: ${dir} does not exist and createIfMissing is false`);
    }
    fs.mkdirp(dir);
  }
  // Before the lock: refusing another program's directory must not touch its LOCK file.
  checkDirectoryFormat(fs, dir);
  if (options.restoreFrom) checkRestoreTarget(fs, dir);
  const lock = fs.lock(joinPath(dir, LOCK_FILE));
  let runner: JobRunner | undefined;
  let compactionRunner: JobRunner | undefined;
  let tableCache: TableCache | undefined;
  let versions: VersionSet | undefined;
  try {
    if (options.restoreFrom) {
      // Leftovers of a restore or creation that crashed before CURRENT: nothing of value.
      for (const n of fs.list(dir)) if (!isLockFile(n)) fs.remove(joinPath(dir, n));
      await restoreCheckpoint(fs, dir, options, options.restoreFrom);
    }
    versions = new VersionSet(fs, dir, {
      numLevels: options.numLevels,
      maxManifestBytes: options.maxManifestBytes,
    });
    if (versions.exists()) {
      if (options.errorIfExists && !options.restoreFrom) {
        throw new InvalidArgumentError(
          `Engine.open: ${dir} already holds an engine and errorIfExists is true`,
        );
      }
      versions.recover();
    } else {
      prepareNewDirectory(fs, dir, options);
    }
    checkTablesExist(fs, dir, versions);
    if (versions.manifestNumber !== 0) checkOldestLogExists(fs, dir, versions);
    markFileNumbersUsed(fs, dir, versions);
    const identity = await ensureIdentity(fs, dir, versions);
    const blockCache = new BlockCache(options.blockCacheBytes);
    // Engine.iterator reports each iterator's start and end.
    blockCache.buffers.trackScans();
    tableCache = new TableCache(fs, dir, { maxOpenFiles: options.maxOpenFiles, blockCache });
    runner = makeRunner(fs, options);
    compactionRunner = makeRunner(fs, options);
    const counters = { ...(versions.writeCounters ?? zeroWriteCounters(versions.lastSequence)) };
    const { lastSequence, kept } = await replayLogs(fs, dir, options, versions, runner, counters);
    counters.sequence = lastSequence;
    const walNumber = versions.newFileNumber();
    const wal = new LogWriter(
      fs.openWritable(joinPath(dir, walFileName(walNumber)), 'create', {
        preallocateBytes: options.walPreallocateBytes,
      }),
      walNumber,
    );
    // The kept memtable's WALs stay live until its flush commits a later log number.
    versions.logNumber = kept?.log ?? walNumber;
    versions.lastSequence = lastSequence;
    versions.writeCounters = counters;
    // Makes the recovered state, the new WAL's name and CURRENT durable in one directory fsync.
    await versions.writeNewManifest();
    removeObsoleteAtOpen(fs, dir, versions);
    const engine = new Engine({
      dir,
      fs,
      options,
      readOnly: false,
      lock,
      versions,
      tableCache,
      blockCache,
      runner,
      compactionRunner,
      makeRunner: () => makeRunner(fs, options),
      wal,
      walNumber,
      lastSequence,
      counters,
      identity,
      recovered: kept,
    });
    return engine;
  } catch (err) {
    versions?.close();
    tableCache?.close();
    await runner?.close().catch(() => undefined);
    await compactionRunner?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
}

function makeRunner(fs: FileSystem, options: ResolvedOptions): JobRunner {
  const wantWorker =
    options.backgroundMode ?? (fs instanceof NodeFileSystem && workerAvailable() ? 'worker' : 'inline');
  if (wantWorker === 'worker') {
    if (!(fs instanceof NodeFileSystem)) {
      throw new InvalidArgumentError("Engine.open: backgroundMode 'worker' needs the real file system");
    }
    if (!workerAvailable()) {
      throw new InvalidArgumentError(
        "Engine.open: backgroundMode 'worker' needs the compiled worker script (run from dist/, after npm run build)",
      );
    }
    return new WorkerJobRunner();
  }
  return new InlineJobRunner(fs);
}

/**
 * A restore needs a directory without an engine: empty, or holding only leftovers of a
 * creation or restore that crashed before CURRENT (checkDirectoryFormat ruled out others).
 */
function checkRestoreTarget(fs: FileSystem, dir: string): void {
  if (fs.exists(joinPath(dir, CURRENT_FILE))) {
    throw new InvalidArgumentError(
      `Engine.open: restoreFrom needs an empty or missing directory; ${dir} already holds an engine`,
    );
  }
}

/**
 * The directory's identity (checkpoint/engine-identity.ts), written now if it has none. Its
 * name becomes durable with the directory fsync of the MANIFEST switch that follows.
 */
async function ensureIdentity(fs: FileSystem, dir: string, versions: VersionSet): Promise<string> {
  const existing = readIdentity(fs, dir);
  if (existing !== undefined) return existing;
  const identity = newIdentity();
  await writeIdentity(fs, dir, identity, joinPath(dir, tempFileName(versions.newFileNumber())));
  return identity;
}

function prepareNewDirectory(fs: FileSystem, dir: string, options: ResolvedOptions): void {
  if (!options.createIfMissing) {
    throw new InvalidArgumentError(`Engine.open: ${dir} holds no engine and createIfMissing is false`);
  }
  // checkDirectoryFormat ruled out foreign files before the lock was taken.
  const names = fs.list(dir).filter((n) => !isLockFile(n));
  // Leftovers of a creation that crashed before CURRENT existed: nothing was acknowledged.
  for (const n of names) fs.remove(joinPath(dir, n));
}

/**
 * Moves the file-number counter past every number already in the directory. WALs created
 * after the MANIFEST's last edit carry numbers it never recorded; recovery must not hand
 * one of them out again (creating a file truncates it, and the log being replayed would be
 * destroyed before the new MANIFEST is committed).
 */
function markFileNumbersUsed(fs: FileSystem, dir: string, versions: VersionSet): void {
  for (const name of fs.list(dir)) {
    const parsed = parseFileName(name);
    if (parsed && parsed.number >= versions.nextFileNumber) versions.nextFileNumber = parsed.number + 1;
  }
}

/** What replayLogs recovered. */
interface Replayed {
  lastSequence: number;
  /**
   * The last memtable, sealed and not flushed, with the oldest WAL holding it; undefined when
   * it was empty or flushed (see replayLogs).
   */
  kept: { mem: MemTable; log: number } | undefined;
}

/**
 * Replays WALs numbered >= the MANIFEST's log number into memtables, flushing each full one
 * to level 0 and committing the result to the version set in memory (the caller writes the
 * new MANIFEST). Adds what it replays and flushes to `counters`.
 *
 * The last memtable is kept for the engine to flush in the background, so an open (and a
 * restore, which replays the WAL a checkpoint carried) does not wait for that flush; its
 * WALs stay until then. Only when every log ended cleanly: a torn log must not be followed
 * by a newer log holding records (see the check below), and the engine's next WAL would be
 * one. With a torn log, the last memtable is flushed here, as every log is then obsolete.
 */
async function replayLogs(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  versions: VersionSet,
  runner: JobRunner,
  counters: WriteCounters,
): Promise<Replayed> {
  const logs = liveLogNumbers(fs, dir, versions.logNumber);
  let lastSequence = versions.lastSequence;
  let mem = new MemTable(options.writeBufferSizeBytes);
  // The log being replayed, and the oldest log with records in `mem`.
  let current = logs[0] ?? 0;
  let memLog = current;
  let torn = false;
  const added: FileMetadata[] = [];
  const flush = async (): Promise<void> => {
    if (mem.entryCount === 0) return;
    mem.seal();
    const number = versions.newFileNumber();
    const result = await runner.run({
      kind: 'flush',
      dir,
      memtable: mem.shared,
      fileNumber: number,
      table: tableOptionsOf(options),
      // No reader exists yet: only the newest version of each key is needed.
      smallestSnapshot: lastSequence,
      // Tables written while the WALs replay are read, if at all, after the open.
      warmBytes: 0,
    });
    added.push(...result.outputs);
    counters.flushBytes += result.bytesWritten;
    mem = new MemTable(options.writeBufferSizeBytes);
    memLog = current;
  };
  const memtableFor = async (need: number): Promise<MemTable> => {
    if (mem.capacityBytes - mem.approximateBytes < need) {
      await flush();
      if (mem.capacityBytes - mem.approximateBytes < need) mem = new MemTable(MemTable.capacityFor(need));
    }
    return mem;
  };
  for (let i = 0; i < logs.length; i++) {
    current = logs[i]!;
    if (mem.entryCount === 0) memLog = current;
    const path = joinPath(dir, walFileName(current));
    const { records, tornTailOffset } = readLogRecords(fs.readFile(path), path);
    if (tornTailOffset !== undefined) torn = true;
    // A log ends torn (or in preallocated zeros) only if the process died before closing
    // it, and a newer log takes records only after the older one is synced and closed. So a
    // torn log followed by logs that hold records means lost acknowledged data.
    if (tornTailOffset !== undefined && i < logs.length - 1) {
      const later = logs.slice(i + 1).map((n) => joinPath(dir, walFileName(n)));
      if (later.some((laterPath) => readLogRecords(fs.readFile(laterPath), laterPath).records.length > 0)) {
        throw new CorruptionError(
          path,
          tornTailOffset,
          'a WAL other than the newest ends in an incomplete record, and a newer WAL holds records',
        );
      }
    }
    await replayRecords(records, path, memtableFor, (batch) => {
      countReplayed(counters, batch);
      lastSequence = Math.max(lastSequence, batch.firstSequence + batch.count - 1);
    });
  }
  let kept: Replayed['kept'];
  if (torn || mem.entryCount === 0) {
    await flush();
  } else {
    mem.seal();
    kept = { mem, log: memLog };
  }
  if (added.length > 0) {
    const edit = new VersionEdit();
    for (const f of added) edit.addFile(0, f);
    versions.applyRecovered(edit);
  }
  return { lastSequence, kept };
}

/** Removes what no longer belongs: old WALs and MANIFESTs, unreferenced SSTs, temp files. */
function removeObsoleteAtOpen(fs: FileSystem, dir: string, versions: VersionSet): void {
  const garbage = obsoleteFiles(fs, dir, versions, { pendingTables: new Set(), includeTemp: true });
  for (const { name } of garbage) fs.remove(joinPath(dir, name));
}

export type { FileLock };
