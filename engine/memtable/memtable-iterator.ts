/**
 * InternalIterator over one sorted run of a memtable (contract in
 * iterator/internal-iterator.ts; runs in sorted-runs.ts). Position is an index into the run
 * (-1 or run length = not valid). value() is a zero-copy view of the arena, key() a copy in
 * a buffer the iterator reuses (valid until it moves, as the contract allows): a scan then
 * allocates no view per key, which profiles of scans showed costing more than the copy. The
 * run is fixed when the iterator is made, so entries added later are not seen.
 *
 * Keys are read from the run's copy in run order (run-keys.ts) once it exists, so that
 * neither a scan nor a seek jumps around the arena; until then they are read in place from
 * the arena nodes, and the iterator reports those reads, which decide when the copy pays.
 */
import { invariant } from '../util/invariant.js';
import type { InternalIterator } from '../iterator/internal-iterator.js';
import type { EntryArena } from './entry-arena.js';
import type { RunKeys } from './run-keys.js';
import { noteReadsInPlace, runKeysIfBuilt } from './run-keys.js';
import { compareNodeTo, lowerBound } from './sort-entries.js';

/** Reads in place are reported in batches of this many. */
const REPORT_READS = 256;

/** Cursor over one run; obtain it from `MemTable.iterator()` or `MemTable.iterators()`. */
export class MemTableIterator implements InternalIterator {
  readonly #arena: EntryArena;
  readonly #run: Int32Array;
  #keys: RunKeys | undefined;
  /** Node reads made in place and not yet reported. */
  #reads = 0;
  #at = -1;
  #key = new Uint8Array(64);
  #keyView: Uint8Array = this.#key.subarray(0, 0);
  /** Tells the memtable this iterator no longer reads its arena; called once, by close(). */
  #onClose: (() => void) | undefined;

  /** False for a single pass (a flush): no run-key copy is used, built or counted towards. */
  readonly #copyKeys: boolean;

  constructor(arena: EntryArena, run: Int32Array, onClose?: () => void, copyKeys = true) {
    this.#arena = arena;
    this.#run = run;
    this.#copyKeys = copyKeys;
    this.#keys = copyKeys ? runKeysIfBuilt(arena, run) : undefined;
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
    const keys = this.#keys;
    if (keys !== undefined) {
      this.#at = keys.lowerBound(target);
      return;
    }
    this.#at = lowerBound(this.#arena, this.#run, target);
    this.#countReads(33 - Math.clz32(this.#run.length));
  }

  seekForPrev(target: Uint8Array): void {
    const keys = this.#keys;
    const run = this.#run;
    let at: number;
    let exact: boolean;
    if (keys !== undefined) {
      at = keys.lowerBound(target);
      exact = at < run.length && keys.compareTo(at, target) === 0;
    } else {
      at = lowerBound(this.#arena, run, target);
      exact = at < run.length && compareNodeTo(this.#arena, run[at]!, target) === 0;
      this.#countReads(33 - Math.clz32(run.length));
    }
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
    const keys = this.#keys;
    let source: Uint8Array;
    let start: number;
    let length: number;
    if (keys !== undefined) {
      source = keys.keys;
      start = keys.keyOffsets[this.#at]!;
      length = keys.keyOffsets[this.#at + 1]! - start;
    } else {
      const arena = this.#arena;
      const node = this.#run[this.#at]!;
      source = arena.bytes;
      start = arena.keyStart(node);
      length = arena.keyEnd(node) - start;
      this.#countReads(1);
    }
    let key = this.#key;
    if (length > key.length) this.#key = key = new Uint8Array(Math.max(length, 2 * key.length));
    for (let i = 0; i < length; i++) key[i] = source[start + i]!;
    let view = this.#keyView;
    if (view.length !== length || view.buffer !== key.buffer) this.#keyView = view = key.subarray(0, length);
    return view;
  }

  value(): Uint8Array {
    invariant(this.valid(), 'MemTableIterator.value on an invalid iterator');
    const keys = this.#keys;
    const arena = this.#arena;
    if (keys !== undefined) return arena.bytes.subarray(keys.valueStarts[this.#at], keys.valueEnds[this.#at]);
    const node = this.#run[this.#at]!;
    return arena.bytes.subarray(arena.keyEnd(node), arena.valueEnd(node));
  }

  close(): void {
    this.#at = -1;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    onClose?.();
  }

  /** Counts node reads in place; switches to the run's key copy once run-keys.ts builds it. */
  #countReads(reads: number): void {
    if (!this.#copyKeys) return;
    this.#reads += reads;
    if (this.#reads < REPORT_READS) return;
    this.#keys = noteReadsInPlace(this.#arena, this.#run, this.#reads);
    this.#reads = 0;
  }
}
