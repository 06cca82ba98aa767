/**
 * A checkpoint store: a directory (on any FileSystem) holding complete, incremental engine
 * checkpoints (engine/FORMAT.md, "Checkpoints"; names in store-layout.ts).
 *
 * Invariants, which every operation keeps at every step, so a crash anywhere leaves every
 * checkpoint that was complete (and not being deleted) restorable:
 * - a directory `checkpoints/<id>` exists only once its CHECKPOINT file and every shared
 *   SST it names are durable (built as `tmp-<id>`, fsynced, renamed, parent fsynced);
 * - a shared SST is removed only after no directory `checkpoints/<id>` names it any more
 *   (deletion first renames the checkpoint to `del-<id>` and fsyncs the parent).
 * Garbage that a crash leaves — `tmp-*` and `del-*` directories, shared files no complete
 * checkpoint names — is removed when the store is next opened.
 *
 * Reference counting is implicit: a shared file's references are the complete checkpoints
 * whose metadata names it, recomputed from the metadata whenever files may be deleted.
 * Rejected: a persistent reference-count file, which would be one more thing to keep
 * consistent with the directories across a crash.
 *
 * Concurrency: one CheckpointStore object per directory (a LOCK file, as for engines);
 * within it, every operation runs one at a time in call order.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FileLock, FileSystem } from '../env/file-system.js';
import { isLockLeftover, joinPath, removeFileAsync, writeSyncedFile } from '../env/file-system.js';
import { NodeFileSystem } from '../env/node-file-system.js';
import {
  ClosedError,
  ReadOnlyError,
  CorruptionError,
  IncompatibleFormatError,
  InvalidArgumentError,
  LockedError,
} from '../errors.js';
import { showValue } from '../options.js';
import { Table } from '../sstable/table.js';
import { fileHasher, initHashing } from '../util/checksum.js';
import { decodeCheckpointRecord } from './checkpoint-format.js';
import type { Checkpoint, CheckpointRecord } from './checkpoint-format.js';
import { READ_WHOLE_MAX_BYTES, streamFile } from './file-checksum.js';
import { BytesFile, FilePrefetch } from './file-prefetch.js';
import { checkStoredFile, checkStoredSize, readStoredLog } from './stored-file-checks.js';
import {
  CHECKPOINTS_DIR,
  DELETING_PREFIX,
  SHARED_DIR,
  idNumber,
  isCheckpointId,
  STORE_FORMAT_FILE,
  STORE_FORMAT_LINE,
  STORE_FORMAT_VERSION,
  STORE_LOCK_FILE,
  StoreLayout,
  TMP_PREFIX,
} from './store-layout.js';

/** Options of `CheckpointStore.open`. */
export interface CheckpointStoreOptions {
  /** Storage of the store. Default: the real file system. May differ from the engine's. */
  fileSystem?: FileSystem;
  /**
   * Hard-link SST files between the engine and the store when both are on the same storage
   * (the real file system; a link across devices falls back to a copy). Default true; false
   * always copies, so the store shares no disk blocks with the engine.
   */
  linkFiles?: boolean;
  /**
   * Open for reading only: no lock is taken and nothing is written or cleaned up, so a
   * store that a running process holds can be listed, verified and restored from. The
   * store must exist. `retain`, `delete` and `Engine.checkpoint` into it fail with
   * ReadOnlyError. The owner may retain (delete) a checkpoint meanwhile: reading it then
   * fails, never with wrong data. Default false.
   */
  readOnly?: boolean;
  /**
   * Most bytes per second that a checkpoint copies into the store, on average over the
   * checkpoint; links copy nothing and are not limited. Each copied file is then fsynced
   * before the next is copied, so its writeback is spread too. A copy at full speed takes
   * CPU and disk time from the engine's flushes and compactions, which writers wait on; a
   * limit trades a longer checkpoint for steadier writes (bench/ANALYSIS.md, "Checkpoints").
   * Restores and verify are not limited. A number of bytes per second ≥ 1; default
   * unlimited.
   */
  maxCopyBytesPerSecond?: number;
}

