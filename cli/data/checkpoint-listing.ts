/**
 * The checkpoints of a checkpoint store, read from their metadata files without opening the
 * store: no lock taken, nothing written, so listing also works while a runtime runs.
 *
 * Rejected: `CheckpointStore.open` + `list()`. Opening takes the store's LOCK (held by a
 * running runtime) and removes what a crash left behind, which a read command should not
 * do. Reading without the lock is safe because a checkpoint directory appears by rename
 * only once complete and its metadata file never changes; a checkpoint deleted meanwhile
 * (renamed to `del-<id>` first) is simply not listed. Verification (`CheckpointStore.verify`)
 * does take the lock: it reads the shared files, which a concurrent deletion could remove.
 *
 * The metadata decoder is the engine's own (engine/checkpoint/checkpoint-format.ts). A
 * runtime's checkpoints carry the runtime's metadata (runtime/FORMAT.md, "Checkpoint
 * metadata"), decoded for the ingress offset and the egress records each one commits.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptionError, IncompatibleFormatError } from '../../engine/index.js';
import { decodeCheckpointRecord } from '../../engine/checkpoint/checkpoint-format.js';
import type { CheckpointRecord } from '../../engine/checkpoint/checkpoint-format.js';
import { initHashing } from '../../engine/util/checksum.js';
import { idNumber, isCheckpointId } from '../../engine/checkpoint/store-layout.js';
import { decodeRuntimeCheckpoint } from '../../runtime/checkpoint/runtime-checkpoint.js';
import { CliError } from '../cli-errors.js';
import { readLockOwner } from './lock-owner.js';
import type { LockOwner } from './lock-owner.js';

/** What a runtime recorded with a checkpoint. */
export interface RuntimeCheckpointInfo {
  /** Every ingress message below this offset is reflected in the checkpoint's state. */
  ingressOffset: number;
  /** Egress records this checkpoint committed. */
  egressRecords: number;
  /** Per egress typename: the next offset after this checkpoint. */
  egressNext: Record<string, number>;
  /** Messages in flight between functions at the checkpoint's cut. */
  inFlightMessages: number;
}

/** One complete checkpoint. */
export interface CheckpointInfo {
  id: string;
  createdAt: number;
  /** The engine writes the checkpoint holds: exactly those with sequence ≤ this. */
  sequence: number;
  files: number;
  /** Bytes of all its SST files (shared with other checkpoints or not). */
  bytes: number;
  /** Files and bytes this checkpoint added to the store (the rest it shares). */
  newFiles: number;
  bytesAdded: number;
  /** The runtime's metadata, when a runtime took it. */
  runtime: RuntimeCheckpointInfo | null;
  /** Other user metadata: 'json' with the value, 'bytes' with the length, or null. */
  metadata: { json: unknown } | { bytes: number } | null;
}

/** What the store holds. */
export interface StoreListing {
  dir: string;
  checkpoints: CheckpointInfo[];
  /** Checkpoints whose metadata file is unreadable, with the problem. */
  damaged: { id: string; problem: string }[];
  /** Files in `shared/` and their bytes: what the store occupies. */
  sharedFiles: number;
  sharedBytes: number;
  lock: LockOwner | undefined;
}

/** The checkpoint store format this build reads (engine/FORMAT.md, "Checkpoints"). */
const STORE_FORMAT_VERSION = 1;

/**
 * The format version in the store's FORMAT file, or undefined when `dir` has no such file
 * (it is not a checkpoint store). A newer version than this build reads is refused with
 * IncompatibleFormatError.
 */
export function readStoreFormat(dir: string): number | undefined {
  const path = join(dir, 'FORMAT');
  if (!existsSync(path)) return undefined;
  const m = /^statefn-checkpoint-store (\d+)\n$/.exec(readFileSync(path, 'utf8'));
  if (m === null) return undefined;
  const format = Number(m[1]);
  if (format > STORE_FORMAT_VERSION) {
    throw new IncompatibleFormatError(
      `${dir} was written by a newer statefn (checkpoint store format ${format}; this version reads up to ${STORE_FORMAT_VERSION})`,
    );
  }
  return format;
}

/** Lists the checkpoints of the store in `dir`, oldest first. */
export async function listCheckpoints(dir: string): Promise<StoreListing> {
  if (readStoreFormat(dir) === undefined)
    throw new CliError(`${dir} is not a checkpoint store (no FORMAT file)`);
  await initHashing();
  const checkpointsDir = join(dir, 'checkpoints');
  const ids = existsSync(checkpointsDir)
    ? readdirSync(checkpointsDir)
        .filter(isCheckpointId)
        .sort((a, b) => idNumber(a) - idNumber(b) || (a < b ? -1 : 1))
    : [];
  const checkpoints: CheckpointInfo[] = [];
  const damaged: { id: string; problem: string }[] = [];
  for (const id of ids) {
    const path = join(checkpointsDir, id, 'CHECKPOINT');
    let data: Uint8Array;
    let metadataBytes: number;
    try {
      data = readFileSync(path);
      metadataBytes = statSync(path).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile
      throw err;
    }
    try {
      const record = decodeCheckpointRecord(data, path);
      if (record.id !== id)
        throw new CorruptionError(path, undefined, `checkpoint metadata names id '${record.id}'`);
      checkpoints.push(describe(record, metadataBytes));
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      damaged.push({ id, problem: err.message });
    }
  }
  let sharedFiles = 0;
  let sharedBytes = 0;
  const sharedDir = join(dir, 'shared');
  if (existsSync(sharedDir)) {
    for (const name of readdirSync(sharedDir)) {
      try {
        sharedBytes += statSync(join(sharedDir, name)).size;
        sharedFiles++;
      } catch {
        // Removed meanwhile by the store's owner.
      }
    }
  }
  return { dir, checkpoints, damaged, sharedFiles, sharedBytes, lock: readLockOwner(dir) };
}

function describe(r: CheckpointRecord, metadataBytes: number): CheckpointInfo {
  let runtime: RuntimeCheckpointInfo | null = null;
  let metadata: CheckpointInfo['metadata'] = null;
  if (r.metadata instanceof Uint8Array) {
    try {
      const cp = decodeRuntimeCheckpoint(r.metadata, r.id);
      runtime = {
        ingressOffset: cp.ingressOffset,
        egressRecords: cp.egress.length,
        egressNext: Object.fromEntries(cp.egressNext),
        inFlightMessages: cp.inFlight.length + cp.storedInFlight,
      };
    } catch (err) {
      // Bytes, but not a runtime's metadata: an engine user's own.
      if (!(err instanceof CorruptionError)) throw err;
      metadata = { bytes: r.metadata.length };
    }
  } else if (r.metadata !== undefined) {
    metadata = { json: r.metadata };
  }
  // SSTs and the WAL prefixes carried for the memtables not yet flushed.
  const stored = [
    ...r.files.map((f) => ({ bytes: f.meta.sizeBytes, shared: f.shared })),
    ...r.logs.flatMap((l) => l.segments.map((g) => ({ bytes: g.bytes, shared: g.shared }))),
  ];
  return {
    id: r.id,
    createdAt: r.createdAt,
    sequence: r.sequence,
    files: stored.length,
    bytes: stored.reduce((n, f) => n + f.bytes, 0),
    newFiles: stored.filter((f) => !f.shared).length,
    bytesAdded: r.newFileBytes + metadataBytes,
    runtime,
    metadata,
  };
}
