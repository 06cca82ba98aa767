/**
 * Memory for the data blocks the block cache takes in, reused from the blocks it evicts.
 *
 * Why: a block the cache takes in needs memory of its own (the decompressed contents, or a
 * copy of a block a flush handed over), and allocating an ArrayBuffer outside V8's heap
 * costs microseconds: a profile of readrandom on 10M keys put those allocations, and the
 * collections their garbage brought, at a tenth of the time. Once the cache is full, every
 * block it takes in evicts about one block of about the same size, so the evicted block's
 * memory can hold the next one. RocksDB leaves this to its allocator; here the pool is
 * that allocator's free list.
 *
 * Safety: memory is reused only where no reader can still see it. Point reads use a block
 * synchronously and copy the value out, so a block only they have used is reused once the
 * cache lets go of it. An iterator keeps its block (and views of its values) across calls,
 * for as long as it likes: Table.dataBlock marks every block it hands out as not
 * recyclable, and such a block is left to the garbage collector as before. With
 * STATEFN_POISON_RECYCLED_BLOCKS=1 in the environment (the test suite sets it) a block's
 * memory is overwritten when it comes back here, so a reader that kept a view of it would
 * read bytes that fail their checks or differ from the model's, instead of passing by luck.
 *
 * Memory is kept in size classes (multiples of CLASS_BYTES), so a block of a slightly
 * different size can reuse it; the cache charges a block by its memory's size. The free
 * memory held here is bounded (limitBytes): what does not fit is left to the collector.
 */

/** Granularity of the size classes: blocks of a table differ in size by some bytes. */
const CLASS_BYTES = 256;
/** The byte written over a recycled block's memory when poisoning is on. */
const POISON = 0xa5;

const poisonOnRecycle = process.env['STATEFN_POISON_RECYCLED_BLOCKS'] === '1';

/** Free block memory by size class, bounded in bytes. */
export class BlockBuffers {
  readonly #limit: number;
  readonly #free = new Map<number, ArrayBuffer[]>();
  #bytes = 0;
  /** Takes that reused memory (stats and tests). */
  reused = 0;

  /** @param limitBytes most free memory held; 0 recycles nothing. */
  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** Free memory held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * `size` bytes of uninitialized memory, over an ArrayBuffer of its own of `size` rounded up
   * to the size class (the caller writes every byte before reading any).
   */
  take(size: number): Uint8Array {
    const capacity = classOf(size);
    const list = this.#free.get(capacity);
    const buffer = list?.pop();
    if (buffer !== undefined) {
      this.#bytes -= capacity;
      this.reused++;
      return new Uint8Array(buffer, 0, size);
    }
    const fresh = Buffer.allocUnsafeSlow(capacity);
    return new Uint8Array(fresh.buffer, fresh.byteOffset, size);
  }

  /**
   * Takes back `data`'s memory, which came from take() and which nothing will read again;
   * kept for a later take() while the free memory stays within the limit.
   */
  give(data: Uint8Array): void {
    const buffer = data.buffer as ArrayBuffer;
    const capacity = buffer.byteLength;
    if (data.byteOffset !== 0 || capacity !== classOf(data.length)) return;
    if (this.#bytes + capacity > this.#limit) return;
    if (poisonOnRecycle) new Uint8Array(buffer).fill(POISON);
    let list = this.#free.get(capacity);
    if (list === undefined) {
      list = [];
      this.#free.set(capacity, list);
    }
    list.push(buffer);
    this.#bytes += capacity;
  }
}

/** The size class of a `size`-byte block: its memory's size. */
function classOf(size: number): number {
  return Math.max(CLASS_BYTES, Math.ceil(size / CLASS_BYTES) * CLASS_BYTES);
}