/** Options of `CheckpointStore.verify`. */
export interface VerifyOptions {
  /** Called as verification advances, with the bytes checked so far and the total. */
  onProgress?: (verifiedBytes: number, totalBytes: number) => void;
  /**
   * Also check every block's own checksum, decode every block and check the table's
   * internal consistency (keys in order and within the index's bounds, bloom filters,
   * counts and key ranges against the table's properties): a second pass over each file,
   * several times slower. The whole-file checksum proves the bytes are those written; the
   * deep pass also catches a table written wrong. Default false.
   */
  deep?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/**
 * verify reads this many of the next tables ahead while it checks one (file-prefetch.ts),
 * each if at most READ_WHOLE_MAX_BYTES: at most 64 MiB in memory, and four reads keep a
 * disk busy.
 */
const VERIFY_READ_AHEAD_FILES = 4;

/** @internal What take-checkpoint.ts and restore-checkpoint.ts use of a store. */
export interface StoreInternals {
  readonly fs: FileSystem;
  /** Whether files may be hard-linked (CheckpointStoreOptions.linkFiles). */
  readonly linkFiles: boolean;
  /** CheckpointStoreOptions.maxCopyBytesPerSecond; Infinity when unlimited. */
  readonly maxCopyBytesPerSecond: number;
  readonly layout: StoreLayout;
  /** ClosedError naming `api` when the store is closed. */
  checkOpen(api: string): void;
  /** Throws ReadOnlyError naming `api` if the store was opened read-only. */
  checkWritable(api: string): void;
  /** Runs `fn` when every operation called earlier has finished; `api` names the caller. */
  exclusive<T>(api: string, fn: () => Promise<T>): Promise<T>;
  /** Complete checkpoints, oldest first. Throws CorruptionError for a damaged one. */
  records(): CheckpointRecord[];
  /**
   * Complete checkpoints whose metadata is readable, oldest first (damaged ones skipped),
   * without their `metadata`.
   */
  readableRecords(): CheckpointRecord[];
  /** One complete checkpoint; InvalidArgumentError naming `api` when there is none. */
  record(api: string, id: string): CheckpointRecord;
  /** The checkpoint as reported to users (sizes from the store). */
  describe(record: CheckpointRecord): Checkpoint;
}

const INTERNALS = new WeakMap<CheckpointStore, StoreInternals>();

/** The options of CheckpointStore.open, checked. */
interface StoreSettings {
  readonly linkFiles: boolean;
  readonly readOnly: boolean;
  readonly maxCopyBytesPerSecond: number;
}

const STORE_OPTIONS = new Set(['fileSystem', 'linkFiles', 'readOnly', 'maxCopyBytesPerSecond']);

/** @internal */
export function storeInternals(store: CheckpointStore): StoreInternals {
  const internals = INTERNALS.get(store);
  if (!internals) throw new InvalidArgumentError('store must be a CheckpointStore');
  return internals;
}

/**
 * Incremental checkpoints of engines: take one with `Engine.checkpoint(store)`, restore with
 * `Engine.open(dir, { restoreFrom: { store, id } })`. Open with `CheckpointStore.open`.
 */
export class CheckpointStore {
  readonly #fs: FileSystem;
  readonly #layout: StoreLayout;
  readonly #lock: FileLock;
  readonly #readOnly: boolean;
  #closed = false;
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * The records of complete checkpoints read so far, without their metadata: what a new
   * checkpoint and the removal of unused shared files need to know, which every checkpoint
   * asked again of every retained one, reading, checking and parsing its metadata file
   * (with a runtime's egress records in it) each time. A complete checkpoint's record never
   * changes, and an id is never given twice (its random part); #deleteCheckpoints drops the
   * ids it deletes, so this holds no more than the store does. `list`, `verify` and
   * restores still read the files.
   */
  readonly #summaries = new Map<string, CheckpointRecord>();

  private constructor(fs: FileSystem, layout: StoreLayout, lock: FileLock, settings: StoreSettings) {
    this.#fs = fs;
    this.#layout = layout;
    this.#lock = lock;
    this.#readOnly = settings.readOnly;
    INTERNALS.set(this, {
      fs,
      linkFiles: settings.linkFiles,
      maxCopyBytesPerSecond: settings.maxCopyBytesPerSecond,
      layout,
      checkOpen: (api) => {
        if (this.#closed) throw new ClosedError(`${api}: the checkpoint store is closed`);
      },
      checkWritable: (api) => this.#checkWritable(api),
      exclusive: (api, fn) => this.#exclusive(api, fn),
      records: () => this.#records(),
      readableRecords: () => {
        const out: CheckpointRecord[] = [];
        for (const id of this.#completeIds()) {
          try {
            out.push(this.#summary(id));
          } catch (err) {
            if (!(err instanceof CorruptionError)) throw err;
          }
        }
        return out;
      },
      record: (api, id) => this.#record(api, id),
      describe: (r) => this.#describe(r),
    });
  }

  /**
   * Opens (creating if needed) the store in `dir` and removes what a crash left behind:
   * unfinished checkpoints, half-deleted ones, and shared files no checkpoint uses.
   */
  static async open(dir: string, options?: CheckpointStoreOptions): Promise<CheckpointStore> {
    if (typeof dir !== 'string' || dir.length === 0) {
      throw new InvalidArgumentError('CheckpointStore.open: dir must be a non-empty string');
    }
    if (
      options !== undefined &&
      (typeof options !== 'object' || options === null || Array.isArray(options))
    ) {
      throw new InvalidArgumentError('CheckpointStore.open: options must be an object');
    }
    for (const key of Object.keys(options ?? {})) {
      if (!STORE_OPTIONS.has(key))
        throw new InvalidArgumentError(`CheckpointStore.open: unknown option '${key}'`);
    }
    const given = options?.fileSystem;
    if (
      given !== undefined &&
      (typeof given !== 'object' || given === null || typeof given.list !== 'function')
    ) {
      throw new InvalidArgumentError('CheckpointStore.open: fileSystem must be a FileSystem object');
    }
    const linkFiles = options?.linkFiles ?? true;
    if (typeof linkFiles !== 'boolean') {
      throw new InvalidArgumentError('CheckpointStore.open: linkFiles must be a boolean');
    }
    const readOnly = options?.readOnly ?? false;
    if (typeof readOnly !== 'boolean') {
      throw new InvalidArgumentError('CheckpointStore.open: readOnly must be a boolean');
    }
    const rate: unknown = options?.maxCopyBytesPerSecond ?? Infinity;
    if (typeof rate !== 'number' || Number.isNaN(rate) || rate < 1) {
      throw new InvalidArgumentError(
        `CheckpointStore.open: maxCopyBytesPerSecond must be a number of bytes per second ≥ 1, got ${showValue(rate)}`,
      );
    }
    const settings: StoreSettings = { linkFiles, readOnly, maxCopyBytesPerSecond: rate };
    await initHashing();
    const fs = given ?? new NodeFileSystem();
    const layout = new StoreLayout(dir);
    const fresh = !fs.exists(dir) || fs.list(dir).length === 0;
    if (!fresh) checkStoreFormat(fs, dir);
    if (readOnly) {
      if (fresh || !fs.exists(layout.checkpoints) || !fs.exists(layout.shared)) {
        throw new InvalidArgumentError(
          `CheckpointStore.open: readOnly needs an existing checkpoint store; ${dir} holds none`,
        );
      }
      return new CheckpointStore(fs, layout, { release: () => undefined }, settings);
    }
    fs.mkdirp(dir);
    let lock: FileLock;
    try {
      lock = fs.lock(joinPath(dir, STORE_LOCK_FILE));
    } catch (err) {
      if (err instanceof LockedError) {
        throw new LockedError(`CheckpointStore.open: ${dir} is already open`, { cause: err });
      }
      throw err;
    }
    try {
      if (!fs.exists(joinPath(dir, STORE_FORMAT_FILE))) await writeStoreFormat(fs, dir);
      fs.mkdirp(layout.shared);
      fs.mkdirp(layout.checkpoints);
      const store = new CheckpointStore(fs, layout, lock, settings);
      await store.#collectGarbage();
      return store;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  #readOnlyError(api: string): ReadOnlyError {
    return new ReadOnlyError(`${api}: the checkpoint store ${this.#layout.dir} was opened read-only`);
  }

  #checkWritable(api: string): void {
    if (this.#readOnly) throw this.#readOnlyError(api);
  }

  /** Whether the store was opened with `readOnly`. */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** The store's directory. */
  get dir(): string {
    return this.#layout.dir;
  }

  /** Complete checkpoints, oldest first. */
  list(): Promise<Checkpoint[]> {
    return this.#exclusive('CheckpointStore.list', async () => this.#records().map((r) => this.#describe(r)));
  }

  /**
   * Keeps the newest `count` checkpoints and deletes the others, then every shared file
   * that no kept checkpoint uses. Resolves to the ids deleted, oldest first.
   */
  retain(count: number): Promise<string[]> {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      return Promise.reject(
        new InvalidArgumentError(
          `CheckpointStore.retain: count must be a non-negative integer, got ${String(count)}`,
        ),
      );
    }
    if (this.#readOnly) return Promise.reject(this.#readOnlyError('CheckpointStore.retain'));
    return this.#exclusive('CheckpointStore.retain', async () => {
      const ids = this.#completeIds();
      const doomed = ids.slice(0, Math.max(0, ids.length - count));
      await this.#deleteCheckpoints(doomed);
      return doomed;
    });
  }

  /** Deletes one checkpoint, then every shared file no remaining checkpoint uses. */
  delete(id: string): Promise<void> {
    if (typeof id !== 'string' || !isCheckpointId(id)) {
      return Promise.reject(
        new InvalidArgumentError(`CheckpointStore.delete: ${show(id)} is not a checkpoint id`),
      );
    }
    if (this.#readOnly) return Promise.reject(this.#readOnlyError('CheckpointStore.delete'));
    return this.#exclusive('CheckpointStore.delete', async () => {
      if (!this.#completeIds().includes(id)) {
        throw new InvalidArgumentError(`CheckpointStore.delete: the store holds no checkpoint '${id}'`);
      }
      await this.#deleteCheckpoints([id]);
    });
  }

  /**
   * Re-reads every byte of a checkpoint: its metadata's checksum, then each SST in one pass
   * (its size, its metadata blocks' checksums, its data blocks' layout, and its whole-file
   * xxHash64, which covers every block with its own checksum; on a mismatch the file is
   * re-read to name the damaged block). The next few tables are read ahead, off the main
   * thread, while one is checked (file-prefetch.ts). With `deep`, a second pass checks
   * every block's checksum and decodes it (see VerifyOptions). Each stored WAL prefix is read whole and
   * checked as a restore would replay it: checksum, records, batches, sequences. Throws
   * CorruptionError naming the first damaged file.
   */
  verify(id: string, options?: VerifyOptions): Promise<void> {
    if (typeof id !== 'string' || !isCheckpointId(id)) {
      return Promise.reject(
        new InvalidArgumentError(`CheckpointStore.verify: ${show(id)} is not a checkpoint id`),
      );
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      return Promise.reject(new InvalidArgumentError('CheckpointStore.verify: options must be an object'));
    }
    const onProgress = options?.onProgress;
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      return Promise.reject(
        new InvalidArgumentError('CheckpointStore.verify: options.onProgress must be a function'),
      );
    }
    const deep = options?.deep ?? false;
    if (typeof deep !== 'boolean') {
      return Promise.reject(
        new InvalidArgumentError('CheckpointStore.verify: options.deep must be a boolean'),
      );
    }
    return this.#exclusive('CheckpointStore.verify', async () => {
      const record = this.#record('CheckpointStore.verify', id);
      // One pass per file (whole-file hash and every block checksum), two with `deep`.
      let total = 0;
      for (const f of record.files) total += (deep ? 2 : 1) * f.meta.sizeBytes;
      for (const l of record.logs) total += l.bytes;
      let done = 0;
      onProgress?.(0, total);
      const prefetch = new FilePrefetch(
        this.#fs,
        record.files.map((f) => ({ path: this.#layout.sharedFile(f.name), sizeBytes: f.meta.sizeBytes })),
        VERIFY_READ_AHEAD_FILES,
        READ_WHOLE_MAX_BYTES,
      );
      for (const [i, f] of record.files.entries()) {
        const path = this.#layout.sharedFile(f.name);
        const bytes = await prefetch.take(i);
        if (bytes === undefined && !this.#fs.exists(path)) {
          throw new CorruptionError(path, undefined, 'checkpoint file is missing');
        }
        const file = bytes === undefined ? this.#fs.openRandomAccess(path) : new BytesFile(path, bytes);
        try {
          const size = file.size;
          // A file cut short or grown is reported as such, before its contents are parsed.
          checkStoredSize(path, f.meta.sizeBytes, size);
          const hasher = fileHasher();
          let table: Table;
          try {
            table = Table.open(file, f.meta.number);
          } catch (err) {
            // A damaged footer can read as another format: if the file is not the one
            // stored, say that (CorruptionError), not that it is of a foreign format.
            if (!(err instanceof IncompatibleFormatError)) throw err;
            const found = streamFile(this.#fs, path);
            checkStoredFile(path, f.meta.sizeBytes, f.checksum, found.bytes, found.checksum);
            throw err;
          }
          // The whole-file checksum covers every byte, the blocks' own checksums included:
          // when it matches, every block is as written, so block checksums are checked
          // only to locate damage (and by the deep pass, which also proves them right).
          table.verifyChecksums(
            (chunk) => hasher.update(chunk),
            (n) => onProgress?.(done + n, total),
            { checkBlocks: false },
          );
          const checksum = hasher.digest();
          if (checksum !== f.checksum) table.verifyChecksums(() => undefined);
          checkStoredFile(path, f.meta.sizeBytes, f.checksum, size, checksum);
          done += size;
          if (deep) {
            table.verifyAll((n) => onProgress?.(done + n, total));
            done += size;
          }
        } finally {
          file.close();
        }
        // Yield between files so a long verify does not starve the event loop.
        await nextTurn();
      }
      // A WAL prefix is read whole (at most a few memtables' worth) and checked record by
      // record, as a restore will replay it.
      for (const l of record.logs) {
        readStoredLog(this.#fs, (name) => this.#layout.sharedFile(name), l, record.sequence);
        done += l.bytes;
        onProgress?.(done, total);
        await nextTurn();
      }
      onProgress?.(total, total);
    });
  }

  /** Releases the store's lock once running operations finish. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    this.#lock.release();
  }

  // ---------------------------------------------------------------- internals

  #exclusive<T>(api: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new ClosedError(`${api}: the checkpoint store is closed`));
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #completeIds(): string[] {
    return this.#fs
      .list(this.#layout.checkpoints)
      .filter(isCheckpointId)
      .sort((a, b) => idNumber(a) - idNumber(b) || (a < b ? -1 : 1));
  }

  #records(): CheckpointRecord[] {
    return this.#completeIds().map((id) => this.#read(id));
  }

  #read(id: string): CheckpointRecord {
    const path = this.#layout.metadataFile(id);
    if (!this.#fs.exists(path))
      throw new CorruptionError(path, undefined, 'checkpoint metadata file is missing');
    const record = decodeCheckpointRecord(this.#fs.readFile(path), path);
    if (record.id !== id)
      throw new CorruptionError(path, undefined, `checkpoint metadata names id '${record.id}'`);
    return record;
  }

  /** `#read(id)` without the metadata, read once (see #summaries). */
  #summary(id: string): CheckpointRecord {
    let summary = this.#summaries.get(id);
    if (summary === undefined) {
      summary = { ...this.#read(id), metadata: undefined };
      this.#summaries.set(id, summary);
    }
    return summary;
  }

  #record(api: string, id: string): CheckpointRecord {
    if (!this.#completeIds().includes(id)) {
      throw new InvalidArgumentError(`${api}: the store holds no checkpoint '${id}'`);
    }
    return this.#read(id);
  }

  #describe(r: CheckpointRecord): Checkpoint {
    const metadataBytes = this.#fs.fileSize(this.#layout.metadataFile(r.id));
    return {
      id: r.id,
      createdAt: r.createdAt,
      files: [
        ...r.files.map((f) => ({
          name: f.name,
          bytes: f.meta.sizeBytes,
          checksum: f.checksum,
          shared: f.shared,
          kind: 'table' as const,
        })),
        ...r.logs.flatMap((l) =>
          l.segments.map((g) => ({
            name: g.name,
            bytes: g.bytes,
            checksum: g.checksum,
            shared: g.shared,
            kind: 'log' as const,
          })),
        ),
      ],
      newFiles:
        r.files.filter((f) => !f.shared).length +
        r.logs.reduce((n, l) => n + l.segments.filter((g) => !g.shared).length, 0),
      bytesCopied: r.newFileBytes + metadataBytes,
      sequence: r.sequence,
      metadata: r.metadata,
    };
  }

  /**
   * Makes the checkpoints invisible (rename to `del-<id>`, one parent fsync), then removes
   * their directories and the shared files no remaining checkpoint names.
   */
  async #deleteCheckpoints(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const { checkpoints } = this.#layout;
    for (const id of ids) {
      this.#summaries.delete(id);
      this.#fs.rename(this.#layout.checkpointDir(id), joinPath(checkpoints, DELETING_PREFIX + id));
    }
    await this.#fs.syncDir(checkpoints);
    for (const id of ids) await removeTree(this.#fs, joinPath(checkpoints, DELETING_PREFIX + id));
    await this.#fs.syncDir(checkpoints);
    await this.#removeUnreferencedShared();
  }

  /** Removes shared files that no complete checkpoint names; nothing if any is unreadable. */
  async #removeUnreferencedShared(): Promise<void> {
    const referenced = new Set<string>();
    for (const id of this.#completeIds()) {
      let record: CheckpointRecord;
      try {
        record = this.#summary(id);
      } catch (err) {
        // Which files a damaged checkpoint uses is unknown: keep them all.
        if (err instanceof CorruptionError) return;
        throw err;
      }
      for (const f of record.files) referenced.add(f.name);
      for (const l of record.logs) for (const g of l.segments) referenced.add(g.name);
    }
    let removed = false;
    for (const name of this.#fs.list(this.#layout.shared)) {
      if (referenced.has(name)) continue;
      await removeFileAsync(this.#fs, this.#layout.sharedFile(name));
      removed = true;
    }
    if (removed) await this.#fs.syncDir(this.#layout.shared);
  }

  async #collectGarbage(): Promise<void> {
    const { checkpoints } = this.#layout;
    let removed = false;
    for (const name of this.#fs.list(checkpoints)) {
      if (name.startsWith(TMP_PREFIX) || name.startsWith(DELETING_PREFIX)) {
        await removeTree(this.#fs, joinPath(checkpoints, name));
        removed = true;
      }
    }
    if (removed) await this.#fs.syncDir(checkpoints);
    await this.#removeUnreferencedShared();
  }
}

/**
 * Removes a directory holding only files (what the store creates), then the directory, each
 * file off the main thread (FileSystem.removeAsync): a checkpoint's WAL segments and the
 * last links of its tables free their blocks when removed. The store's operations run one
 * at a time (#exclusive), and a checkpoint's temporary directory is its own, so nothing else
 * changes the tree meanwhile.
 */
export async function removeTree(fs: FileSystem, dir: string): Promise<void> {
  for (const name of fs.list(dir)) await removeFileAsync(fs, joinPath(dir, name));
  fs.removeDir(dir);
}

function checkStoreFormat(fs: FileSystem, dir: string): void {
  const path = joinPath(dir, STORE_FORMAT_FILE);
  if (!fs.exists(path)) {
    // A crash while the store was being created can leave only these (FORMAT is durable
    // before the subdirectories are made, so they are empty).
    const ours = new Set([STORE_LOCK_FILE, SHARED_DIR, CHECKPOINTS_DIR, `${STORE_FORMAT_FILE}.tmp`]);
    const names = fs.list(dir);
    const foreign = names.filter((n) => !ours.has(n) && !isLockLeftover(STORE_LOCK_FILE, n));
    for (const sub of [SHARED_DIR, CHECKPOINTS_DIR]) {
      if (names.includes(sub) && fs.list(joinPath(dir, sub)).length > 0) foreign.push(`${sub}/…`);
    }
    if (foreign.length > 0) {
      throw new IncompatibleFormatError(
        `CheckpointStore.open: ${dir} is not empty and is not a statefn checkpoint store (found ${foreign.slice(0, 5).join(', ')})`,
      );
    }
    return;
  }
  const m = STORE_FORMAT_LINE.exec(decoder.decode(fs.readFile(path)));
  if (!m) {
    throw new IncompatibleFormatError(
      `CheckpointStore.open: ${path} does not describe a statefn checkpoint store`,
    );
  }
  const version = Number(m[1]);
  if (version > STORE_FORMAT_VERSION) {
    throw new IncompatibleFormatError(
      `CheckpointStore.open: ${dir} has store format version ${version}; this build reads up to ${STORE_FORMAT_VERSION}`,
    );
  }
}

async function writeStoreFormat(fs: FileSystem, dir: string): Promise<void> {
  const temp = joinPath(dir, `${STORE_FORMAT_FILE}.tmp`);
  await writeSyncedFile(fs, temp, encoder.encode(`statefn-checkpoint-store ${STORE_FORMAT_VERSION}\n`));
  fs.rename(temp, joinPath(dir, STORE_FORMAT_FILE));
  await fs.syncDir(dir);
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}
