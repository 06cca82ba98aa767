/**
 * Taking a checkpoint (Engine.checkpoint). The engine hands over a pinned state that holds
 * exactly the writes up to one sequence number (see Engine.#pinForCheckpoint): a version's
 * SSTs, and the active memtable's WAL up to a record boundary (the writes that version lacks).
 * This module copies into the store the files it does not hold yet and commits the
 * checkpoint:
 *
 *   1. under the store's exclusive lane: read which shared files complete checkpoints name;
 *   2. for each SST of the version: reuse the stored copy if its recorded size, entry
 *      count, sequence range and key range equal the engine's, else hard-link (same file
 *      system) or copy it into `shared/` (fsynced unless it was linked). Its checksum is the
 *      one its writer recorded (FileMetadata.checksum), which a copy checks against the bytes
 *      it read; a file written before the engine's last open has none and is hashed here;
 *   3. for each pinned WAL: reuse the segments an earlier checkpoint stored of it (same
 *      identity, session and number: the same append-only file, so its stored segments are
 *      its bytes), the longest run of them within the size pinned now, and copy only the
 *      bytes after them into a new segment in `shared/`, hashing them, and fsync it;
 *   With a store's maxCopyBytesPerSecond, each copy of steps 2 and 3 is fsynced at once
 *   and followed by the wait that keeps the average within the limit (copy-pacer.ts);
 *   4. fsync `shared/`; write `checkpoints/tmp-<id>/CHECKPOINT`, fsync it and its directory;
 *   5. rename `tmp-<id>` to `<id>` and fsync `checkpoints/` — the commit point;
 *   6. unpin the version and the WALs (the engine may then delete its copies).
 * A failure before step 4 removes what this checkpoint created (best effort; the next open
 * of the store removes anything left).
 */
import type { FileSystem } from '../env/file-system.js';
import { joinPath, writeSyncedFile } from '../env/file-system.js';
import { CorruptionError, InvalidArgumentError } from '../errors.js';
import { showValue } from '../options.js';
import { bytesEqual } from '../util/bytes.js';
import type { FileMetadata } from '../version/file-metadata.js';
import { tableFileName, walFileName } from '../version/file-names.js';
import { encodeCheckpointRecord } from './checkpoint-format.js';
import type {
  Checkpoint,
  CheckpointMetadata,
  CheckpointRecord,
  JsonValue,
  StoredFile,
  StoredLog,
  StoredSegment,
} from './checkpoint-format.js';
import { removeTree, storeInternals } from './checkpoint-store.js';
import type { CheckpointStore, StoreInternals } from './checkpoint-store.js';
import { CopyPacer } from './copy-pacer.js';
import { copyFileWithChecksum, copyRangeWithChecksum, syncFiles } from './file-checksum.js';
import {
  idNumber,
  makeCheckpointId,
  METADATA_FILE,
  sharedFileName,
  sharedSegmentName,
  TMP_PREFIX,
} from './store-layout.js';

/** Options of `Engine.checkpoint`. */
export interface CheckpointOptions {
  /** Kept with the checkpoint and returned by `list()`: bytes, or any JSON value. */
  metadata?: CheckpointMetadata;
  /**
   * What a checkpoint does with memtables sealed but not yet flushed. `'flush'` (the
   * default) waits for their flushes, which are queued anyway, so it holds their writes as
   * SSTs. `'carry'` takes their WALs as they are instead, so it never waits for a flush (a
   * restore replays them): for callers that checkpoint often and wait for each, at the cost
   * of storing those writes twice, once in the WAL now and once in the SST the next
   * checkpoint gets. It waits as `'flush'` does when a sealed memtable's WAL was not closed
   * by this engine (memtables replayed at open).
   */
  sealedMemtables?: 'flush' | 'carry';
}

/** @internal A WAL a checkpoint carries: its first `bytes` bytes hold the writes it needs. */
export interface PinnedLog {
  number: number;
  bytes: number;
}

/** @internal What the engine pinned for a checkpoint; `release` unpins it. */
export interface PinnedState {
  dir: string;
  fs: FileSystem;
  identity: string;
  /** The engine open that wrote the pinned WALs (see Engine's #session). */
  session: string;
  numLevels: number;
  files: readonly (readonly FileMetadata[])[];
  /** WALs of the memtables `files` lacks, oldest first; replayed, they add the writes up to `sequence`. */
  logs: readonly PinnedLog[];
  sequence: number;
  release(): void;
}

