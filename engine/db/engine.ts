/**
 * The engine: an LSM key-value store. This file is the coordinator — it owns the memtables,
 * the version set, the write pipeline and the two background lanes, and answers the public
 * API. Opening and recovery live in open-engine.ts; group commit in write-pipeline.ts; the
 * user-facing iterator in engine-iterator.ts; stats() and its counters in engine-stats.ts.
 *
 * Threading: everything here runs on the caller's thread. Flushes and compactions run through
 * JobRunners (worker threads in production), one for each lane: a flush and a compaction may
 * run at once (#scheduleWork), each lane one job at a time. Their results are committed here,
 * one at a time, through the MANIFEST.
 *
 * Memory bound: at most one active memtable plus `maxImmutableMemtables` sealed ones; a write
 * that needs a new memtable when none may be added waits (a stall), as does any write while
 * level 0 holds `l0StopWritesTrigger` files.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { BlockCache } from '../cache/block-cache.js';
import type { TableCache } from '../cache/table-cache.js';
import type { Table } from '../sstable/table.js';
import {
  batchDataBytes,
  batchEntryBytes,
  checkKey,
  checkValue,
  encodeBatchForLog,
  encodeSingleOp,
  encodeSingleOpInto,
  setBatchSequence,
  WriteBatch,
} from '../batch/write-batch.js';
import { applyBatch, openBatch } from '../batch/batch-reader.js';
import type { Checkpoint } from '../checkpoint/checkpoint-format.js';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { checkCheckpointArgs, takeCheckpoint } from '../checkpoint/take-checkpoint.js';
import type {
  CheckpointOptions,
  CheckpointRequest,
  PinnedLog,
  PinnedState,
} from '../checkpoint/take-checkpoint.js';
import { filterSpecOf } from '../compaction/compaction-filter.js';
import type { JobRunner } from '../compaction/job-runner.js';
import type { CompactionSpec, JobResult, JobSpec } from '../compaction/job-spec.js';
import type { WarmBlocks } from '../sstable/warm-blocks.js';
import { warmChunkBytes } from '../sstable/warm-blocks.js';
import type { CompactionPlan } from '../compaction/picker.js';
import { levelScores, pickCompaction, planFor, rangeOf } from '../compaction/picker.js';
import { anchorStride, joinPartResults, splitRanges } from '../compaction/subcompactions.js';
import type { KeyRange } from '../compaction/subcompactions.js';
import type { FileMetadata } from '../version/file-metadata.js';
import type { FileLock, FileSystem } from '../env/file-system.js';
import { joinPath } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-file-system.js';
import {
  BackgroundError,
  ClosedError,
  CorruptionError,
  IncompatibleFormatError,
  InvalidArgumentError,
  ReadOnlyError,
} from '../errors.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import { LevelIterator } from '../iterator/level-iterator.js';
import { MergingIterator } from '../iterator/merging-iterator.js';
import { MemTable } from '../memtable/memtable.js';
import type { EngineOptions, ResolvedOptions } from '../options.js';
import { compactRangeParts, tableOptionsOf } from '../options.js';
import type { CompactRangeOptions } from '../options.js';
import { ByteWriter, toBytes } from '../util/bytes.js';
import { pointValueTarget } from '../util/value-slab.js';
import { InvariantError, invariant } from '../util/invariant.js';
import { walFileName } from '../version/file-names.js';
import { obsoleteFiles } from '../version/obsolete-files.js';
import { EntryKind } from '../version/internal-key.js';
import type { Version } from '../version/version.js';
import { VersionEdit } from '../version/version-edit.js';
import type { WriteCounters } from '../version/version-edit.js';
import type { VersionSet } from '../version/version-set.js';
import { LogWriter } from '../wal/log-writer.js';
import type { DescribeOptions, EngineDescription } from './describe-engine.js';
import { EngineIterator, parseIteratorOptions } from './engine-iterator.js';
import { FileDeleter } from './file-deleter.js';
import { EngineCounters, blockCacheStats } from './engine-stats.js';
import type { EngineStats } from './engine-stats.js';
import { pointRead, pointReadMany } from './point-reads.js';
import type { IteratorOptions } from './engine-iterator.js';
import { Snapshot, SnapshotList } from './snapshot.js';
import { WritePipeline } from './write-pipeline.js';

/** Attempts of a flush or compaction job before its failure stops writes (see #runJob). */
const JOB_ATTEMPTS = 4;

/** Whether a job that failed with `err` may succeed if run again (an I/O error may pass). */
function retryable(err: unknown): boolean {
  return !(
    err instanceof CorruptionError ||
    err instanceof IncompatibleFormatError ||
    err instanceof InvariantError
  );
}

/** The background lanes (see #scheduleWork). */
type Lane = 'flush' | 'compaction';

/**
 * How long the event loop may go without a turn, while background work is in flight, before
 * write acknowledgements wait for one (Engine#pace).
 */
const STARVED_EVENT_LOOP_MS = 1;

/**
 * Puts and deletes whose key and value together fit in this many bytes encode their WAL
 * payload into `singleOpScratch` (Engine#applyOne); larger ones get an array of their own,
 * so that the scratch stays small.
 */
const SINGLE_OP_SCRATCH_BYTES = 4096;
/** Room for the batch header, the op's kind and two varints besides the key and value. */
const singleOpScratch = new ByteWriter(SINGLE_OP_SCRATCH_BYTES + 64);

/** Unpins the version of an iterator that was dropped without close(). */
const ITERATOR_PINS = new FinalizationRegistry<() => void>((unpin) => unpin());

/** Options of a write. */
export interface WriteOptions {
  /** Resolve only after the write is fsynced to the WAL. Default false. */
  sync?: boolean;
}

/** Options of a read. */
export interface ReadOptions {
  /** Read at this snapshot instead of the latest state. */
  snapshot?: Snapshot;
}

interface Memtables {
  mem: MemTable;
  /** WAL holding the active memtable's writes. */
  memLog: number;
  /**
   * Sealed memtables, oldest first, each with the (oldest) WAL that holds it; `closed` when
   * this engine sealed it and closed its WAL (not one replayed at open, which may hold
   * several), so the WAL holds exactly its writes.
   */
  imms: Array<{ mem: MemTable; log: number; closed?: boolean }>;
}

/**
 * @internal Everything open-engine.ts (or open-read-only.ts) hands to the constructor. A
 * read-only engine has no lock, job runners or WAL, and brings the memtables it replayed.
 */
