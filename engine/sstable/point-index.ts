/**
 * A table's index block decoded for point reads (block-keys.ts says why): which data block
 * may hold an internal key, and where that block is. Nothing on disk changes; Table.get
 * builds one on its first call and keeps it while the table is open (iterators keep reading
 * the index block itself). Handles are decoded and checked once, here.
 */
import type { Block } from './block.js';
import { BlockKeys } from './block-keys.js';
import { BLOCK_TRAILER_BYTES, decodeBlockHandleInto } from './format.js';
import type { BlockHandle } from './format.js';

/**
 * Decodes the block handle in index.data[start, end) (an index entry's value) into `into`.
 * Throws the index block's CorruptionError for a handle that does not parse or that ends
 * past `dataEndOffset`.
 */
export function decodeIndexHandle(
  index: Block,
  start: number,
  end: number,
  dataEndOffset: number,
  into: BlockHandle,
): BlockHandle {
  if (!decodeBlockHandleInto(index.data, start, end, into)) {
    throw index.corruption('bad block handle in the index');
  }
  if (into.offset + into.size + BLOCK_TRAILER_BYTES > dataEndOffset) {
    throw index.corruption(`index points past the data blocks (offset ${into.offset})`);
  }
  return into;
}

/** The decoded index of one table; immutable. */
export class PointIndex {
  /** Number of data blocks. */
  readonly blockCount: number;
  readonly #keys: BlockKeys;
  readonly #offsets: Float64Array;
  readonly #sizes: Float64Array;

  private constructor(keys: BlockKeys, offsets: Float64Array, sizes: Float64Array) {
    this.blockCount = keys.count;
    this.#keys = keys;
    this.#offsets = offsets;
    this.#sizes = sizes;
  }

  /**
   * Decodes `index` (a table's index block). Throws the block's CorruptionError for an entry
   * that does not parse, a bad handle, or a handle that ends past `dataEndOffset`.
   */
  static decode(index: Block, dataEndOffset: number): PointIndex {
    const keys = BlockKeys.decode(index);
    const count = keys.count;
    const offsets = new Float64Array(count);
    const sizes = new Float64Array(count);
    const handle: BlockHandle = { offset: 0, size: 0 };
    for (let i = 0; i < count; i++) {
      decodeIndexHandle(index, keys.valueStart(i), keys.valueEnd(i), dataEndOffset, handle);
      offsets[i] = handle.offset;
      sizes[i] = handle.size;
    }
    return new PointIndex(keys, offsets, sizes);
  }

  /**
   * The first data block whose index key is >= the internal key target[start, end), or
   * blockCount if there is none (then no block holds a key >= target).
   */
  find(target: Uint8Array, start: number, end: number): number {
    return this.#keys.find(target, start, end);
  }

  /** File offset of data block `i`'s contents. */
  offsetOf(i: number): number {
    return this.#offsets[i]!;
  }

  /** Size of data block `i`'s stored contents (without the trailer). */
  sizeOf(i: number): number {
    return this.#sizes[i]!;
  }
}
