import { beforeAll, describe, expect, it } from 'vitest';
import {
  ARENA_CHUNK_BYTES,
  ARENA_MAX_SLOT_BYTES,
  BlockBuffers,
  inArena,
  memoryOf,
} from '../../../engine/cache/block-buffers.js';
import { BlockCache } from '../../../engine/cache/block-cache.js';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { Block } from '../../../engine/sstable/block.js';
import { Table } from '../../../engine/sstable/table.js';
import { bytesEqual } from '../../../engine/util/bytes.js';
import { bloomHash, initHashing } from '../../../engine/util/checksum.js';
import { MAX_SEQUENCE } from '../../../engine/version/internal-key.js';
import { put, sortEntries, writeTable } from '../sstable/table-fixtures.js';

/** `data`, zeroed, then one restart point (0) and its count: the bytes of an empty block. */
function blockBytes(data: Uint8Array): Uint8Array {
  data.fill(0);
  data[data.length - 4] = 1;
  return data;
}

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

describe('BlockBuffers arena', () => {
  it('hands out slots of one chunk, a size class apart, charged by their class', () => {
    const memory = new BlockBuffers(0, 1 << 20);
    const a = memory.take(4100);
    const b = memory.take(100);
    const c = memory.take(4352);
    expect([a, b, c].every(inArena)).toBe(true);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).toBe(a.buffer);
    expect([a.byteOffset, b.byteOffset, c.byteOffset]).toEqual([0, 4352, 4352 + 256]);
    expect([a.length, b.length, c.length]).toEqual([4100, 100, 4352]);
    expect(a.buffer.byteLength).toBe(1 << 20); // the whole budget, in one chunk
    expect(memory.arenaBytes).toBe(1 << 20);
    expect(memoryOf(a)).toBe(4352);
    expect(new Block(blockBytes(a), 'f.sst', 0).chargeBytes).toBe(4352 + 96);
  });

  it('gives a slot back to the next take of its class, poisoned, and not to another class', () => {
    const memory = new BlockBuffers(0, 1 << 20);
    const first = memory.take(4100);
    first.fill(1);
    const other = memory.take(4100);
    memory.give(first);
    expect(memory.bytes).toBe(4352);
    const smaller = memory.take(300); // class 512: a new slot
    expect(smaller.byteOffset).toBe(2 * 4352);
    const second = memory.take(4200);
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset);
    expect(second.every((x) => x === 0xa5)).toBe(true);
    expect(memory.reused).toBe(1);
    expect(memory.bytes).toBe(0);
    expect(other.byteOffset).toBe(4352);
  });

  it('reserves chunks of at most ARENA_CHUNK_BYTES as slots are taken, then gives buffers of their own', () => {
    const memory = new BlockBuffers(0, 10 * 1024);
    expect(memory.arenaBytes).toBe(0); // nothing reserved before the first take
    const slots = [memory.take(4096), memory.take(4096)];
    expect(slots.every(inArena)).toBe(true);
    const beyond = memory.take(4096); // 12 KiB would pass the 10 KiB budget
    expect(inArena(beyond)).toBe(false);
    expect(beyond.buffer.byteLength).toBe(4096);
    expect(memory.arenaBytes).toBe(10 * 1024);
    // Its smaller classes still fit the chunk's rest.
    expect(inArena(memory.take(1024))).toBe(true);
    expect(ARENA_CHUNK_BYTES).toBe(64 * 1024 * 1024);
  });

  it('gives a block an iterator may keep, or a block over the largest slot, a buffer of its own', () => {
    const memory = new BlockBuffers(1 << 20, 1 << 20);
    const scan = memory.take(4096, false);
    expect(inArena(scan)).toBe(false);
    expect(scan.byteOffset).toBe(0);
    const large = memory.take(ARENA_MAX_SLOT_BYTES + 1);
    expect(inArena(large)).toBe(false);
    expect(memory.arenaBytes).toBe(0);
    // A buffer of its own goes back to the buffers, not the arena's slots.
    memory.give(scan);
    expect(memory.take(4096, true).buffer).not.toBe(scan.buffer);
    expect(memory.take(4096, false).buffer).toBe(scan.buffer);
  });
});

beforeAll(async () => {
  await initHashing();
});

describe('BlockCache arena with a table', () => {
  it('swaps a cached arena block an iterator reaches for a copy, and frees its slot', () => {
    const fs = new MemoryFileSystem();
    const value = 'v'.repeat(200);
    const entries = sortEntries(
      Array.from({ length: 400 }, (_, i) => put(`key${String(i).padStart(5, '0')}`, i + 1, `${value}${i}`)),
    );
    writeTable(fs, '/000009.sst', entries, { compression: 'none' });
    const cache = new BlockCache(1 << 20);
    const table = Table.open(fs.openRandomAccess('/000009.sst'), 9, cache);
    // Point reads bring every block in, into arena slots.
    for (const e of entries) {
      expect(
        bytesEqual(table.get(e.userKey, MAX_SEQUENCE, bloomHash(e.userKey)) as Uint8Array, e.value),
      ).toBe(true);
    }
    const blocks = cache.stats().blocks;
    expect(blocks).toBeGreaterThan(10);
    expect(cache.buffers.bytes).toBe(0);
    // A scan reaches each of them: each is swapped for a copy of its own, its slot freed.
    const it = table.iterator();
    let n = 0;
    for (it.seekToFirst(); it.valid(); it.next())
      expect(bytesEqual(it.value(), entries[n++]!.value)).toBe(true);
    it.close();
    expect(n).toBe(entries.length);
    expect(cache.stats().blocks).toBe(blocks);
    expect(cache.buffers.bytes).toBeGreaterThanOrEqual(blocks * 4096);
    const freed = cache.buffers.bytes;
    // The cached copies are no arena slots, and evicting them frees no slot: an iterator may hold them.
    cache.evictFile(9);
    expect(cache.buffers.bytes).toBe(freed);
    // Point reads now reuse the freed slots.
    const reusedBefore = cache.buffers.reused;
    for (const e of entries) table.get(e.userKey, MAX_SEQUENCE, bloomHash(e.userKey));
    expect(cache.buffers.reused - reusedBefore).toBe(blocks);
    table.close();
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
