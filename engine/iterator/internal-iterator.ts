/**
 * The cursor every sorted source implements (memtable, SST block, SST file, level, merge),
 * over internal keys (user key + trailer, see version/internal-key.ts) in internal-key order.
 *
 * Contract:
 * - A new iterator is not positioned: call a seek method first.
 * - `key()` and `value()` may only be called while `valid()`; the arrays they return may be
 *   views into buffers the iterator reuses, valid until the next movement. Copy to keep.
 * - `seek(target)` positions at the first entry whose internal key is >= target;
 *   `seekForPrev(target)` at the last entry whose internal key is <= target.
 * - Corruption found while moving throws CorruptionError; the iterator is then unusable.
 */
export interface InternalIterator {
  valid(): boolean;
  seekToFirst(): void;
  seekToLast(): void;
  seek(target: Uint8Array): void;
  seekForPrev(target: Uint8Array): void;
  next(): void;
  prev(): void;
  key(): Uint8Array;
  value(): Uint8Array;
  close(): void;
}
