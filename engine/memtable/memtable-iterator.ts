/**
 * InternalIterator over a memtable's skiplist (contract in iterator/internal-iterator.ts).
 * Position is a node offset in the arena (0 = not valid); key() and value() are zero-copy
 * views of the arena. Nodes never move, so the iterator stays usable while the writer
 * inserts: it simply may or may not see entries inserted after it was positioned.
 */
import { invariant } from '../util/invariant.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import type { SkipList } from './skiplist.js';

/** Cursor over one memtable; obtain it from `MemTable.iterator()`. */
export class MemTableIterator implements InternalIterator {
  readonly #list: SkipList;
  #node = 0;
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
    return list.bytes.subarray(list.keyStart(this.#node), list.keyEnd(this.#node));
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
