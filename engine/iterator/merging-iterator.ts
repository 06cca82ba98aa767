/**
 * Merges sorted child iterators into one sorted stream (internal-key order), in both
 * directions. Internal keys are unique across children (every entry has its own sequence
 * number), so there are no ties to break.
 *
 * Direction switches follow LevelDB: when turning around, every child but the current one
 * is re-positioned relative to the current key, since a child positioned for one direction
 * says nothing about its neighbour in the other.
 *
 * A linear scan picks the smallest child: with the handful of children a read has (memtables,
 * a few level-0 files, one iterator per deeper level) it beats a heap's bookkeeping.
 */
import { compareInternalRanges } from '../version/internal-key.js';
import type { InternalIterator } from './internal-iterator.js';

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return compareInternalRanges(a, 0, a.length, b, 0, b.length);
}

export class MergingIterator implements InternalIterator {
  readonly #children: InternalIterator[];
  #current: InternalIterator | undefined;
  #forward = true;

  constructor(children: InternalIterator[]) {
    this.#children = children;
  }

  valid(): boolean {
    return this.#current !== undefined;
  }

  seekToFirst(): void {
    for (const c of this.#children) c.seekToFirst();
    this.#forward = true;
    this.#findSmallest();
  }

  seekToLast(): void {
    for (const c of this.#children) c.seekToLast();
    this.#forward = false;
    this.#findLargest();
  }

  seek(target: Uint8Array): void {
    for (const c of this.#children) c.seek(target);
    this.#forward = true;
    this.#findSmallest();
  }

  seekForPrev(target: Uint8Array): void {
    for (const c of this.#children) c.seekForPrev(target);
    this.#forward = false;
    this.#findLargest();
  }

  next(): void {
    const current = this.#current!;
    if (!this.#forward) {
      const key = current.key().slice();
      for (const c of this.#children) {
        if (c === current) continue;
        c.seek(key);
        if (c.valid() && compareKeys(c.key(), key) === 0) c.next();
      }
      this.#forward = true;
    }
    current.next();
    this.#findSmallest();
  }

  prev(): void {
    const current = this.#current!;
    if (this.#forward) {
      const key = current.key().slice();
      for (const c of this.#children) {
        if (c === current) continue;
        c.seekForPrev(key);
        if (c.valid() && compareKeys(c.key(), key) === 0) c.prev();
      }
      this.#forward = false;
    }
    current.prev();
    this.#findLargest();
  }

  key(): Uint8Array {
    return this.#current!.key();
  }

  value(): Uint8Array {
    return this.#current!.value();
  }

  close(): void {
    for (const c of this.#children) c.close();
    this.#current = undefined;
  }

  #findSmallest(): void {
    let best: InternalIterator | undefined;
    let bestKey: Uint8Array | undefined;
    const children = this.#children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i]!;
      if (!c.valid()) continue;
      const k = c.key();
      if (bestKey === undefined || compareKeys(k, bestKey) < 0) {
        best = c;
        bestKey = k;
      }
    }
    this.#current = best;
  }

  #findLargest(): void {
    let best: InternalIterator | undefined;
    let bestKey: Uint8Array | undefined;
    const children = this.#children;
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i]!;
      if (!c.valid()) continue;
      const k = c.key();
      if (bestKey === undefined || compareKeys(k, bestKey) > 0) {
        best = c;
        bestKey = k;
      }
    }
    this.#current = best;
  }
}
