/**
 * A flush's data blocks on their way to the block cache (EngineOptions.prepopulateBlockCache).
 *
 * The flush worker copies each block's uncompressed bytes into chunks of CHUNK_BYTES, and the
 * chunks (not the blocks) move to the main thread with the job's result. The new table holds
 * them (Table.adoptWarm); a get that misses one of the blocks in the cache copies it out into
 * memory of its own and caches that, instead of reading, decompressing and checking it.
 *
 * Rejected: an ArrayBuffer per block, moved one by one. On 10M keys that made each flush a
 * third slower, and the flush worker sets the pace of sustained writes: allocating fifteen
 * thousand buffers per flush, and moving them, cost the worker more than the copy it saved.
 * Rejected: copying every block into the cache as the flush is installed. That costs the
 * main thread microseconds per block, most of a flush's blocks are not read before they are
 * evicted or compacted away when the data is larger than the cache, and in the benchmark
 * run that tried it, overwrite (whose main thread installs several flushes) fell below its
 * target. Also rejected: cached blocks that are views of the chunks. A chunk would live as
 * long as any one of its blocks stayed cached, memory the cache's accounting would not see.
 */

import type { BlockBuffers } from '../cache/block-buffers.js';

/** Bytes per chunk (or the budget, if smaller); a larger block gets a chunk of its own size. */
const CHUNK_BYTES = 1 << 20;

/** Data blocks 0 .. n - 1 of one table, as plain data for postMessage. */
export interface WarmBlocks {
  fileNumber: number;
  /** Block i's offset in the file. */
  offsets: number[];
  /** Block i is chunks[chunkOf[i]][starts[i], starts[i] + lengths[i]). */
  chunkOf: number[];
  starts: number[];
  lengths: number[];
  /** Each over an ArrayBuffer of its own, from its start. */
  chunks: Uint8Array[];
}

/** Collects the first blocks of a table, in order, while they fit in `budgetBytes`. */
export class WarmBlocksCollector {
  readonly #warm: WarmBlocks;
  readonly #chunkBytes: number;
  #left: number;
  #chunk: Uint8Array | undefined;
  #used = 0;

  constructor(fileNumber: number, budgetBytes: number) {
    this.#warm = { fileNumber, offsets: [], chunkOf: [], starts: [], lengths: [], chunks: [] };
    this.#left = budgetBytes;
    this.#chunkBytes = Math.min(CHUNK_BYTES, budgetBytes);
  }

  /** Block `contents` (copied here) at `offset`; once one does not fit, no later one is kept. */
  add(contents: Uint8Array, offset: number): void {
    const length = contents.length;
    if (length > this.#left) {
      this.#left = 0;
      return;
    }
    this.#left -= length;
    let chunk = this.#chunk;
    if (chunk === undefined || this.#used + length > chunk.length) {
      chunk = this.#chunk = new Uint8Array(Math.max(this.#chunkBytes, length));
      this.#used = 0;
      this.#warm.chunks.push(chunk);
    }
    chunk.set(contents, this.#used);
    const warm = this.#warm;
    warm.offsets.push(offset);
    warm.chunkOf.push(warm.chunks.length - 1);
    warm.starts.push(this.#used);
    warm.lengths.push(length);
    this.#used += length;
  }

  /** What was kept, or undefined if nothing was; the last chunk is cut to what it holds. */
  result(): WarmBlocks | undefined {
    const warm = this.#warm;
    if (warm.offsets.length === 0) return undefined;
    const chunks = warm.chunks;
    const last = chunks[chunks.length - 1]!;
    if (this.#used < last.length) chunks[chunks.length - 1] = last.slice(0, this.#used);
    return warm;
  }
}

/** The ArrayBuffers to move with a result that carries `warm`. */
export function warmTransferList(warm: WarmBlocks | undefined): ArrayBuffer[] {
  return warm === undefined ? [] : warm.chunks.map((c) => c.buffer as ArrayBuffer);
}

/** Block i's bytes, copied into memory from `memory`. */
export function warmBlockContents(warm: WarmBlocks, i: number, memory: BlockBuffers): Uint8Array {
  const start = warm.starts[i]!;
  const length = warm.lengths[i]!;
  const out = memory.take(length);
  out.set(warm.chunks[warm.chunkOf[i]!]!.subarray(start, start + length));
  return out;
}

/** The memory `warm` holds: its chunks' bytes. */
export function warmChunkBytes(warm: WarmBlocks): number {
  let bytes = 0;
  for (const chunk of warm.chunks) bytes += chunk.length;
  return bytes;
}
