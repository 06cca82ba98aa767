/**
 * What the engine knows about one SST file without opening it: its number, size and key
 * range. Versions hold these; MANIFEST edits carry them.
 */
import { compareRanges } from '../util/bytes.js';
import { TRAILER_BYTES } from './internal-key.js';

export interface FileMetadata {
  readonly number: number;
  readonly sizeBytes: number;
  /** Smallest internal key in the file. */
  readonly smallest: Uint8Array;
  /** Largest internal key in the file. */
  readonly largest: Uint8Array;
  readonly entries: number;
  readonly smallestSequence: number;
  readonly largestSequence: number;
  /**
   * xxHash64 of the whole file (16 hex digits), when this process wrote it: a checkpoint
   * then links or copies the file without reading it to hash it. Not kept in the MANIFEST;
   * files from before an open are hashed by the first checkpoint that stores them.
   */
  readonly checksum?: string;
}

/** Compares the user-key parts of two internal keys. */
export function compareUserKeysOfInternal(a: Uint8Array, b: Uint8Array): number {
  return compareRanges(a, 0, a.length - TRAILER_BYTES, b, 0, b.length - TRAILER_BYTES);
}

/** Compares a user key with the user-key part of an internal key. */
export function compareUserToInternal(userKey: Uint8Array, internalKey: Uint8Array): number {
  return compareRanges(userKey, 0, userKey.length, internalKey, 0, internalKey.length - TRAILER_BYTES);
}

/**
 * Whether the file's user-key range intersects [start, end] (user keys; undefined = unbounded).
 */
export function fileOverlapsRange(
  file: FileMetadata,
  start: Uint8Array | undefined,
  end: Uint8Array | undefined,
): boolean {
  if (start !== undefined && compareUserToInternal(start, file.largest) > 0) return false;
  if (end !== undefined && compareUserToInternal(end, file.smallest) < 0) return false;
  return true;
}
