/**
 * The cursor every sorted source implements (memtable, SST block, SST file, level, merge),
 * over internal keys (user key + trailer, see version/internal-key.ts) in internal-key order.
 *
 * Contract:
 * - A new iterator is not positioned: call a seek method first.
 * - `key()` and `value()` may only be called while `valid()`. The key may be a view into a
 *   buffer the iterator reuses, valid until the next movement: copy it to keep it. The value
 *   is a view of immutable memory (a block, a memtable arena) that stays unchanged until the
 *   iterator is closed, even after it moves: EngineIterator keeps it while walking the older
 *   versions of a key backward. Never write into either.
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
