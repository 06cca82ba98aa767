/**
 * A version: the set of live SST files per level at one point in time. Immutable once built.
 * Invariants: level 0 files may overlap and are ordered newest first (highest file number
 * first: each flush holds strictly newer sequences than the one before); in every deeper
 * level files are sorted by key range and do not overlap, and all versions of one user key
 * live in a single file (compaction never cuts a file between versions of one key).
 *
 * Readers pin a version with ref()/unref() so that files it names are not deleted while an
 * iterator still reads them.
 */
import type { TableCache } from '../cache/table-cache.js';
import { invariant } from '../util/invariant.js';
import { compareUserKeysOfInternal, compareUserToInternal, fileOverlapsRange } from './file-metadata.js';
import type { FileMetadata } from './file-metadata.js';

export class Version {
  /** files[level]: level 0 newest first; deeper levels sorted by smallest key. */
  readonly files: readonly (readonly FileMetadata[])[];
  #refs = 0;
  #onUnreferenced: ((v: Version) => void) | undefined;

  constructor(files: readonly (readonly FileMetadata[])[], onUnreferenced?: (v: Version) => void) {
    this.files = files;
    this.#onUnreferenced = onUnreferenced;
  }

  get numLevels(): number {
    return this.files.length;
  }

  get refs(): number {
    return this.#refs;
  }

  ref(): void {
    this.#refs++;
  }

  unref(): void {
    invariant(this.#refs > 0, 'Version.unref without a matching ref');
    if (--this.#refs === 0) this.#onUnreferenced?.(this);
  }

  levelBytes(level: number): number {
    let total = 0;
    for (const f of this.files[level] ?? []) total += f.sizeBytes;
    return total;
  }

  /**
   * Newest visible entry for `userKey` at `sequence`: the value (a copy), null for a
   * deletion, undefined when no file holds the key.
   */
  get(
    userKey: Uint8Array,
    sequence: number,
    hash: number,
    tables: TableCache,
  ): Uint8Array | null | undefined {
    const level0 = this.files[0] ?? [];
    for (let i = 0; i < level0.length; i++) {
      const f = level0[i]!;
      if (compareUserToInternal(userKey, f.smallest) < 0 || compareUserToInternal(userKey, f.largest) > 0) {
        continue;
      }
      if (f.smallestSequence > sequence) continue;
      const r = tables.get(f.number).get(userKey, sequence, hash);
      if (r !== undefined) return r;
    }
    for (let level = 1; level < this.files.length; level++) {
      const files = this.files[level]!;
      if (files.length === 0) continue;
      const i = findFile(files, userKey);
      if (i >= files.length) continue;
      const f = files[i]!;
      if (compareUserToInternal(userKey, f.smallest) < 0) continue;
      if (f.smallestSequence > sequence) continue;
      const r = tables.get(f.number).get(userKey, sequence, hash);
      if (r !== undefined) return r;
    }
    return undefined;
  }

  /** Files of `level` whose user-key range intersects [start, end] (undefined = unbounded). */
  overlappingFiles(
    level: number,
    start: Uint8Array | undefined,
    end: Uint8Array | undefined,
  ): FileMetadata[] {
    const files = this.files[level] ?? [];
    return files.filter((f) => fileOverlapsRange(f, start, end));
  }

  /** Whether any file in levels >= `fromLevel` may hold `userKey`. */
  keyMayExistBelow(userKey: Uint8Array, fromLevel: number): boolean {
    for (let level = fromLevel; level < this.files.length; level++) {
      const files = this.files[level]!;
      const i = findFile(files, userKey);
      if (i < files.length && compareUserToInternal(userKey, files[i]!.smallest) >= 0) return true;
    }
    return false;
  }

  /** Checks the level invariants; used by paranoid checks and tests. */
  checkInvariants(): void {
    for (let level = 1; level < this.files.length; level++) {
      const files = this.files[level]!;
      for (let i = 1; i < files.length; i++) {
        invariant(
          compareUserKeysOfInternal(files[i - 1]!.largest, files[i]!.smallest) < 0,
          () => `level ${level}: files ${files[i - 1]!.number} and ${files[i]!.number} overlap`,
        );
      }
    }
  }
}

/** Index of the first file whose largest user key is >= userKey (files sorted, disjoint). */
export function findFile(files: readonly FileMetadata[], userKey: Uint8Array): number {
  let lo = 0;
  let hi = files.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUserToInternal(userKey, files[mid]!.largest) > 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
