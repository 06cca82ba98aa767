/**
 * Executes a flush or compaction job: reads its inputs, writes its outputs, returns their
 * metadata. Pure with respect to engine state (it never touches the MANIFEST), so the same
 * code runs on the main thread (inline runner, tests with an in-memory file system) and in a
 * worker thread (production).
 *
 * What a compaction may drop (LevelDB's rules), with S = the smallest live snapshot:
 * - an entry shadowed by a newer entry of the same user key whose sequence is <= S: no
 *   reader can see it;
 * - a tombstone with sequence <= S when no level below the output may hold the key: there
 *   is nothing left for it to hide.
 * A flush drops only the first kind: deeper levels may still hold the key.
 */
import type { FileSystem } from '../env/file-system.js';
import { joinPath } from '../env/file-system.js';
import { ReadaheadFile } from '../env/readahead-file.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { LevelIterator } from '../iterator/level-iterator.js';
import { MergingIterator } from '../iterator/merging-iterator.js';
import { MemTable } from '../memtable/memtable.js';
import { Table } from '../sstable/table.js';
import { compareRanges } from '../util/bytes.js';
import type { FileMetadata } from '../version/file-metadata.js';
import { compareUserKeysOfInternal } from '../version/file-metadata.js';
import { tableFileName } from '../version/file-names.js';
import {
  EntryKind,
  makeInternalKey,
  MAX_SEQUENCE,
  readTrailerKind,
  readTrailerSequence,
  TRAILER_BYTES,
} from '../version/internal-key.js';
import type { IsExpired } from './compaction-filter.js';
import type { DataBlockListener } from '../sstable/table-builder.js';
import type { CompactionSpec, FlushSpec, JobResult, JobSpec } from './job-spec.js';
import { TableWriter } from './table-writer.js';
import { WarmBlocksCollector } from '../sstable/warm-blocks.js';

/** Runs `spec`; `isExpired` is the loaded module of `spec.filter` (compactions only). */
export function runJob(fs: FileSystem, spec: JobSpec, isExpired?: IsExpired): JobResult {
  return spec.kind === 'flush' ? runFlush(fs, spec) : runCompaction(fs, spec, isExpired);
}

function runFlush(fs: FileSystem, spec: FlushSpec): JobResult {
  const mem = MemTable.fromShared(spec.memtable);
  const warm = new WarmBlocksCollector(spec.fileNumber, spec.warmBytes);
  const keep: DataBlockListener = (contents, offset) => warm.add(contents, offset);
  const writer = new TableWriter(
    fs,
    spec.dir,
    spec.table,
    Number.MAX_SAFE_INTEGER,
    { first: spec.fileNumber, count: 1 },
    spec.warmBytes > 0 ? keep : undefined,
  );
  const it = mem.singlePassIterator();
  try {
    it.seekToFirst();
    const stats = copyEntries(it, writer, {
      smallestSnapshot: spec.smallestSnapshot,
      mayDropTombstone: () => false,
    });
    writer.finishFile();
    const warmed = warm.result();
    return {
      outputs: writer.outputs,
      bytesRead: 0,
      bytesWritten: writer.bytesWritten,
      ...stats,
      ...(warmed === undefined ? {} : { warm: warmed }),
    };
  } catch (err) {
    writer.abandon();
    throw err;
  } finally {
    it.close();
  }
}

function runCompaction(fs: FileSystem, spec: CompactionSpec, isExpired: IsExpired | undefined): JobResult {
  if (spec.filter !== undefined && isExpired === undefined) {
    throw new Error(`compaction filter ${spec.filter.module} was not loaded before the job ran`);
  }
  const opened: Table[] = [];
  const open = (f: FileMetadata): InternalIterator => {
    const file = new ReadaheadFile(fs.openRandomAccess(joinPath(spec.dir, tableFileName(f.number))));
    const table = Table.open(file, f.number);
    opened.push(table);
    return table.iterator();
  };
  const children: InternalIterator[] = [];
  let bytesRead = 0;
  for (const { level, files } of spec.inputs) {
    for (const f of files) bytesRead += f.sizeBytes;
    if (level === 0) for (const f of files) children.push(open(f));
    else if (files.length > 0) children.push(new LevelIterator(files, open));
  }
  const merged = new MergingIterator(children);
  const writer = new TableWriter(fs, spec.dir, spec.table, spec.targetFileSizeBytes, spec.outputNumbers);
  const deeper = new DeeperLevels(spec.deeperLevels);
  try {
    const filter = spec.filter;
    const start = spec.range?.start;
    // The smallest internal key of `start`: its newest version sorts first.
    if (start === undefined) merged.seekToFirst();
    else merged.seek(makeInternalKey(start, MAX_SEQUENCE, EntryKind.Put));
    const stats = copyEntries(merged, writer, {
      end: spec.range?.end,
      smallestSnapshot: spec.smallestSnapshot,
      mayDropTombstone: (key) => !deeper.mayHold(key),
      expired:
        filter === undefined || isExpired === undefined
          ? undefined
          : (userKey, value) => isExpired(userKey, value, filter.nowMs),
      maxReports: filter?.maxReports ?? 0,
    });
    writer.finishFile();
    return { outputs: writer.outputs, bytesRead, bytesWritten: writer.bytesWritten, ...stats };
  } catch (err) {
    writer.abandon();
    throw err;
  } finally {
    merged.close();
    for (const t of opened) t.close();
  }
}

