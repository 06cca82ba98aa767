/**
 * Restoring a checkpoint into an engine directory (Engine.open with `restoreFrom`). Runs
 * under the directory's LOCK, before the normal open, in the store's exclusive lane (so a
 * concurrent retain cannot delete the files being read):
 *
 *   1. copy (or hard-link, on the same file system) each SST to `NNNNNN.sst`, under its
 *      original number, checking the size and xxHash64 of what arrived against the
 *      checkpoint, several files at a time, then fsync the copies;
 *   2. write each stored WAL prefix, its segments concatenated, to `NNNNNN.log` under its
 *      original number, after checking it whole (stored-file-checks.ts: each segment's
 *      size and checksum, then the records and their sequences);
 *   3. write an empty WAL, a fresh IDENTITY and a MANIFEST holding the files per level,
 *      with last sequence = the checkpoint's sequence, log number = the oldest stored WAL's
 *      (so the open replays them) and next file number above every number used;
 *   4. point CURRENT at the MANIFEST (temp file, fsync, rename, directory fsync) — the
 *      commit point: that directory fsync also makes every name above durable.
 * The caller then opens the directory normally, which replays the WALs as after a crash. A crash before step 4 leaves a directory
 * without CURRENT holding only engine-named files: a plain open treats it as new and deletes
 * them, and a restore into it is allowed again. On an error the files created are removed.
 */
import type { FileSystem } from '../env/file-system.js';
import { joinPath, writeSyncedFile } from '../env/file-system.js';
import { CorruptionError, InvalidArgumentError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { LOCK_FILE, tableFileName, tempFileName, walFileName } from '../version/file-names.js';
import { VersionEdit } from '../version/version-edit.js';
import { VersionSet } from '../version/version-set.js';
import { LogWriter } from '../wal/log-writer.js';
import { storeInternals } from './checkpoint-store.js';
import { checkStoredFile, readStoredLog } from './stored-file-checks.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { newIdentity, writeIdentity } from './engine-identity.js';
import { copyFileWithChecksum, syncFiles } from './file-checksum.js';
import { forEachConcurrently } from '../util/concurrency.js';
import { isCheckpointId } from './store-layout.js';

/**
 * Tables copied (or linked and read back) at once, and copies fsynced at once, by a
 * restore: each holds a thread of libuv's pool (four by default) and at most
 * READ_WHOLE_MAX_BYTES of memory while it is read back.
 */
const RESTORE_CONCURRENCY = 4;

/** `Engine.open`'s `restoreFrom` option. */
export interface RestoreFrom {
  store: CheckpointStore;
  /** Id of a complete checkpoint in `store` (from `Engine.checkpoint` or `store.list()`). */
  id: string;
}

/** Validates the `restoreFrom` option (called by resolveOptions). */
export function checkRestoreFrom(v: unknown): RestoreFrom {
  const api = 'Engine.open';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InvalidArgumentError(`${api}: restoreFrom must be an object { store, id }`);
  }
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'store' && key !== 'id')
      throw new InvalidArgumentError(`${api}: unknown restoreFrom option '${key}'`);
  }
  const store = o['store'];
  try {
    storeInternals(store as CheckpointStore);
  } catch {
    throw new InvalidArgumentError(
      `${api}: restoreFrom.store must be a CheckpointStore (from CheckpointStore.open)`,
    );
  }
  const id = o['id'];
  if (typeof id !== 'string' || !isCheckpointId(id)) {
    throw new InvalidArgumentError(
      `${api}: restoreFrom.id must be a checkpoint id, got ${typeof id === 'string' ? JSON.stringify(id) : typeof id}`,
    );
  }
  return { store: store as CheckpointStore, id };
}

/** Restores `from` into `dir`, which holds nothing but its LOCK (openEngine checks). */
export async function restoreCheckpoint(
  fs: FileSystem,
  dir: string,
  options: ResolvedOptions,
  from: RestoreFrom,
): Promise<void> {
  const store = storeInternals(from.store);
  store.checkOpen('Engine.open');
  await store.exclusive('Engine.open', async () => {
    const record = store.record('Engine.open', from.id);
    for (const f of record.files) {
      if (f.level >= options.numLevels) {
        throw new InvalidArgumentError(
          `Engine.open: checkpoint ${from.id} has files at level ${f.level}; numLevels is ${options.numLevels}`,
        );
      }
    }
    let versions: VersionSet | undefined;
    try {
      let maxNumber = 0;
      const edit = new VersionEdit();
      for (const f of record.files) {
        const source = store.layout.sharedFile(f.name);
        if (!store.fs.exists(source))
          throw new CorruptionError(source, undefined, 'checkpoint file is missing');
        if (f.meta.largestSequence > record.sequence) {
          throw new CorruptionError(
            store.layout.metadataFile(record.id),
            undefined,
            `checkpoint file ${f.name} holds sequence ${f.meta.largestSequence}, above the checkpoint's ${record.sequence}`,
          );
        }
        maxNumber = Math.max(maxNumber, f.meta.number);
        edit.addFile(f.level, f.meta);
      }
      // Several tables at a time, so the disk always has a copy or a read-back queued while
      // this thread hashes another; copies are fsynced together once all are checked.
      const unsynced: string[] = [];
      await forEachConcurrently(record.files, RESTORE_CONCURRENCY, async (f) => {
        const source = store.layout.sharedFile(f.name);
        const target = joinPath(dir, tableFileName(f.meta.number));
        const { bytes, checksum } = await copyFileWithChecksum(
          store.fs,
          source,
          fs,
          target,
          store.linkFiles,
          undefined,
          (path) => unsynced.push(path),
        );
        checkStoredFile(source, f.meta.sizeBytes, f.checksum, bytes, checksum);
      });
      await syncFiles(fs, unsynced, RESTORE_CONCURRENCY);
      for (const l of record.logs) {
        const data = readStoredLog(store.fs, (name) => store.layout.sharedFile(name), l, record.sequence);
        await writeSyncedFile(fs, joinPath(dir, walFileName(l.number)), data);
        maxNumber = Math.max(maxNumber, l.number);
      }
      versions = new VersionSet(fs, dir, {
        numLevels: options.numLevels,
        maxManifestBytes: options.maxManifestBytes,
      });
      versions.nextFileNumber = maxNumber + 1;
      versions.applyRecovered(edit);
      const walNumber = versions.newFileNumber();
      const walPath = joinPath(dir, walFileName(walNumber));
      const wal = new LogWriter(fs.openWritable(walPath, 'create'), walNumber);
      try {
        await wal.sync();
      } finally {
        wal.close();
      }
      const identityTemp = joinPath(dir, tempFileName(versions.newFileNumber()));
      await writeIdentity(fs, dir, newIdentity(), identityTemp);
      versions.logNumber = record.logs[0]?.number ?? walNumber;
      versions.lastSequence = record.sequence;
      await versions.writeNewManifest();
    } catch (err) {
      try {
        // The directory held nothing of value before (openEngine checked): empty it again.
        for (const name of fs.list(dir)) if (name !== LOCK_FILE) fs.remove(joinPath(dir, name));
      } catch {
        // Storage is failing; the directory has no CURRENT, so a later open cleans it.
      }
      throw err;
    } finally {
      versions?.close();
    }
  });
}
