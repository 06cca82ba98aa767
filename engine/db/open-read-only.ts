/**
 * The read-only open (EngineOptions.readOnly): a point-in-time view of an engine directory
 * that another process (or another Engine of this one) may be writing, taken without its
 * lock and without changing a byte of it — no LOCK, MANIFEST, CURRENT, WAL, IDENTITY or temp
 * file is created, no file is deleted, and no flush, compaction or worker runs.
 *
 * The view is the recovered MANIFEST's version plus the live WALs replayed into memtables
 * that stay in memory. It is consistent — a prefix of the writer's writes — because of the
 * order of the reads, each of which the writer's protocol (engine/FORMAT.md) makes safe:
 *
 * 1. CURRENT and the MANIFEST it names (VersionSet.recover). An edit being appended is a torn
 *    last record, ignored as at recovery: that edit has not committed.
 * 2. The version's SST files are opened at once, up to `maxOpenFiles` of them (the table
 *    cache's bound). An open file stays readable after the writer's compaction deletes it
 *    (POSIX unlink semantics; MemoryFileSystem behaves alike), so the view does not depend
 *    on the writer keeping them. A file beyond that bound that is gone by the time a read
 *    needs it fails that read with CorruptionError (table-cache.ts), never other data.
 * 3. The live WALs (numbered from the MANIFEST's log number on), read newest first. A writer
 *    fills only its two newest WALs at a time: it creates the next WAL, drains its last
 *    writes into the previous one, and only then appends to the new one. So when a WAL read
 *    holds records, every older WAL was complete before that read, and reading them later
 *    gets them whole; the one WAL that may be cut short is the newest that held records when
 *    read, and a torn tail is tolerated there and in WALs after it (which held none), as
 *    recovery tolerates it in the newest.
 *
 * The writer can move on between these steps: flush a memtable and delete its WAL (the WAL
 * at the MANIFEST's log number is then missing, whether before the listing of WALs in step 3
 * or in it), compact and delete an SST before step 2 opened it, or reopen and replace the
 * MANIFEST. Each shows up as a missing file (ENOENT, or
 * CorruptionError from the checks recovery makes), and the whole open is retried from step 1
 * a few times before the error is reported. Rejected: listing the directory before and after
 * and comparing — files the writer adds meanwhile (a new WAL) are harmless, and missing ones
 * are caught where they are read anyway.
 */
import { BlockCache } from '../cache/block-cache.js';
import { TableCache } from '../cache/table-cache.js';
import type { FileSystem } from '../env/file-system.js';
import { joinPath } from '../env/file-system.js';
import { CorruptionError, InvalidArgumentError } from '../errors.js';
import { MemTable } from '../memtable/memtable.js';
import type { ResolvedOptions } from '../options.js';
import { CURRENT_FILE, walFileName } from '../version/file-names.js';
import { zeroWriteCounters } from '../version/version-edit.js';
import { VersionSet } from '../version/version-set.js';
import type { LogReadResult } from '../wal/log-reader.js';
import { readLogRecords } from '../wal/log-reader.js';
import { Engine } from './engine.js';
import {
  checkDirectoryFormat,
  checkOldestLogExists,
  checkTablesExist,
  liveLogNumbersFromOldest,
} from './recovery-checks.js';
import { countReplayed, replayRecords } from './wal-replay.js';

/** Opens tried before a directory that keeps changing under the open is reported. */
const OPEN_ATTEMPTS = 5;
/** Pause before retry n is n times this: lets a writer finish the step it was in. */
const RETRY_DELAY_MS = 20;

/** Opens `dir` read-only (see the top of the file). `options.readOnly` is true. */
export async function openReadOnly(dir: string, options: ResolvedOptions, fs: FileSystem): Promise<Engine> {
  if (!fs.exists(dir)) {
    throw new InvalidArgumentError(`Engine.open: ${dir} does not exist (readOnly opens an existing engine)`);
  }
  return retryWhileChanging(() => {
    checkDirectoryFormat(fs, dir);
    if (!fs.exists(joinPath(dir, CURRENT_FILE))) {
      throw new InvalidArgumentError(
        `Engine.open: ${dir} holds no engine (no CURRENT file); readOnly opens an existing engine`,
      );
    }
    return openView(dir, options, fs);
  });
}

