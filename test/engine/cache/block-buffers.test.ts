import { describe, expect, it } from 'vitest';
import { BlockBuffers } from '../../../engine/cache/block-buffers.js';
import { BlockCache } from '../../../engine/cache/block-cache.js';
import { Block } from '../../../engine/sstable/block.js';

/** A block of `size` bytes in `memory`'s memory: zeros, then one restart point (0) and its count. */
function blockIn(memory: BlockBuffers, size: number, offset = 0): Block {
  const data = memory.take(size);
  data.fill(0);
  data[size - 4] = 1;
  return new Block(data, 'f.sst', offset);
}

describe('BlockBuffers', () => {
  it('hands out memory of the size asked for, over a buffer of its own rounded up to 256 bytes', () => {
    const memory = new BlockBuffers(1 << 20);
    for (const [size, capacity] of [
      [1, 256],
      [256, 256],
      [4097, 4352],
    ] as const) {
      const data = memory.take(size);
      expect(data.length).toBe(size);
      expect(data.byteOffset).toBe(0);
      expect(data.buffer.byteLength).toBe(capacity);
    }
  });

  it('reuses memory given back for a later block of the same size class, and poisons it in tests', () => {
    const memory = new BlockBuffers(1 << 20);
    const first = memory.take(4100);
    first.fill(1);
    memory.give(first);
    expect(memory.bytes).toBe(4352);
    const second = memory.take(4300);
    expect(second.buffer).toBe(first.buffer);
    expect(memory.reused).toBe(1);
    expect(memory.bytes).toBe(0);
    // vitest.config.ts turns poisoning on, so the property tests catch a reader of reused memory.
    expect(process.env['STATEFN_POISON_RECYCLED_BLOCKS']).toBe('1');
    expect(second.every((b) => b === 0xa5)).toBe(true);
    // Another size class does not take it.
    memory.give(second);
    expect(memory.take(100).buffer).not.toBe(first.buffer);
  });

  it('keeps no more free memory than its limit, and nothing that did not come from take', () => {
    const memory = new BlockBuffers(600);
    const a = memory.take(256);
    const b = memory.take(256);
    const c = memory.take(256);
    memory.give(a);
    memory.give(b);
    memory.give(c); // over the limit: left to the garbage collector
    expect(memory.bytes).toBe(512);
    memory.give(new Uint8Array(1000).subarray(8, 264)); // a view into other memory
    memory.give(new Uint8Array(300)); // not of a size class
    expect(memory.bytes).toBe(512);
    expect(new BlockBuffers(0).bytes).toBe(0);
  });
});

describe('BlockCache recycling', () => {
  it('gives the memory of an evicted recyclable block to the next block, not that of others', () => {
    const cache = new BlockCache(3000, 1 << 20);
    const charge = blockIn(cache.buffers, 1000).chargeBytes; // 1024 + 96
    expect(charge).toBe(1120);
    const kept = blockIn(cache.buffers, 1000);
    const recyclable = blockIn(cache.buffers, 1000, 1);
    recyclable.recyclable = true;
    cache.insert(1, 0, kept); // not recyclable (an iterator had it)
    cache.insert(1, 1, recyclable);
    cache.insert(1, 2, blockIn(cache.buffers, 1000, 2)); // evicts `kept`: its memory stays its own
    expect(cache.buffers.bytes).toBe(0);
    expect(cache.get(1, 0)).toBeUndefined();
    cache.insert(1, 3, blockIn(cache.buffers, 1000, 3)); // evicts `recyclable`
    expect(cache.get(1, 1)).toBeUndefined();
    expect(cache.buffers.bytes).toBe(1024);
    expect(cache.buffers.take(1000).buffer).toBe(recyclable.data.buffer);
    expect(cache.stats().recycled).toBe(1);
  });

  it('recycles a replaced block and the blocks of an evicted file, but not a block inserted again', () => {
    const cache = new BlockCache(1 << 20, 1 << 20);
    const block = blockIn(cache.buffers, 500);
    block.recyclable = true;
    cache.insert(1, 0, block);
    cache.insert(1, 0, block); // Table.get does this to charge decoded keys: the block stays in use
    expect(cache.buffers.bytes).toBe(0);
    expect(block.data.subarray(0, 496).every((b) => b === 0)).toBe(true);
    const replacement = blockIn(cache.buffers, 500);
    cache.insert(1, 0, replacement);
    expect(cache.buffers.bytes).toBe(512);
    replacement.recyclable = true;
    cache.evictFile(1);
    expect(cache.buffers.bytes).toBe(1024);
  });

  it('does not recycle a block evicted by its own insertion: the caller still uses it', () => {
    const cache = new BlockCache(1000, 1 << 20);
    const huge = blockIn(cache.buffers, 1000);
    huge.recyclable = true;
    cache.insert(1, 0, huge); // charged more than the capacity: evicted at once
    expect(cache.get(1, 0)).toBeUndefined();
    expect(cache.buffers.bytes).toBe(0);
    expect(huge.data.subarray(0, 996).every((b) => b === 0)).toBe(true);
  });
});
