/**
 * InternalIterator over one sorted run of a memtable (contract in
 * iterator/internal-iterator.ts; runs in sorted-runs.ts). Position is an index into the run
 * (-1 or run.length = not valid); value() is a zero-copy view of the arena, key() a copy in
 * a buffer the iterator reuses (valid until it moves, as the contract allows): a scan then
 * allocates no view per key, which profiles of scans showed costing more than the copy. The
 * run is fixed when the iterator is made, so entries added later are not seen.
 */
import { invariant } from '../util/invariant.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import type { EntryArena } from './entry-arena.js';
import { compareNodeTo, lowerBound } from './sort-entries.js';

/** Cursor over one run; obtain it from `MemTable.iterator()` or `MemTable.iterators()`. */
export class MemTableIterator implements InternalIterator {
  readonly #arena: EntryArena;
  readonly #run: Int32Array;
  #at = -1;
  #key = new Uint8Array(64);
  #keyView: Uint8Array = this.#key.subarray(0, 0);
  /** Tells the memtable this iterator no longer reads its arena; called once, by close(). */
  #onClose: (() => void) | undefined;

  constructor(arena: EntryArena, run: Int32Array, onClose?: () => void) {
    this.#arena = arena;
    this.#run = run;
    this.#onClose = onClose;
  }

  valid(): boolean {
    return this.#at >= 0 && this.#at < this.#run.length;
  }

  seekToFirst(): void {
    this.#at = 0;
  }

  seekToLast(): void {
    this.#at = this.#run.length - 1;
  }

  seek(target: Uint8Array): void {
    this.#at = lowerBound(this.#arena, this.#run, target);
  }

  seekForPrev(target: Uint8Array): void {
    const at = lowerBound(this.#arena, this.#run, target);
    const exact = at < this.#run.length && compareNodeTo(this.#arena, this.#run[at]!, target) === 0;
    this.#at = exact ? at : at - 1;
  }

  next(): void {
    invariant(this.valid(), 'MemTableIterator.next on an invalid iterator');
    this.#at++;
  }

  prev(): void {
    invariant(this.valid(), 'MemTableIterator.prev on an invalid iterator');
    this.#at--;
  }

  key(): Uint8Array {
    invariant(this.valid(), 'MemTableIterator.key on an invalid iterator');
    const arena = this.#arena;
    const node = this.#run[this.#at]!;
    const bytes = arena.bytes;
    const start = arena.keyStart(node);
    const length = arena.keyEnd(node) - start;
    let key = this.#key;
    if (length > key.length) this.#key = key = new Uint8Array(Math.max(length, 2 * key.length));
    for (let i = 0; i < length; i++) key[i] = bytes[start + i]!;
    let view = this.#keyView;
    if (view.length !== length || view.buffer !== key.buffer) this.#keyView = view = key.subarray(0, length);
    return view;
  }

  value(): Uint8Array {
    invariant(this.valid(), 'MemTableIterator.value on an invalid iterator');
    const arena = this.#arena;
    const node = this.#run[this.#at]!;
    return arena.bytes.subarray(arena.keyEnd(node), arena.valueEnd(node));
  }

  close(): void {
    this.#at = -1;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
  }
}