/** @internal Checked arguments of Engine.checkpoint. */
export interface CheckpointRequest {
  store: StoreInternals;
  metadata: CheckpointMetadata | undefined;
  sealedMemtables: NonNullable<CheckpointOptions['sealedMemtables']>;
}

/** Validates Engine.checkpoint's arguments (synchronously, before anything is flushed). */
export function checkCheckpointArgs(
  store: CheckpointStore,
  options: CheckpointOptions | undefined,
): CheckpointRequest {
  const api = 'Engine.checkpoint';
  let internals: StoreInternals;
  try {
    internals = storeInternals(store);
  } catch {
    throw new InvalidArgumentError(`${api}: store must be a CheckpointStore (from CheckpointStore.open)`);
  }
  internals.checkOpen(api);
  internals.checkWritable(api);
  if (options === undefined) return { store: internals, metadata: undefined, sealedMemtables: 'flush' };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${api}: options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'metadata' && key !== 'sealedMemtables') {
      throw new InvalidArgumentError(`${api}: unknown option '${key}'`);
    }
  }
  const sealed: unknown = options.sealedMemtables ?? 'flush';
  if (sealed !== 'flush' && sealed !== 'carry') {
    throw new InvalidArgumentError(
      `${api}: options.sealedMemtables must be 'flush' or 'carry', got ${showValue(sealed)}`,
    );
  }
  const sealedMemtables: CheckpointRequest['sealedMemtables'] = sealed;
  const m: unknown = options.metadata;
  if (m === undefined) return { store: internals, metadata: undefined, sealedMemtables };
  if (m instanceof Uint8Array) return { store: internals, metadata: m.slice(), sealedMemtables };
  let text: string | undefined;
  try {
    text = JSON.stringify(m);
  } catch {
    text = undefined;
  }
  if (
    text === undefined ||
    (typeof m !== 'object' && typeof m !== 'string' && typeof m !== 'number' && typeof m !== 'boolean')
  ) {
    throw new InvalidArgumentError(`${api}: options.metadata must be a Uint8Array or a JSON value`);
  }
  // Stored as JSON: the copy is what a restore will read back.
  return { store: internals, metadata: JSON.parse(text) as JsonValue, sealedMemtables };
}

/** Copies the pinned version into the store and commits the checkpoint. */
export async function takeCheckpoint(
  request: CheckpointRequest,
  pinning: Promise<PinnedState>,
): Promise<Checkpoint> {
  const pinned = await pinning;
  try {
    return await request.store.exclusive('Engine.checkpoint', () => commit(request, pinned));
  } finally {
    pinned.release();
  }
}

function sameFile(a: FileMetadata, b: FileMetadata): boolean {
  return (
    a.number === b.number &&
    a.sizeBytes === b.sizeBytes &&
    a.entries === b.entries &&
    a.smallestSequence === b.smallestSequence &&
    a.largestSequence === b.largestSequence &&
    bytesEqual(a.smallest, b.smallest) &&
    bytesEqual(a.largest, b.largest)
  );
}

