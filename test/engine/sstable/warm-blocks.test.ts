import { describe, expect, it } from 'vitest';
import { BlockBuffers } from '../../../engine/cache/block-buffers.js';
import {
  WarmBlocksCollector,
  warmBlockContents,
  warmTransferList,
} from '../../../engine/sstable/warm-blocks.js';

const block = (length: number, fill: number): Uint8Array => new Uint8Array(length).fill(fill);
/** Hands out fresh memory only: these tests are about the chunks. */
const memory = new BlockBuffers(0);

describe('WarmBlocksCollector', () => {
  it('keeps blocks in order while they fit the budget, and none after the first that does not', () => {
    const c = new WarmBlocksCollector(7, 10_000);
    c.add(block(4000, 1), 0);
    c.add(block(4000, 2), 4005);
    c.add(block(4000, 3), 8010); // over the budget: dropped, and so is every later block
    c.add(block(10, 4), 12015);
    const warm = c.result()!;
    expect(warm.fileNumber).toBe(7);
    expect(warm.offsets).toEqual([0, 4005]);
    expect(warmBlockContents(warm, 0, memory)).toEqual(block(4000, 1));
    expect(warmBlockContents(warm, 1, memory)).toEqual(block(4000, 2));
  });

  it('copies what it is given, and hands out copies of its own', () => {
    const c = new WarmBlocksCollector(1, 1 << 20);
    const source = block(100, 9);
    c.add(source, 0);
    source.fill(0);
    const warm = c.result()!;
    const first = warmBlockContents(warm, 0, memory);
    expect(first).toEqual(block(100, 9));
    first.fill(5);
    expect(warmBlockContents(warm, 0, memory)).toEqual(block(100, 9));
    expect(first.byteOffset).toBe(0);
    // Its own ArrayBuffer, of the block memory's size class.
    expect(first.buffer.byteLength).toBe(256);
  });

  it('packs blocks into 1 MiB chunks without splitting one, and gives a larger block a chunk of its own', () => {
    const c = new WarmBlocksCollector(1, 8 << 20);
    const sizes = [600_000, 600_000, 300_000, 2_000_000, 10];
    sizes.forEach((size, i) => c.add(block(size, i + 1), i * 10_000_000));
    const warm = c.result()!;
    expect(warm.chunkOf).toEqual([0, 1, 1, 2, 3]);
    // The last chunk is cut to the 10 bytes it holds.
    expect(warm.chunks.map((chunk) => chunk.length)).toEqual([1 << 20, 1 << 20, 2_000_000, 10]);
    // Buffer.equals: toEqual on megabytes compares element by element, for seconds.
    sizes.forEach((size, i) =>
      expect(Buffer.from(warmBlockContents(warm, i, memory)).equals(block(size, i + 1)), `block ${i}`).toBe(
        true,
      ),
    );
    // One ArrayBuffer per chunk, each a chunk's whole buffer, to move with the result.
    const moved = warmTransferList(warm);
    expect(moved).toHaveLength(4);
    expect(new Set(moved).size).toBe(4);
    moved.forEach((buffer, i) => expect(buffer.byteLength).toBe(warm.chunks[i]!.length));
  });

  it('takes chunks no larger than a budget under 1 MiB', () => {
    const c = new WarmBlocksCollector(1, 10_000);
    for (let i = 0; i < 3; i++) c.add(block(3000, i + 1), i * 3005);
    const warm = c.result()!;
    expect(warm.chunks.map((chunk) => chunk.length)).toEqual([9000]);
    expect(warm.starts).toEqual([0, 3000, 6000]);
  });

  it('has nothing to hand over when the budget is 0 or nothing fits', () => {
    expect(new WarmBlocksCollector(1, 0).result()).toBeUndefined();
    const c = new WarmBlocksCollector(1, 100);
    c.add(block(101, 1), 0);
    expect(c.result()).toBeUndefined();
    expect(warmTransferList(undefined)).toEqual([]);
  });
});
