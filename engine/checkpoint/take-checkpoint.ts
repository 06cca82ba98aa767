/**
 * Taking a checkpoint (Engine.checkpoint). The engine hands over a pinned version that holds
 * exactly the writes up to one sequence number (see Engine.#pinForCheckpoint); this module
 * copies into the store the SSTs it does not hold yet and commits the checkpoint:
 *
 *   1. under the store's exclusive lane: read which shared files complete checkpoints name;
 *   2. for each SST of the version: reuse the stored copy if its recorded size, entry
 *      count, sequence range and key range equal the engine's, else hard-link (same file
 *      system) or copy it into `shared/` and fsync it. Its checksum is the one its writer
 *      recorded (FileMetadata.checksum), which a copy checks against the bytes it read; a
 *      file written before the engine's last open has none and is hashed here;
 *   3. fsync `shared/`; write `checkpoints/tmp-<id>/CHECKPOINT`, fsync it and its directory;
 *   4. rename `tmp-<id>` to `<id>` and fsync `checkpoints/` — the commit point;
 *   5. unpin the version (compaction may then delete the engine's copies).
 * A failure before step 4 removes what this checkpoint created (best effort; the next open
 * of the store removes anything left).
 */
import type { FileSystem } from '../env/file-system.js';
import { joinPath } from '../env/file-system.js';
import { CorruptionError, InvalidArgumentError } from '../errors.js';
import { bytesEqual } from '../util/bytes.js';
import type { FileMetadata } from '../version/file-metadata.js';
import { tableFileName } from '../version/file-names.js';
import { encodeCheckpointRecord } from './checkpoint-format.js';
import type {
  Checkpoint,
  CheckpointMetadata,
  CheckpointRecord,
  JsonValue,
  StoredFile,
} from './checkpoint-format.js';
import { removeTree, storeInternals } from './checkpoint-store.js';
import type { CheckpointStore, StoreInternals } from './checkpoint-store.js';
import { copyFileWithChecksum } from './file-checksum.js';
import { idNumber, makeCheckpointId, METADATA_FILE, sharedFileName, TMP_PREFIX } from './store-layout.js';

/** Options of `Engine.checkpoint`. */
export interface CheckpointOptions {
  /** Kept with the checkpoint and returned by `list()`: bytes, or any JSON value. */
  metadata?: CheckpointMetadata;
}

/** @internal A version the engine pinned for a checkpoint; `release` unpins it. */
export interface PinnedState {
  dir: string;
  fs: FileSystem;
  identity: string;
  numLevels: number;
  files: readonly (readonly FileMetadata[])[];
  sequence: number;
  release(): void;
}

/** @internal Checked arguments of Engine.checkpoint. */
export interface CheckpointRequest {
  store: StoreInternals;
  metadata: CheckpointMetadata | undefined;
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
  if (options === undefined) return { store: internals, metadata: undefined };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`${api}: options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'metadata') throw new InvalidArgumentError(`${api}: unknown option '${key}'`);
  }
  const m: unknown = options.metadata;
  if (m === undefined) return { store: internals, metadata: undefined };
  if (m instanceof Uint8Array) return { store: internals, metadata: m.slice() };
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
  return { store: internals, metadata: JSON.parse(text) as JsonValue };
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
  }
  // Unfinished checkpoints of a failed attempt may still hold numbers: never reuse an id.
  for (const name of fs.list(layout.checkpoints)) {
    const n = idNumber(name.startsWith(TMP_PREFIX) ? name.slice(TMP_PREFIX.length) : name);
    if (Number.isFinite(n)) lastNumber = Math.max(lastNumber, n);
  }
  const id = makeCheckpointId(lastNumber + 1);
  const tmpDir = joinPath(layout.checkpoints, TMP_PREFIX + id);
  const created: string[] = [];
  let committed = false;
  try {
    fs.mkdirp(tmpDir);
    const files: StoredFile[] = [];
    let newFileBytes = 0;
    for (let level = 0; level < pinned.files.length; level++) {
      for (const meta of pinned.files[level]!) {
        const reuse = stored.get(meta.number)?.find((f) => sameFile(f.meta, meta));
        if (reuse) {
          files.push({ name: reuse.name, level, meta, checksum: reuse.checksum, shared: true });
          continue;
        }
        let name = sharedFileName(pinned.identity, meta.number, false);
        while (names.has(name)) name = sharedFileName(pinned.identity, meta.number, true);
        names.add(name);
        const source = joinPath(pinned.dir, tableFileName(meta.number));
        created.push(name);
        const { bytes, checksum } = await copyFileWithChecksum(
          pinned.fs,
          source,
          fs,
          layout.sharedFile(name),
          linkFiles,
          meta.checksum,
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
      }
    }
    if (created.length > 0) await fs.syncDir(layout.shared);
    const record: CheckpointRecord = {
      id,
      createdAt: Date.now(),
      sequence: pinned.sequence,
      identity: pinned.identity,
      numLevels: pinned.numLevels,
      files,
      metadata: request.metadata,
      newFileBytes,
    };
    const file = fs.openWritable(joinPath(tmpDir, METADATA_FILE), 'create');
    try {
      file.append(encodeCheckpointRecord(record));
      await file.sync();
    } finally {
      file.close();
    }
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
        if (fs.exists(tmpDir)) removeTree(fs, tmpDir);
      } catch {
        // Storage is failing; CheckpointStore.open removes the rest.
      }
    }
    throw err;
  }
}