interface DropRules {
  /** The entries copied end before this user key (absent: at the end of the input). */
  end?: Uint8Array | undefined;
  /** Entries shadowed by a newer version at or below it are dropped. */
  smallestSnapshot: number;
  /** Called with an internal key (trailer included) of a tombstone at or below the snapshot. */
  mayDropTombstone: (internalKey: Uint8Array) => boolean;
  /** The compaction filter: whether the newest value of a key has expired, or is to be reported. */
  expired?: (userKey: Uint8Array, value: Uint8Array) => boolean | 'report';
  /** Keys the filter reports that are collected (copied) for the owner; more are only counted. */
  maxReports?: number;
}

interface CopyStats {
  entriesIn: number;
  entriesDropped: number;
  entriesExpired: number;
  entriesReported: number;
  reported?: Uint8Array[];
}

/** Copies the entries from where `it` is positioned (see DropRules.end for where it stops). */
function copyEntries(it: InternalIterator, writer: TableWriter, rules: DropRules): CopyStats {
  // The current user key, copied into a buffer reused for every key: a copy of its own per
  // key was an allocation per entry of a flush, whose keys are mostly distinct.
  let currentUser = new Uint8Array(64);
  let currentLength = -1;
  let lastSeqForKey = Number.MAX_SAFE_INTEGER;
  let entriesIn = 0;
  let entriesDropped = 0;
  let entriesExpired = 0;
  let entriesReported = 0;
  const maxReports = rules.maxReports ?? 0;
  const reported: Uint8Array[] = [];
  const end = rules.end;
  for (; it.valid(); it.next()) {
    const key = it.key();
    const userEnd = key.length - TRAILER_BYTES;
    if (currentLength < 0 || compareRanges(key, 0, userEnd, currentUser, 0, currentLength) !== 0) {
      if (end !== undefined && compareRanges(key, 0, userEnd, end, 0, end.length) >= 0) break;
      if (writer.shouldCut) writer.finishFile();
      if (userEnd > currentUser.length)
        currentUser = new Uint8Array(Math.max(userEnd, 2 * currentUser.length));
      for (let i = 0; i < userEnd; i++) currentUser[i] = key[i]!;
      currentLength = userEnd;
      lastSeqForKey = Number.MAX_SAFE_INTEGER;
    }
    entriesIn++;
    const seq = readTrailerSequence(key, userEnd);
    const newest = lastSeqForKey === Number.MAX_SAFE_INTEGER;
    let kind = readTrailerKind(key, userEnd);
    let drop = false;
    let expired = false;
    if (lastSeqForKey <= rules.smallestSnapshot) {
      drop = true;
    } else if (
      // Only the newest version, and only one no snapshot reads an older version through:
      // a tombstone at the same sequence changes nothing for a reader older than it.
      newest &&
      kind === EntryKind.Put &&
      rules.expired !== undefined
    ) {
      const verdict = rules.expired(currentUser.subarray(0, currentLength), it.value());
      if (verdict === true) {
        expired = true;
        kind = EntryKind.Delete;
      } else if (verdict === 'report') {
        entriesReported++;
        if (reported.length < maxReports) reported.push(currentUser.slice(0, currentLength));
      }
    }
    if (!drop && kind === EntryKind.Delete && seq <= rules.smallestSnapshot && rules.mayDropTombstone(key)) {
      drop = true;
    }
    lastSeqForKey = seq;
    if (expired) entriesExpired++;
    if (drop) entriesDropped++;
    else if (expired) {
      const tombstone = makeInternalKey(currentUser.subarray(0, currentLength), seq, EntryKind.Delete);
      writer.add(tombstone, new Uint8Array(0));
    } else writer.add(key, it.value());
  }
  const stats: CopyStats = { entriesIn, entriesDropped, entriesExpired, entriesReported };
  if (reported.length > 0) stats.reported = reported;
  return stats;
}

/**
 * Answers "may a level below the output hold this user key?" for keys visited in increasing
 * order, with one cursor per level so the whole compaction costs O(files) comparisons.
 */
class DeeperLevels {
  readonly #levels: Array<Array<{ smallest: Uint8Array; largest: Uint8Array }>>;
  readonly #cursors: number[];

  constructor(levels: Array<Array<{ smallest: Uint8Array; largest: Uint8Array }>>) {
    this.#levels = levels;
    this.#cursors = levels.map(() => 0);
  }

  mayHold(internalKey: Uint8Array): boolean {
    for (let l = 0; l < this.#levels.length; l++) {
      const files = this.#levels[l]!;
      let i = this.#cursors[l]!;
      while (i < files.length && compareUserKeysOfInternal(internalKey, files[i]!.largest) > 0) i++;
      this.#cursors[l] = i;
      if (i < files.length && compareUserKeysOfInternal(internalKey, files[i]!.smallest) >= 0) return true;
    }
    return false;
  }
}