export interface EngineParts {
  dir: string;
  fs: FileSystem;
  options: ResolvedOptions;
  readOnly: boolean;
  lock: FileLock | undefined;
  versions: VersionSet;
  tableCache: TableCache;
  blockCache: BlockCache;
  runner: JobRunner | undefined;
  compactionRunner: JobRunner | undefined;
  /** Makes the runners of split compactions' parts (EngineOptions.maxSubcompactions). */
  makeRunner?: () => JobRunner;
  wal: LogWriter | undefined;
  walNumber: number;
  lastSequence: number;
  /** Read-only: the memtables replayed from the WALs, oldest first (the last one is active). */
  memtables?: MemTable[];
  /**
   * Writable: the last memtable recovery replayed, sealed and left for a background flush
   * (open-engine.ts), with the oldest WAL holding it; the MANIFEST's log number keeps it.
   */
  recovered?: { mem: MemTable; log: number };
  /** The write counters as of `lastSequence`. */
  counters: WriteCounters;
  /** The directory's identity (checkpoint/engine-identity.ts); '' when read-only. */
  identity: string;
}

/**
 * An open LSM key-value engine. Create with `Engine.open(dir, options)`.
 *
 * Keys and values are Uint8Array or string (UTF-8). Reads are synchronous; writes resolve
 * once applied (and, with `{ sync: true }`, once durable).
 */
export class Engine {
  readonly #dir: string;
  readonly #fs: FileSystem;
  /** Removes obsolete files off the main thread (file-deleter.ts). */
  readonly #deleter: FileDeleter;
  readonly #options: ResolvedOptions;
  readonly #readOnly: boolean;
  readonly #lock: FileLock | undefined;
  readonly #versions: VersionSet;
  readonly #tableCache: TableCache;
  readonly #blockCache: BlockCache;
  /** Tables holding a flush's blocks not yet read (#adoptWarm), oldest first, with their bytes. */
  #warmTables: { table: Table; bytes: number }[] = [];
  /** Runs flushes; compactions have their own runner so that a flush never waits for one. */
  readonly #runner: JobRunner | undefined;
  readonly #compactionRunner: JobRunner | undefined;
  /** Runners of the parts of a split compaction past the first, started when first needed. */
  readonly #partRunners: JobRunner[] = [];
  readonly #makeRunner: (() => JobRunner) | undefined;
  readonly #pipeline: WritePipeline;
  readonly #snapshots = new SnapshotList();
  readonly #tables: Memtables;
  #lastSequence: number;
  readonly #identity: string;
  /**
   * Random, per open: names this process's WALs in checkpoint stores. WAL numbers repeat
   * across a directory copied by hand (both copies hand out the same next numbers), but only
   * the process that created a WAL appends to it, so (identity, session, number) names one
   * growing file whose stored prefixes a later checkpoint may extend.
   */
  readonly #session = randomBytes(8).toString('hex');

