/**
 * InternalIterator over a memtable's skiplist (contract in iterator/internal-iterator.ts).
 * Position is a node offset in the arena (0 = not valid); value() is a zero-copy view of the
 * arena, key() a copy in a buffer the iterator reuses (valid until it moves, as the contract
 * allows): a scan then allocates no view per key, which profiles of scans showed costing
 * more than the copy. Nodes never move, so the iterator stays usable while the writer
 * inserts: it simply may or may not see entries inserted after it was positioned.
 */
import { invariant } from '../util/invariant.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import type { SkipList } from './skiplist.js';

/** Cursor over one memtable; obtain it from `MemTable.iterator()`. */
export class MemTableIterator implements InternalIterator {
  readonly #list: SkipList;
  #node = 0;
  #key = new Uint8Array(64);
  #keyView: Uint8Array = this.#key.subarray(0, 0);
  /** Tells the memtable this iterator no longer reads its arena; called once, by close(). */
  #onClose: (() => void) | undefined;

  constructor(list: SkipList, onClose?: () => void) {
    this.#list = list;
    this.#onClose = onClose;
  }

  valid(): boolean {
    return this.#node !== 0;
  }

  seekToFirst(): void {
    this.#node = this.#list.first();
  }

  seekToLast(): void {
    this.#node = this.#list.last();
  }

  seek(target: Uint8Array): void {
    this.#node = this.#list.seek(target);
  }

  seekForPrev(target: Uint8Array): void {
    this.#node = this.#list.seekForPrev(target);
  }

  next(): void {
    invariant(this.#node !== 0, 'MemTableIterator.next on an invalid iterator');
    this.#node = this.#list.nextOf(this.#node, 0);
  }

  prev(): void {
    invariant(this.#node !== 0, 'MemTableIterator.prev on an invalid iterator');
    this.#node = this.#list.prevOf(this.#node);
  }

  key(): Uint8Array {
    invariant(this.#node !== 0, 'MemTableIterator.key on an invalid iterator');
    const list = this.#list;
    const arena = list.bytes;
    const start = list.keyStart(this.#node);
    const length = list.keyEnd(this.#node) - start;
    let key = this.#key;
    if (length > key.length) this.#key = key = new Uint8Array(Math.max(length, 2 * key.length));
    for (let i = 0; i < length; i++) key[i] = arena[start + i]!;
    let view = this.#keyView;
    if (view.length !== length || view.buffer !== key.buffer) this.#keyView = view = key.subarray(0, length);
    return view;
  }

  value(): Uint8Array {
    invariant(this.#node !== 0, 'MemTableIterator.value on an invalid iterator');
    const list = this.#list;
    return list.bytes.subarray(list.keyEnd(this.#node), list.valueEnd(this.#node));
  }

  close(): void {
    this.#node = 0;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
  }
}
