/**
 * Names inside a checkpoint store (engine/FORMAT.md, "Checkpoints"):
 *
 *   <store>/FORMAT                        "statefn-checkpoint-store 1\n"
 *   <store>/LOCK                          held while a CheckpointStore is open
 *   <store>/shared/<identity>-<NNNNNN>.sst one copy of an SST, shared by every checkpoint that has it
 *   <store>/shared/<identity>-<session>-<NNNNNN>-<offset>.wal a segment of a WAL, likewise shared
 *   <store>/checkpoints/<id>/CHECKPOINT   a complete checkpoint's metadata
 *   <store>/checkpoints/tmp-<id>/         a checkpoint being built (garbage after a crash)
 *   <store>/checkpoints/del-<id>/         a checkpoint being deleted (garbage after a crash)
 */
import { randomBytes } from 'node:crypto';
import { joinPath } from '../env/file-system.js';

export const STORE_FORMAT_FILE = 'FORMAT';
export const STORE_LOCK_FILE = 'LOCK';
export const STORE_FORMAT_VERSION = 1;
export const STORE_FORMAT_LINE = /^statefn-checkpoint-store (\d+)\n$/;
export const SHARED_DIR = 'shared';
export const CHECKPOINTS_DIR = 'checkpoints';
export const METADATA_FILE = 'CHECKPOINT';
export const TMP_PREFIX = 'tmp-';
export const DELETING_PREFIX = 'del-';

/** A checkpoint id: a per-store counter (zero-padded, so ids sort by age) and a random tag. */
const ID_PATTERN = /^(\d{8,})-[0-9a-f]{8}$/;

export function isCheckpointId(name: string): boolean {
  return ID_PATTERN.test(name);
}

/** The counter part of an id (the order of checkpoints). */
export function idNumber(id: string): number {
  return Number(ID_PATTERN.exec(id)?.[1] ?? NaN);
}

export function makeCheckpointId(number: number): string {
  return `${String(number).padStart(8, '0')}-${randomBytes(4).toString('hex')}`;
}

/** Name of a shared SST: `<identity>-<file number>`, and a random tag after a collision. */
export function sharedFileName(identity: string, fileNumber: number, collision: boolean): string {
  const base = `${identity}-${String(fileNumber).padStart(6, '0')}`;
  return collision ? `${base}-${randomBytes(4).toString('hex')}.sst` : `${base}.sst`;
}

/**
 * Name of a stored WAL segment: `<identity>-<session>-<log number>-<offset>`, where it starts
 * in the WAL; a random tag after a collision.
 */
export function sharedSegmentName(
  identity: string,
  session: string,
  logNumber: number,
  offset: number,
  collision: boolean,
): string {
  const base = `${identity}-${session}-${String(logNumber).padStart(6, '0')}-${offset}`;
  return collision ? `${base}-${randomBytes(4).toString('hex')}.wal` : `${base}.wal`;
}

export class StoreLayout {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  get shared(): string {
    return joinPath(this.dir, SHARED_DIR);
  }
  get checkpoints(): string {
    return joinPath(this.dir, CHECKPOINTS_DIR);
  }
  sharedFile(name: string): string {
    return joinPath(this.shared, name);
  }
  checkpointDir(id: string): string {
    return joinPath(this.checkpoints, id);
  }
  metadataFile(id: string): string {
    return joinPath(this.checkpointDir(id), METADATA_FILE);
  }
}