  #closing: Promise<void> | undefined;
  #closed = false;
  #backgroundError: Error | undefined;
  /**
   * The admission gate (see #enterGate): the end of its queue, and how many hold it or wait
   * for it. Writes take the fast path only while this count is 0.
   */
  #gateTail: Promise<void> = Promise.resolve();
  #gateUsers = 0;
  /** The two background lanes: each runs one job at a time, each has at most one queued. */
  readonly #lanes: Record<Lane, { queued: boolean; tail: Promise<void> }> = {
    flush: { queued: false, tail: Promise.resolve() },
    compaction: { queued: false, tail: Promise.resolve() },
  };
  #manualWaiting = 0;
  /** Woken whenever background work finishes (stalled writers, flush(), close()). */
  #progressWaiters: Array<() => void> = [];
  readonly #pendingOutputs = new Set<number>();
  /** WALs a checkpoint is copying, with how many checkpoints: kept until they finish. */
  readonly #pinnedLogs = new Map<number, number>();

  /** What stats() counts; the byte counters are restored at open (see #writeCounters). */
  readonly #counters: EngineCounters;
  /**
   * Whether the engine runs on the real file system, where background I/O and the workers'
   * messages arrive through the event loop: only there are write acknowledgements paced
   * (#pace) and sync groups gathered (WritePipeline). In-memory file systems complete
   * without the event loop, and waiting on it would change deterministic simulations.
   */
  readonly #realFileSystem: boolean;
  /** When #pace asked for an event-loop turn that has not come yet; -1 when none is asked. */
  #turnRequestedAt = -1;

  /** @internal Use `Engine.open`. */
  constructor(parts: EngineParts) {
    this.#dir = parts.dir;
    this.#fs = parts.fs;
    this.#deleter = new FileDeleter(parts.fs);
    this.#realFileSystem = parts.fs instanceof NodeFileSystem;
    this.#options = parts.options;
    this.#readOnly = parts.readOnly;
    this.#lock = parts.lock;
    this.#versions = parts.versions;
    this.#tableCache = parts.tableCache;
    this.#blockCache = parts.blockCache;
    this.#runner = parts.runner;
    this.#compactionRunner = parts.compactionRunner;
    this.#makeRunner = parts.makeRunner;
    this.#lastSequence = parts.lastSequence;
    this.#identity = parts.identity;
    this.#counters = new EngineCounters(parts.counters);
    const replayed = parts.memtables ?? [];
    this.#tables = {
      mem: replayed.at(-1) ?? new MemTable(parts.options.writeBufferSizeBytes),
      memLog: parts.walNumber,
      // A read-only engine never flushes them, so the WAL each came from does not matter.
      imms: replayed.slice(0, -1).map((mem) => ({ mem, log: parts.walNumber })),
    };
    if (parts.recovered !== undefined) this.#tables.imms.push(parts.recovered);
    this.#pipeline = new WritePipeline(
      parts.wal,
      parts.lastSequence,
      (err) => this.#setBackgroundError(err),
      {
        gatherSyncGroups: this.#realFileSystem,
        inlineSync: (parts.options.walSyncMode ?? (this.#realFileSystem ? 'inline' : 'async')) === 'inline',
      },
    );
    // Recovery may leave a shape that calls for compaction (e.g. level 0 over its trigger).
    this.#scheduleWork();
  }

  /**
   * Opens (creating if needed) the engine in `dir`, taking an exclusive lock on it. Recovers
   * the state from the MANIFEST and replays the write-ahead log.
   *
   * With `{ readOnly: true }`, opens an existing engine without the lock and without changing
   * anything in `dir`, even while another process writes it: a point-in-time view as of the
   * open, on which every write rejects with ReadOnlyError (see EngineOptions.readOnly).
   */
  static async open(dir: string, options?: EngineOptions): Promise<Engine> {
    const { openEngine } = await import('./open-engine.js');
    return openEngine(dir, options);
  }

  /**
   * The shape of the engine in `dir` — levels, SST files with sizes, key ranges and sequence
   * numbers, live WALs, and the write counters with the write amplification — read from its
   * MANIFEST and WALs without opening the engine: no lock, nothing written, no memtable
   * built, so it is cheap and works while a process has the directory open. Fails like
   * `Engine.open` on a directory that is not an engine's (InvalidArgumentError without
   * CURRENT), is damaged or is newer.
   */
  static async describe(dir: string, options?: DescribeOptions): Promise<EngineDescription> {
    const { describeEngine } = await import('./describe-engine.js');
    return describeEngine(dir, options);
  }

  /** The directory this engine lives in. */
  get dir(): string {
    return this.#dir;
  }

  // ---------------------------------------------------------------- writes

  /** Sets `key` to `value`. */
  put(key: Uint8Array | string, value: Uint8Array | string, options?: WriteOptions): Promise<void> {
    try {
      const sync = this.#checkWrite('Engine.put', options);
      const k = checkKey(key, 'Engine.put');
      const v = checkValue(value, 'Engine.put');
      return this.#writeOne(EntryKind.Put, k, v, sync);
    } catch (err) {
      return rejected(err);
    }
  }

  /** Removes `key` (no error if it is absent). */
  delete(key: Uint8Array | string, options?: WriteOptions): Promise<void> {
    try {
      const sync = this.#checkWrite('Engine.delete', options);
      const k = checkKey(key, 'Engine.delete');
      return this.#writeOne(EntryKind.Delete, k, new Uint8Array(0), sync);
    } catch (err) {
      return rejected(err);
    }
  }

  /**
   * Applies every operation of `batch` atomically: after a crash, all or none are present.
   * Writes (put, delete, write) apply in the order they are called, even while earlier ones
   * have not resolved.
   */
  write(batch: WriteBatch, options?: WriteOptions): Promise<void> {
    try {
      const sync = this.#checkWrite('Engine.write', options);
      if (!(batch instanceof WriteBatch)) {
        throw new InvalidArgumentError('Engine.write: batch must be a WriteBatch');
      }
      if (batch.length === 0) return Promise.resolve();
      const need = batchEntryBytes(batch);
      if (this.#gateUsers === 0 && this.#canAdmit(need)) {
        return this.#pace(this.#applyBatch(batch, sync), sync);
      }
      return this.#admit(need, () => this.#applyBatch(batch, sync));
    } catch (err) {
      return rejected(err);
    }
  }

  #writeOne(kind: EntryKind, key: Uint8Array, value: Uint8Array, sync: boolean): Promise<void> {
    const need = MemTable.requiredBytes(key.length, value.length);
    if (this.#gateUsers === 0 && this.#canAdmit(need)) {
      return this.#pace(this.#applyOne(kind, key, value, sync), sync);
    }
    return this.#admit(need, () => this.#applyOne(kind, key, value, sync));
  }

  #applyOne(kind: EntryKind, key: Uint8Array, value: Uint8Array, sync: boolean): Promise<void> {
    const seq = ++this.#lastSequence;
    // The WAL copies the payload at once (LogWriter.addRecord), so a small one is encoded
    // into one reused buffer: a fresh array per put is an allocation outside the heap (over
    // 64 bytes), which profiles of fillsync64 showed costing more than the memtable insert.
    let payload: Uint8Array;
    if (key.length + value.length <= SINGLE_OP_SCRATCH_BYTES) {
      payload = encodeSingleOpInto(singleOpScratch, seq, kind, key, value);
    } else {
      payload = encodeSingleOp(kind, key, value);
      setBatchSequence(payload, seq);
    }
    this.#tables.mem.add(seq, kind, key, value);
    this.#counters.userBytes += key.length + value.length;
    this.#counters.walBytes += payload.length;
    return this.#pipeline.commit(payload, seq, sync);
  }

  #applyBatch(batch: WriteBatch, sync: boolean): Promise<void> {
    const first = this.#lastSequence + 1;
    const payload = encodeBatchForLog(batch, first);
    const cursor = openBatch(payload);
    applyBatch(cursor, this.#tables.mem);
    this.#lastSequence += batch.length;
    this.#counters.userBytes += batchDataBytes(batch);
    this.#counters.walBytes += payload.length;
    return this.#pipeline.commit(payload, this.#lastSequence, sync);
  }

  /**
   * The acknowledgement of a write that did not wait: `committed` itself for a synced write
   * (its fsync turns the event loop) and otherwise too, unless the event loop has not turned
   * for {@link STARVED_EVENT_LOOP_MS} while a flush or compaction is in flight; then it
   * resolves after one turn.
   *
   * Why: a job's result is installed here, on this thread, when its worker's message is
   * taken from the event loop, and the next job starts after that. An unsynced write needs
   * no I/O, so a writer that awaits one write after another runs on microtasks alone and
   * never lets the event loop turn: finished flushes were left uninstalled for seconds, and
   * the writer then stalled on the memtables they would have freed. Waiting a turn now and
   * then costs the writer microseconds and keeps the background pipeline moving. The write
   * itself is applied before this is called; only its acknowledgement waits.
   *
   * Only on the real file system (#realFileSystem): pacing by the wall clock would make two
   * runs of one seed of a simulation differ.
   */
  #pace(committed: Promise<void>, sync: boolean): Promise<void> {
    if (sync || !this.#realFileSystem) return committed;
    if (!this.#lanes.flush.queued && !this.#lanes.compaction.queued) return committed;
    const now = performance.now();
    if (this.#turnRequestedAt < 0) {
      // Nothing measures turns yet: ask for one and see whether it comes.
      this.#turnRequestedAt = now;
      setImmediate(this.#onTurn);
      return committed;
    }
    if (now - this.#turnRequestedAt < STARVED_EVENT_LOOP_MS) return committed;
    return committed.then(() => nextTurn());
  }

  /** Runs on an event-loop turn that #pace asked for. */
  readonly #onTurn = (): void => {
    this.#turnRequestedAt = -1;
  };

  #checkWrite(api: string, options: WriteOptions | undefined): boolean {
    if (this.#readOnly) {
      throw new ReadOnlyError(
        `${api}: the engine was opened read-only (Engine.open with readOnly: true) and never writes; open it without readOnly to write`,
      );
    }
    if (this.#closed || this.#closing) throw new ClosedError(`${api}: the engine is closed`);
    if (this.#backgroundError) {
      throw new BackgroundError(
        `${api}: writes are refused after an earlier failure: ${this.#backgroundError.message}`,
        {
          cause: this.#backgroundError,
        },
      );
    }
    if (options === undefined) return false;
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`${api}: options must be an object`);
    }
    if (options.sync !== undefined && typeof options.sync !== 'boolean') {
      throw new InvalidArgumentError(`${api}: options.sync must be a boolean`);
    }
    return options.sync ?? false;
  }

  #memHasRoom(need: number): boolean {
    const m = this.#tables.mem;
    return m.capacityBytes - m.approximateBytes >= need;
  }

  #canAdmit(need: number): boolean {
    return (
      this.#memHasRoom(need) && this.#versions.current.files[0]!.length < this.#options.l0StopWritesTrigger
    );
  }

  /**
   * The slow path of a write: waits until `need` memtable bytes are free (switching memtables,
   * or stalling for flush and compaction), then calls `apply` in the same synchronous step
   * as the final room check, so no other writer can take the room in between.
   */
  async #admit(need: number, apply: () => Promise<void>): Promise<void> {
    const leave = await this.#enterGate();
    let stalledAt = 0;
    let committed: Promise<void>;
    try {
      for (;;) {
        this.#checkWrite('Engine.write', undefined);
        const l0Full = this.#versions.current.files[0]!.length >= this.#options.l0StopWritesTrigger;
        if (!l0Full && this.#memHasRoom(need)) break;
        if (l0Full || this.#tables.imms.length >= this.#options.maxImmutableMemtables) {
          if (stalledAt === 0) {
            stalledAt = performance.now();
            this.#counters.stallCount++;
          }
          // Whatever made room must be under way before we wait for it.
          this.#scheduleWork();
          await this.#waitForProgress();
          continue;
        }
        await this.#switchMemtable(need);
      }
      committed = apply();
    } finally {
      if (stalledAt !== 0) this.#counters.stallMs += performance.now() - stalledAt;
      leave();
    }
    return committed;
  }

  /**
   * Joins the admission gate's queue; resolves, in the order of the calls, once every
   * earlier user has left, with the function that leaves (idempotent). Synchronously counts
   * the caller as a user, so a write called after it queues behind it.
   *
   * Who passes through it: a write that cannot take the fast path (no room in the memtable,
   * level 0 full), flush, a checkpoint's pin and close. So writes apply in the order they
   * were called, and a flush or pin is ordered after every write called before it and
   * before every write called after it. The first design let waiters re-check a shared
   * promise: in the microtask turns between one holder letting go and the next waiter
   * resuming, a later write found the gate open and took the fast path, overtaking an
   * earlier write of the same key (the older value then stood), and a checkpoint's pin
   * could overtake a write called before it.
   */
  #enterGate(): Promise<() => void> {
    this.#gateUsers++;
    const previous = this.#gateTail;
    let open!: () => void;
    this.#gateTail = new Promise<void>((resolve) => (open = resolve));
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      this.#gateUsers--;
      open();
    };
    return previous.then(() => leave);
  }

  /** Seals the active memtable, starts a new WAL and memtable, and schedules the flush. */
  async #switchMemtable(need = 0): Promise<void> {
    const number = this.#versions.newFileNumber();
    // A log that could not be created changes nothing: the writer gets the error.
    const file = this.#fs.openWritable(joinPath(this.#dir, walFileName(number)), 'create', {
      preallocateBytes: this.#options.walPreallocateBytes,
    });
    const wal = new LogWriter(file, number);
    try {
      // The new log's name must be durable before a sync write in it is acknowledged; made
      // so before the switch, a failure here leaves the writers on the old log and memtable.
      await this.#fs.syncDir(this.#dir);
      await this.#pipeline.switchWal(wal);
    } catch (err) {
      // Either the directory or the old log did not sync: what was written may not be
      // durable, so no later write may be acknowledged (as after a failed WAL write).
      // Never used: the empty log (not even its header written) is removed at the next open.
      if (this.#pipeline.wal !== wal) wal.abandon();
      this.#setBackgroundError(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    const t = this.#tables;
    t.mem.seal();
    t.imms.push({ mem: t.mem, log: t.memLog, closed: true });
    const capacity = Math.max(this.#options.writeBufferSizeBytes, MemTable.capacityFor(need));
    t.mem = new MemTable(capacity);
    t.memLog = number;
    this.#scheduleWork();
  }

  // ---------------------------------------------------------------- reads

  /** The value of `key`, or undefined if it is absent. Synchronous. */
  get(key: Uint8Array | string, options?: ReadOptions): Uint8Array | undefined {
    this.#checkOpen('Engine.get');
    const k = toBytes(key, 'Engine.get', 'key');
    const seq = this.#readSequence('Engine.get', options);
    return this.#get(k, seq);
  }

  /** The values of `keys`, in order; undefined for absent keys. Synchronous. */
  getMany(keys: ReadonlyArray<Uint8Array | string>, options?: ReadOptions): (Uint8Array | undefined)[] {
    this.#checkOpen('Engine.getMany');
    if (!Array.isArray(keys)) throw new InvalidArgumentError('Engine.getMany: keys must be an array');
    const seq = this.#readSequence('Engine.getMany', options);
    const bytes = new Array<Uint8Array>(keys.length);
    for (let i = 0; i < keys.length; i++) bytes[i] = toBytes(keys[i], 'Engine.getMany', `keys[${i}]`);
    return pointReadMany(this.#tables, this.#versions.current, this.#tableCache, bytes, seq);
  }

  /**
   * Reads the value of `key` into `target` without allocating: returns the value's length,
   * or -1 if the key is absent. The value is copied to `target[0, length)` when it fits; when
   * it is longer than `target`, nothing is copied and its length is returned, so a caller
   * can read it again into a buffer that large (or use `get`). Synchronous.
   *
   * For hot read loops: `get` returns a copy of the caller's own, an allocation per read
   * (value-slab.ts); here the caller reuses one buffer, and the garbage collector sees none.
   *
   * @throws InvalidArgumentError if `target` is not a Uint8Array, or as `get` does.
   */
  getInto(key: Uint8Array | string, target: Uint8Array, options?: ReadOptions): number {
    this.#checkOpen('Engine.getInto');
    const k = toBytes(key, 'Engine.getInto', 'key');
    if (!(target instanceof Uint8Array)) {
      throw new InvalidArgumentError(
        `Engine.getInto: target must be a Uint8Array, got ${target === null ? 'null' : typeof target}`,
      );
    }
    const seq = this.#readSequence('Engine.getInto', options);
    pointValueTarget.into = target;
    try {
      return this.#get(k, seq) === undefined ? -1 : pointValueTarget.length;
    } finally {
      pointValueTarget.into = undefined;
    }
  }

  #get(key: Uint8Array, seq: number): Uint8Array | undefined {
    return pointRead(this.#tables, this.#versions.current, this.#tableCache, key, seq);
  }

  #readSequence(api: string, options: ReadOptions | undefined): number {
    if (options === undefined) return this.#pipeline.visibleSequence;
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError(`${api}: options must be an object`);
    }
    const s = options.snapshot;
    if (s === undefined) return this.#pipeline.visibleSequence;
    if (!(s instanceof Snapshot))
      throw new InvalidArgumentError(`${api}: options.snapshot must be a Snapshot`);
    s.check(api, this.#snapshots);
    return s.sequence;
  }

  /**
   * A synchronous iterator over [key, value] pairs in key order (or reverse), within the
   * given bounds, at one consistent point in time. Close it (or run it to the end) to let
   * compaction delete the files it reads.
   */
  iterator(options?: IteratorOptions): EngineIterator {
    this.#checkOpen('Engine.iterator');
    const parsed = parseIteratorOptions(options);
    const seq = this.#readSequence('Engine.iterator', options);
    const version = this.#versions.current;
    version.ref();
    let internal: InternalIterator;
    try {
      internal = this.#internalIterator(version);
    } catch (err) {
      // Opening a table failed (e.g. corruption): nothing may stay pinned.
      version.unref();
      throw err;
    }
    // Until it ends, the cache reuses no memory of a block it may have seen (block-buffers.ts).
    const buffers = this.#blockCache.buffers;
    buffers.scanOpened();
    const pin = { released: false };
    const unpin = (): void => {
      if (pin.released) return;
      pin.released = true;
      version.unref();
      buffers.scanClosed();
    };
    const iterator = new EngineIterator(
      internal,
      seq,
      parsed,
      () => {
        ITERATOR_PINS.unregister(pin);
        unpin();
      },
      (api) => this.#checkOpen(api),
    );
    ITERATOR_PINS.register(iterator, unpin, pin);
    return iterator;
  }

  #internalIterator(version: Version): InternalIterator {
    const t = this.#tables;
    // Each memtable gives one cursor per sorted run (memtable/sorted-runs.ts).
    const children: InternalIterator[] = t.mem.iterators();
    for (let i = t.imms.length - 1; i >= 0; i--) children.push(...t.imms[i]!.mem.iterators());
    for (const f of version.files[0]!) children.push(this.#tableCache.get(f.number).iterator());
    for (let level = 1; level < version.numLevels; level++) {
      const files = version.files[level]!;
      if (files.length > 0) {
        children.push(new LevelIterator(files, (f, reuse) => this.#tableCache.get(f.number).iterator(reuse)));
      }
    }
    return new MergingIterator(children);
  }

  /** A consistent view at the current point; pass it to reads. Call `release()` when done. */
  snapshot(): Snapshot {
    this.#checkOpen('Engine.snapshot');
    return this.#snapshots.create(this.#pipeline.visibleSequence);
  }

  #checkOpen(api: string): void {
    if (this.#closed) throw new ClosedError(`${api}: the engine is closed`);
  }

  // ---------------------------------------------------------------- background work

  #setBackgroundError(err: Error): void {
    this.#backgroundError ??= err;
    this.#wakeProgress();
  }

  #waitForProgress(): Promise<void> {
    return new Promise((resolve) => this.#progressWaiters.push(resolve));
  }

  #wakeProgress(): void {
    const waiters = this.#progressWaiters;
    this.#progressWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Queues background work: the oldest sealed memtable's flush in the flush lane, and the
   * compaction the levels call for in the compaction lane. The two lanes run side by side (as
   * RocksDB's flush and compaction pools do): with one lane, flushes always went first and,
   * under a steady write load, compactions starved until level 0 stopped writes for the
   * length of one large compaction.
   *
   * A compaction is planned when it starts, inside its lane, never earlier: a plan made
   * before the previous compaction committed could name files that compaction deleted. A
   * flush running meanwhile only adds a level-0 file newer than any the plan holds.
   */
  #scheduleWork(): void {
    // Closing: the WAL already holds everything, so no new job is started.
    if (this.#readOnly || this.#closed || this.#closing || this.#backgroundError) return;
    const flush = this.#lanes.flush;
    if (!flush.queued && this.#tables.imms.length > 0) {
      flush.queued = true;
      void this.#inLane('flush', async () => {
        try {
          await this.#flushOldest();
        } finally {
          flush.queued = false;
        }
      }).finally(() => this.#scheduleWork());
    }
    const compaction = this.#lanes.compaction;
    if (!compaction.queued && this.#manualWaiting === 0 && this.#pickCompaction() !== undefined) {
      compaction.queued = true;
      void this.#inLane('compaction', async () => {
        try {
          const plan = this.#pickCompaction();
          if (plan) await this.#compact(plan);
        } finally {
          compaction.queued = false;
        }
      }).finally(() => this.#scheduleWork());
    }
  }

  #pickCompaction(): CompactionPlan | undefined {
    return pickCompaction(this.#versions.current, this.#versions.compactPointers, this.#options);
  }

  /**
   * Runs `job` in a background lane, after every job queued there before it. A failure
   * becomes the engine's background error, which refuses later writes.
   */
  #inLane(lane: Lane, job: () => Promise<void>): Promise<void> {
    const state = this.#lanes[lane];
    const run = state.tail.then(async () => {
      if (this.#backgroundError) return;
      try {
        await job();
      } catch (err) {
        this.#setBackgroundError(err instanceof Error ? err : new Error(String(err)));
      } finally {
        this.#wakeProgress();
      }
    });
    state.tail = run;
    return run;
  }

  async #flushOldest(): Promise<void> {
    const t = this.#tables;
    const imm = t.imms[0];
    if (!imm) return;
    const runner = this.#runner;
    invariant(runner !== undefined, 'a flush of a read-only engine');
    const number = this.#versions.newFileNumber();
    this.#pendingOutputs.add(number);
    try {
      const result = await this.#runJob(runner, {
        kind: 'flush',
        dir: this.#dir,
        memtable: imm.mem.shared,
        fileNumber: number,
        table: tableOptionsOf(this.#options),
        smallestSnapshot: this.#smallestSnapshot(),
        warmBytes:
          this.#options.prepopulateBlockCache === 'flush' ? Math.floor(this.#options.blockCacheBytes / 4) : 0,
      });
      const edit = new VersionEdit();
      for (const f of result.outputs) edit.addFile(0, f);
      // Logs older than the next unflushed memtable's are no longer needed.
      edit.logNumber = t.imms[1]?.log ?? t.memLog;
      edit.lastSequence = this.#lastSequence;
      // Counted now, even should the commit fail: the bytes were written.
      this.#counters.flushBytes += result.bytesWritten;
      edit.writeCounters = this.#writeCounters();
      await this.#versions.logAndApply(edit);
      // In the same turn as the memtable leaves the reads, so no get finds the table cold.
      if (result.warm !== undefined) this.#adoptWarm(result.warm);
      t.imms.shift();
      // Lets a later memtable reuse the arena (see memtable/arena-pool.ts).
      imm.mem.release();
      this.#counters.flushes++;
    } finally {
      this.#pendingOutputs.delete(number);
    }
    this.#deleteObsoleteFiles();
  }

  /**
   * Hands a flush's data blocks to its table (EngineOptions.prepopulateBlockCache), which
   * gives them to the gets that miss them. The tables holding such blocks are bounded
   * together to half the block cache's capacity: the oldest let go of theirs first. The
   * blocks only save reads, so a table that fails to open here is left to the reads that
   * need it to report.
   */
  #adoptWarm(warm: WarmBlocks): void {
    let table: Table;
    try {
      table = this.#tableCache.get(warm.fileNumber);
    } catch {
      return;
    }
    table.adoptWarm(warm);
    if (!table.holdsWarm) return;
    // Tables whose blocks were all taken, or which were closed, hold nothing more.
    const held = this.#warmTables.filter((w) => w.table.holdsWarm);
    held.push({ table, bytes: warmChunkBytes(warm) });
    let bytes = held.reduce((sum, w) => sum + w.bytes, 0);
    const limit = Math.floor(this.#options.blockCacheBytes / 2);
    while (bytes > limit && held.length > 1) {
      const oldest = held.shift()!;
      oldest.table.dropWarm();
      bytes -= oldest.bytes;
    }
    this.#warmTables = held;
  }

  /**
   * Runs a flush or compaction job, trying again after a failed attempt (a full disk, an
   * I/O error): after backgroundRetryDelayMs, then twice and four times as long. Nothing of
   * a failed attempt is committed, and a retry writes the same file numbers over its
   * partial outputs. Not tried again: damaged or foreign input (CorruptionError,
   * IncompatibleFormatError), a bug (InvariantError), an engine that closes or has failed
   * otherwise, and a fourth failure, which the caller's lane makes the background error.
   * Rejected: failing at once, as LevelDB does, which stopped writes until a reopen for a
   * disk that was full for a moment.
   */
  async #runJob(runner: JobRunner, spec: JobSpec): Promise<JobResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await runner.run(spec);
      } catch (err) {
        if (attempt >= JOB_ATTEMPTS || !retryable(err) || this.#closing || this.#backgroundError) throw err;
        this.#counters.backgroundRetries++;
        await sleep(this.#options.backgroundRetryDelayMs * 2 ** (attempt - 1));
        if (this.#closing || this.#backgroundError) throw err;
      }
    }
  }

  /** Runs `plan`, split into at most `maxParts` parts (#subcompactionRanges). */
  async #compact(plan: CompactionPlan, maxParts = this.#options.maxSubcompactions): Promise<void> {
    const edit = new VersionEdit();
    const [inputs0, inputs1] = plan.inputs;
    if (plan.trivialMove) {
      const f = inputs0[0]!;
      edit.deleteFile(plan.level, f.number).addFile(plan.outputLevel, f);
      edit.compactPointers.push({ level: plan.level, key: f.largest });
      edit.writeCounters = this.#writeCounters();
      await this.#versions.logAndApply(edit);
      this.#counters.trivialMoves++;
      return;
    }
    const inputs = [...inputs0, ...inputs1];
    let inputBytes = 0;
    for (const f of inputs) inputBytes += f.sizeBytes;
    const ranges = this.#subcompactionRanges(inputs, inputBytes, maxParts);
    // Each part may write as many files as the whole compaction: its share is an estimate.
    const count = Math.ceil(inputBytes / this.#options.targetFileSizeBytes) * 2 + 2;
    const first = this.#versions.reserveFileNumbers(count * ranges.length);
    const last = first + count * ranges.length;
    for (let n = first; n < last; n++) this.#pendingOutputs.add(n);
    const version = this.#versions.current;
    const spec: CompactionSpec = {
      kind: 'compaction',
      dir: this.#dir,
      inputs: [
        { level: plan.level, files: [...inputs0] },
        { level: plan.outputLevel, files: [...inputs1] },
      ],
      outputLevel: plan.outputLevel,
      smallestSnapshot: this.#smallestSnapshot(),
      deeperLevels: version.files
        .slice(plan.outputLevel + 1)
        .map((files) => files.map((f) => ({ smallest: f.smallest, largest: f.largest }))),
      outputNumbers: { first, count },
      targetFileSizeBytes: this.#options.targetFileSizeBytes,
      table: tableOptionsOf(this.#options),
    };
    const filter = this.#options.compactionFilter;
    if (filter !== undefined) spec.filter = filterSpecOf(filter);
    try {
      const result = await this.#runParts(spec, ranges, count);
      for (const f of inputs0) edit.deleteFile(plan.level, f.number);
      for (const f of inputs1) edit.deleteFile(plan.outputLevel, f.number);
      for (const f of result.outputs) edit.addFile(plan.outputLevel, f);
      edit.compactPointers.push({ level: plan.level, key: rangeOf(inputs0).largest });
      // Every part reads from all the inputs, but only its share of them.
      this.#counters.compactionBytesRead += inputBytes;
      this.#counters.compactionBytesWritten += result.bytesWritten;
      edit.writeCounters = this.#writeCounters();
      await this.#versions.logAndApply(edit);
      this.#counters.compactions++;
      if (ranges.length > 1) {
        this.#counters.splitCompactions++;
        this.#counters.splitCompactionParts += ranges.length;
      }
      this.#counters.filterExpired += result.entriesExpired;
      this.#counters.filterReported += result.entriesReported;
      if (result.reported !== undefined && filter?.onReport !== undefined) {
        // Outside the compaction lane: the owner's work (and any error it throws) is not
        // the engine's.
        const onReport = filter.onReport;
        const keys = result.reported;
        queueMicrotask(() => onReport(keys));
      }
    } finally {
      for (let n = first; n < last; n++) this.#pendingOutputs.delete(n);
    }
    this.#deleteObsoleteFiles();
  }

  /**
   * The key ranges a compaction of `inputs` runs in, one job each (subcompactions.ts): one
   * range unless `maxParts` allows more and each part would have at least a target file's
   * worth of input.
   */
  #subcompactionRanges(inputs: readonly FileMetadata[], inputBytes: number, maxParts: number): KeyRange[] {
    const parts = Math.min(maxParts, Math.floor(inputBytes / this.#options.targetFileSizeBytes));
    if (parts < 2) return [{}];
    const anchors = inputs.map((f) => {
      const table = this.#tableCache.get(f.number);
      return table.sizeAnchors(anchorStride(table.properties.dataBlockCount, parts));
    });
    return splitRanges(anchors, parts);
  }

  /**
   * Runs `spec` as one job per range, at the same time, each with `count` output numbers of
   * its own (from spec.outputNumbers.first), and joins the results in key order. Waits for
   * every part even when one fails, so no part is still writing files when the caller
   * releases their numbers.
   */
  async #runParts(spec: CompactionSpec, ranges: readonly KeyRange[], count: number): Promise<JobResult> {
    const first = spec.outputNumbers.first;
    const settled = await Promise.allSettled(
      ranges.map((range, i) =>
        this.#runJob(
          this.#compactionRunnerFor(i),
          ranges.length === 1 ? spec : { ...spec, range, outputNumbers: { first: first + i * count, count } },
        ),
      ),
    );
    const results: JobResult[] = [];
    for (const s of settled) {
      if (s.status === 'rejected') throw s.reason;
      results.push(s.value);
    }
    return results.length === 1 ? results[0]! : joinPartResults(results, spec.filter?.maxReports ?? 0);
  }

  /** The runner of a compaction's part `i`: the compaction lane's own, then more as needed. */
  #compactionRunnerFor(i: number): JobRunner {
    const make = this.#makeRunner;
    const runner = i === 0 ? this.#compactionRunner : make && (this.#partRunners[i - 1] ??= make());
    invariant(runner !== undefined, 'a compaction of a read-only engine');
    return runner;
  }

  /**
   * The sequence at or below which a version shadowed by a newer one is invisible to every
   * reader, so flushes and compactions may drop it: the oldest live snapshot's, else the
   * newest visible one (iterators without a snapshot hold their memtables and version).
   */
  #smallestSnapshot(): number {
    return this.#snapshots.oldest() ?? this.#pipeline.visibleSequence;
  }

  /** The counters for a MANIFEST edit, as of #lastSequence (EngineCounters.forEdit says when). */
  #writeCounters(): WriteCounters {
    return this.#counters.forEdit(this.#lastSequence);
  }

  /**
   * Hands the files no live version, pending job or needed WAL refers to to the deleter,
   * which removes them in the background; a table leaves the caches now.
   */
  #deleteObsoleteFiles(): void {
    // A MANIFEST switch may be in flight (its temp file is the next CURRENT): temp files
    // are left to the sweep at open.
    const garbage = obsoleteFiles(this.#fs, this.#dir, this.#versions, {
      pendingTables: this.#pendingOutputs,
      pinnedLogs: this.#pinnedLogs,
      includeTemp: false,
    });
    for (const { name, kind, number } of garbage) {
      if (kind === 'table') {
        this.#tableCache.evict(number);
        this.#blockCache.evictFile(number);
      }
      // A file still queued from an earlier call is listed again; add() ignores it.
      this.#deleter.add(joinPath(this.#dir, name));
    }
  }

  /** Waits until background work has nothing left that `done` cares about. */
  async #waitUntil(done: () => boolean, api: string): Promise<void> {
    while (!done()) {
      // Closing starts no new job, so whatever this waits for would never come.
      if (this.#closing) throw new ClosedError(`${api}: the engine was closed while this call waited`);
      if (this.#backgroundError)
        throw new BackgroundError(`background work failed: ${this.#backgroundError.message}`, {
          cause: this.#backgroundError,
        });
      this.#scheduleWork();
      await this.#waitForProgress();
    }
  }

  /**
   * Flushes the active memtable to an SST file and waits until every sealed memtable is
   * flushed. Afterwards all earlier writes are durable without the WAL.
   */
  async flush(): Promise<void> {
    this.#checkWrite('Engine.flush', undefined);
    const leave = await this.#enterGate();
    try {
      if (this.#tables.mem.entryCount > 0) {
        while (this.#tables.imms.length >= this.#options.maxImmutableMemtables) {
          await this.#waitUntil(
            () => this.#tables.imms.length < this.#options.maxImmutableMemtables,
            'Engine.flush',
          );
        }
        await this.#switchMemtable();
      }
    } finally {
      leave();
    }
    await this.#waitUntil(() => this.#tables.imms.length === 0, 'Engine.flush');
  }

  /**
   * Compacts every level's files overlapping [start, end] (user keys; undefined = unbounded)
   * down to the deepest level that holds data in that range. Flushes first.
   * `options.maxSubcompactions` (1 to 16) replaces the engine's option for these compactions:
   * a caller that waits for a large compaction while little else runs may give it more
   * cores than the background compactions get.
   */
  async compactRange(
    start?: Uint8Array | string,
    end?: Uint8Array | string,
    options?: CompactRangeOptions,
  ): Promise<void> {
    this.#checkWrite('Engine.compactRange', undefined);
    const s = start === undefined ? undefined : toBytes(start, 'Engine.compactRange', 'start');
    const e = end === undefined ? undefined : toBytes(end, 'Engine.compactRange', 'end');
    const parts = compactRangeParts(options, this.#options.maxSubcompactions);
    await this.flush();
    const version = this.#versions.current;
    let deepest = 0;
    for (let level = 0; level < version.numLevels; level++) {
      if (version.overlappingFiles(level, s, e).length > 0) deepest = level;
    }
    // Level 0 always moves down, even when it is the only level with data: its files
    // overlap, and merging them is what a compaction of the range is for.
    if (deepest === 0 && version.overlappingFiles(0, s, e).length > 0) deepest = 1;
    const filtered = this.#options.compactionFilter !== undefined;
    this.#manualWaiting++;
    try {
      for (let level = 0; level < deepest; level++) {
        await this.#inLane('compaction', async () => {
          // Planned inside the lane, against the version as it is when the job starts.
          const current = this.#versions.current;
          const files = current.overlappingFiles(level, s, e);
          if (files.length === 0) return;
          const plan = planFor(current, level, files, 'manual', this.#options);
          // A trivial move would carry expired values down unread.
          await this.#compact(filtered && plan.trivialMove ? { ...plan, trivialMove: false } : plan, parts);
        });
      }
      if (filtered) {
        // The deepest level is compacted into itself, so its expired values go too (what
        // RocksDB does for the bottommost level when a compaction filter is set).
        await this.#inLane('compaction', async () => {
          const files = this.#versions.current.overlappingFiles(deepest, s, e);
          if (files.length === 0) return;
          await this.#compact(
            {
              level: deepest,
              outputLevel: deepest,
              inputs: [files, []],
              trivialMove: false,
              reason: 'manual',
            },
            parts,
          );
        });
      }
    } finally {
      this.#manualWaiting--;
      this.#scheduleWork();
    }
    if (this.#backgroundError) {
      throw new BackgroundError(`Engine.compactRange: ${this.#backgroundError.message}`, {
        cause: this.#backgroundError,
      });
    }
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * Takes an incremental checkpoint into `store`: it holds exactly the writes made before
   * the call — the SSTs once the sealed memtables are flushed, and the active memtable's
   * writes as the written part of its WAL (it is not flushed for the checkpoint) — and
   * copies (or hard-links) only the files and WAL bytes the store does not hold yet. Writes
   * and reads go on meanwhile; writes pause only while the WAL's pending bytes are written.
   */
  checkpoint(store: CheckpointStore, options?: CheckpointOptions): Promise<Checkpoint> {
    try {
      this.#checkWrite('Engine.checkpoint', undefined);
      const request = checkCheckpointArgs(store, options);
      // Starts synchronously: the pin is ordered before any later write.
      return takeCheckpoint(request, this.#pinForCheckpoint(request.sealedMemtables));
    } catch (err) {
      return rejected(err);
    }
  }

  /**
   * Pins the state that holds exactly the writes made so far: a version with every sealed
   * memtable flushed, and the active memtable's WAL up to the size it has now.
   *
   * Joining the admission gate's queue synchronously (as flush() does) orders the pin after
   * every earlier write, those waiting at the gate included, and before every later one.
   * Draining the commit pipeline then hands every admitted write's WAL record to its file,
   * so the active WAL's size, read with the last sequence while the gate is held, ends on a
   * record boundary and holds exactly the memtable's writes up to that sequence. The sealed memtables are flushed anyway (their
   * flushes are queued); a job in the flush lane waits for them and pins the version right
   * after the last one commits, before any later memtable can be flushed into it. The WAL is
   * pinned from the start, so it is not deleted even if its memtable is flushed meanwhile.
   *
   * With `sealed` 'carry' the sealed memtables' WALs are carried too, whole (each was
   * closed when its memtable was sealed), with the version current at the pin: a flush
   * that committed before it is in the version, and its WAL is left out by the version's
   * log number. Nothing waits for a flush, which a caller checkpointing often would feel:
   * a flush of a large memtable takes a while. Not the default: the next checkpoint copies
   * the same writes again as SSTs, which a checkpoint now and then need not pay for.
   *
   * Rejected: switching and flushing the active memtable too (the first design). Each
   * checkpoint then added a small L0 file and the compactions it brings, on the core the
   * writers share: writers beside back-to-back checkpoints slowed by about a fifth.
   */
  async #pinForCheckpoint(sealed: CheckpointRequest['sealedMemtables']): Promise<PinnedState> {
    const leave = await this.#enterGate();
    const t = this.#tables;
    let sequence: number;
    let through: MemTable | undefined;
    let activeLog: number;
    let logs: PinnedLog[];
    try {
      await this.#pipeline.drain();
      const cause = this.#backgroundError;
      if (cause !== undefined) {
        throw new BackgroundError(`Engine.checkpoint: background work failed: ${cause.message}`, { cause });
      }
      if (this.#closing)
        throw new ClosedError('Engine.checkpoint: the engine was closed while this call waited');
      const wal = this.#pipeline.wal;
      // (A log that took no write yet may still hold its FILE_HEADER pending; it is not carried.)
      invariant(
        wal !== undefined && (wal.pendingBytes === 0 || t.mem.entryCount === 0),
        'a checkpoint pinned a WAL with records not yet written',
      );
      sequence = this.#lastSequence;
      through = t.imms.at(-1)?.mem;
      activeLog = t.memLog;
      // An empty memtable's WAL holds no write: an idle engine's checkpoint is SSTs only.
      logs = t.mem.entryCount > 0 ? [{ number: activeLog, bytes: wal.fileSize }] : [];
      const carried = sealed === 'carry' ? this.#sealedLogs() : undefined;
      if (carried !== undefined) logs = [...carried, ...logs];
      this.#pinLogs(logs, +1);
      if (carried !== undefined) {
        const current = this.#versions.current;
        current.ref();
        return this.#pinnedState(current, logs, sequence);
      }
    } finally {
      leave();
    }
    let version: Version | undefined;
    await this.#inLane('flush', async () => {
      while (through !== undefined && t.imms.some((imm) => imm.mem === through)) await this.#flushOldest();
      // Every memtable before the active one is in this version, and nothing after it.
      invariant(this.#versions.logNumber === activeLog, 'a checkpoint pinned a version of another log');
      version = this.#versions.current;
      version.ref();
    });
    if (version === undefined) {
      this.#pinLogs(logs, -1);
      const cause = this.#backgroundError;
      const why = cause?.message ?? 'the engine closed';
      throw new BackgroundError(`Engine.checkpoint: background work failed: ${why}`, { cause });
    }
    return this.#pinnedState(version, logs, sequence);
  }

  /**
   * The WALs of the sealed memtables not yet flushed into the current version, oldest
   * first, whole; undefined if one of them cannot be carried (see #pinForCheckpoint): a WAL
   * replayed at open, or one shared by two memtables.
   */
  #sealedLogs(): PinnedLog[] | undefined {
    const t = this.#tables;
    const first = this.#versions.logNumber;
    const logs: PinnedLog[] = [];
    for (const imm of t.imms) {
      // Flushed, its edit installed; the memtable leaves the list right after.
      if (imm.log < first) continue;
      if (imm.closed !== true || imm.log === t.memLog || logs.some((l) => l.number === imm.log)) {
        return undefined;
      }
      logs.push({ number: imm.log, bytes: this.#fs.fileSize(joinPath(this.#dir, walFileName(imm.log))) });
    }
    invariant(
      (logs[0]?.number ?? t.memLog) === first,
      "a checkpoint would carry WALs that do not start at the version's log number",
    );
    return logs;
  }

  /** Counts `logs` in (+1) or out (-1) of the WALs a checkpoint still copies. */
  #pinLogs(logs: readonly PinnedLog[], delta: 1 | -1): void {
    for (const { number } of logs) {
      const count = (this.#pinnedLogs.get(number) ?? 0) + delta;
      if (count === 0) this.#pinnedLogs.delete(number);
      else this.#pinnedLogs.set(number, count);
    }
  }

  /** What #pinForCheckpoint hands to the checkpoint: `release` unpins all of it. */
  #pinnedState(version: Version, logs: readonly PinnedLog[], sequence: number): PinnedState {
    let released = false;
    return {
      dir: this.#dir,
      fs: this.#fs,
      identity: this.#identity,
      session: this.#session,
      numLevels: this.#options.numLevels,
      files: version.files,
      logs,
      sequence,
      release: () => {
        if (released) return;
        released = true;
        version.unref();
        this.#pinLogs(logs, -1);
        // Files only this checkpoint still needed are garbage now.
        if (!this.#closed) this.#deleteObsoleteFiles();
      },
    };
  }

  /** Levels, files, bytes, amplification, cache and stall counters. */
  stats(): EngineStats {
    this.#checkOpen('Engine.stats');
    const version = this.#versions.current;
    const scores = levelScores(version, this.#options);
    const handedOver = this.#warmTables.reduce((sum, w) => sum + (w.table.holdsWarm ? w.bytes : 0), 0);
    return {
      levels: version.files.map((files, level) => ({
        level,
        files: files.length,
        bytes: version.levelBytes(level),
        score: scores[level] ?? 0,
      })),
      sequence: this.#pipeline.visibleSequence,
      memtableBytes: this.#tables.mem.approximateBytes,
      immutableMemtables: this.#tables.imms.length,
      liveSnapshots: this.#snapshots.size,
      ...this.#counters.stats(),
      commitGroups: this.#pipeline.groups,
      walSyncs: this.#pipeline.syncs,
      blockCache: blockCacheStats(this.#blockCache, handedOver),
      obsoleteFiles: this.#deleter.stats(),
    };
  }

  /**
   * Makes every write durable (fsyncs the WAL), waits for the running background job and
   * the removal of obsolete files, and releases the directory. Idempotent: later calls
   * return the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Behind every write called before close; the writes queued after it then fail their
    // closed check when the gate opens.
    (await this.#enterGate())();
    let firstError: unknown;
    try {
      await this.#pipeline.close();
    } catch (err) {
      firstError = err;
    }
    await Promise.all([this.#lanes.flush.tail, this.#lanes.compaction.tail]);
    this.#closed = true;
    this.#wakeProgress();
    // Before the lock goes: the next opener of the directory sweeps what is left itself.
    await this.#deleter.drain();
    for (const runner of new Set([this.#runner, this.#compactionRunner, ...this.#partRunners])) {
      try {
        await runner?.close();
      } catch (err) {
        firstError ??= err;
      }
    }
    // Each step even if one before failed (a disk that fails writes fails the MANIFEST's
    // close too): the lock must go, or no engine could open the directory in this process.
    for (const step of [
      () => this.#versions.close(),
      () => this.#tableCache.close(),
      () => this.#lock?.release(),
    ]) {
      try {
        step();
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError) throw firstError as Error;
  }
}

/** A rejected promise for a synchronous failure in an API that reports errors by rejection. */
function rejected(err: unknown): Promise<never> {
  return Promise.reject(err instanceof Error ? err : new Error(String(err)));
}