async function commit(request: CheckpointRequest, pinned: PinnedState): Promise<Checkpoint> {
  const { fs, layout, linkFiles } = request.store;
  // A damaged checkpoint must not stop new ones: its files are simply not reused.
  const existing = request.store.readableRecords();
  // Stored copies of this engine's files, by file number. Every name present is taken, even
  // one only a damaged checkpoint or a failed attempt left: a stored file is never rewritten.
  const stored = new Map<number, StoredFile[]>();
  // Per WAL of this engine open: the runs of segments earlier checkpoints stored of it.
  const storedLogs = new Map<number, StoredLog[]>();
  const names = new Set<string>(fs.list(layout.shared));
  let lastNumber = 0;
  for (const r of existing) {
    lastNumber = Math.max(lastNumber, idNumber(r.id));
    for (const f of r.files) {
      if (r.identity !== pinned.identity) continue;
      const list = stored.get(f.meta.number) ?? [];
      list.push(f);
      stored.set(f.meta.number, list);
    }
    if (r.identity !== pinned.identity) continue;
    for (const l of r.logs) {
      if (l.session !== pinned.session) continue;
      const list = storedLogs.get(l.number) ?? [];
      list.push(l);
      storedLogs.set(l.number, list);
    }
  }
  // Unfinished checkpoints of a failed attempt may still hold numbers: never reuse an id.
  for (const name of fs.list(layout.checkpoints)) {
    const n = idNumber(name.startsWith(TMP_PREFIX) ? name.slice(TMP_PREFIX.length) : name);
    if (Number.isFinite(n)) lastNumber = Math.max(lastNumber, n);
  }
  const id = makeCheckpointId(lastNumber + 1);
  const tmpDir = joinPath(layout.checkpoints, TMP_PREFIX + id);
  const created: string[] = [];
  /** A shared name no file has (`nameFor(true)` adds a random tag), recorded as created. */
  const claim = (nameFor: (collision: boolean) => string): string => {
    let name = nameFor(false);
    while (names.has(name)) name = nameFor(true);
    names.add(name);
    created.push(name);
    return name;
  };
  let committed = false;
  try {
    fs.mkdirp(tmpDir);
    const files: StoredFile[] = [];
    let newFileBytes = 0;
    // Copies the kernel made, fsynced after the last copy and before anything names them.
    // Paced copies (maxCopyBytesPerSecond) are fsynced one by one instead, inside the pace.
    const unsynced: string[] = [];
    const pacer = new CopyPacer(request.store.maxCopyBytesPerSecond);
    for (let level = 0; level < pinned.files.length; level++) {
      for (const meta of pinned.files[level]!) {
        const reuse = stored.get(meta.number)?.find((f) => sameFile(f.meta, meta));
        if (reuse) {
          files.push({ name: reuse.name, level, meta, checksum: reuse.checksum, shared: true });
          continue;
        }
        const name = claim((collision) => sharedFileName(pinned.identity, meta.number, collision));
        const source = joinPath(pinned.dir, tableFileName(meta.number));
        const { bytes, checksum, linked } = await copyFileWithChecksum(
          pinned.fs,
          source,
          fs,
          layout.sharedFile(name),
          linkFiles,
          meta.checksum,
          pacer.limited ? undefined : (path) => unsynced.push(path),
        );
        if (bytes !== meta.sizeBytes) {
          throw new CorruptionError(
            source,
            undefined,
            `SST holds ${bytes} bytes; the MANIFEST records ${meta.sizeBytes}`,
          );
        }
        newFileBytes += bytes;
        files.push({ name, level, meta, checksum, shared: false });
        if (!linked) await pacer.copied(bytes);
      }
    }
    const logs: StoredLog[] = [];
    for (const log of pinned.logs) {
      let base: StoredLog | undefined;
      for (const l of storedLogs.get(log.number) ?? []) {
        if (l.bytes <= log.bytes && (base === undefined || l.bytes > base.bytes)) base = l;
      }
      const segments: StoredSegment[] = (base?.segments ?? []).map((g) => ({ ...g, shared: true }));
      const offset = base?.bytes ?? 0;
      if (offset < log.bytes) {
        const name = claim((collision) =>
          sharedSegmentName(pinned.identity, pinned.session, log.number, offset, collision),
        );
        const checksum = await copyRangeWithChecksum(
          pinned.fs,
          joinPath(pinned.dir, walFileName(log.number)),
          offset,
          log.bytes,
          fs,
          layout.sharedFile(name),
        );
        newFileBytes += log.bytes - offset;
        segments.push({ name, offset, bytes: log.bytes - offset, checksum, shared: false });
        await pacer.copied(log.bytes - offset);
      }
      logs.push({ number: log.number, session: pinned.session, bytes: log.bytes, segments });
    }
    await syncFiles(fs, unsynced);
    if (created.length > 0) await fs.syncDir(layout.shared);
    const record: CheckpointRecord = {
      id,
      createdAt: Date.now(),
      sequence: pinned.sequence,
      identity: pinned.identity,
      numLevels: pinned.numLevels,
      files,
      logs,
      metadata: request.metadata,
      newFileBytes,
    };
    await writeSyncedFile(fs, joinPath(tmpDir, METADATA_FILE), encodeCheckpointRecord(record));
    await fs.syncDir(tmpDir);
    fs.rename(tmpDir, layout.checkpointDir(id));
    committed = true;
    await fs.syncDir(layout.checkpoints);
    return request.store.describe(record);
  } catch (err) {
    // After the rename the checkpoint is complete (if perhaps not yet durable): keep it.
    if (!committed) {
      try {
        for (const name of created) fs.remove(layout.sharedFile(name));
        if (fs.exists(tmpDir)) await removeTree(fs, tmpDir);
      } catch {
        // Storage is failing; CheckpointStore.open removes the rest.
      }
    }
    throw err;
  }
}