/**
 * Runs `work` — reads of a directory a writer may be changing — and runs it again, after a
 * short pause, when it fails in a way the writer moving on can cause (see the top of the
 * file); after a few attempts the error stands: the directory is damaged, not changing.
 */
export async function retryWhileChanging<T>(work: () => T | Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= OPEN_ATTEMPTS || !mayBeChangedMeanwhile(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, attempt * RETRY_DELAY_MS));
    }
  }
}

/** Whether `err` may come from the writer moving on during the open rather than from damage. */
function mayBeChangedMeanwhile(err: unknown): boolean {
  return err instanceof CorruptionError || (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

async function openView(dir: string, options: ResolvedOptions, fs: FileSystem): Promise<Engine> {
  const versions = new VersionSet(fs, dir, {
    numLevels: options.numLevels,
    maxManifestBytes: options.maxManifestBytes,
  });
  const blockCache = new BlockCache(options.blockCacheBytes);
  // Engine.iterator reports each iterator's start and end.
  blockCache.buffers.trackScans();
  const tableCache = new TableCache(fs, dir, {
    maxOpenFiles: options.maxOpenFiles,
    blockCache,
    readOnlyView: true,
  });
  try {
    versions.recover();
    checkTablesExist(fs, dir, versions);
    let pinned = 0;
    for (const level of versions.current.files) {
      for (const f of level) {
        if (pinned++ < options.maxOpenFiles) tableCache.get(f.number);
      }
    }
    checkOldestLogExists(fs, dir, versions);
    const logs = readLiveLogs(fs, dir, versions.logNumber);

    const counters = { ...(versions.writeCounters ?? zeroWriteCounters(versions.lastSequence)) };
    let lastSequence = versions.lastSequence;
    const memtables = [new MemTable(options.writeBufferSizeBytes)];
    const memtableFor = (need: number): MemTable => {
      let mem = memtables.at(-1)!;
      if (mem.capacityBytes - mem.approximateBytes < need) {
        mem.seal();
        mem = new MemTable(Math.max(options.writeBufferSizeBytes, MemTable.capacityFor(need)));
        memtables.push(mem);
      }
      return mem;
    };
    for (const { path, read } of logs) {
      await replayRecords(read.records, path, memtableFor, (batch) => {
        countReplayed(counters, batch);
        lastSequence = Math.max(lastSequence, batch.firstSequence + batch.count - 1);
      });
    }
    counters.sequence = lastSequence;
    return new Engine({
      dir,
      fs,
      options,
      readOnly: true,
      lock: undefined,
      versions,
      tableCache,
      blockCache,
      runner: undefined,
      compactionRunner: undefined,
      wal: undefined,
      walNumber: 0,
      lastSequence,
      memtables,
      counters,
      // Only checkpoints use the identity, and a read-only engine takes none.
      identity: '',
    });
  } catch (err) {
    tableCache.close();
    versions.close();
    throw err;
  }
}

/**
 * Reads the live WALs newest first and returns them oldest first, checking the torn-tail
 * rule of the top of the file: a torn tail only in the newest WAL that holds records, or in
 * a later one.
 */
function readLiveLogs(
  fs: FileSystem,
  dir: string,
  logNumber: number,
): Array<{ path: string; read: LogReadResult }> {
  const numbers = liveLogNumbersFromOldest(fs, dir, logNumber);
  const out: Array<{ path: string; read: LogReadResult }> = [];
  let laterHoldsRecords = false;
  for (let i = numbers.length - 1; i >= 0; i--) {
    const path = joinPath(dir, walFileName(numbers[i]!));
    const read = readLogRecords(fs.readFile(path), path);
    if (read.tornTailOffset !== undefined && laterHoldsRecords) {
      throw new CorruptionError(
        path,
        read.tornTailOffset,
        'a WAL followed by a WAL with records ends in an incomplete record',
      );
    }
    if (read.records.length > 0) laterHoldsRecords = true;
    out.push({ path, read });
  }
  return out.reverse();
}
