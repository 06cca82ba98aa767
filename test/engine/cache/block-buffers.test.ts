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
import { InvariantError } from '../../../engine/util/invariant.js';
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
  return new Block(blockBytes(memory.take(size)), 'f.sst', offset);
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

  it('gives a block over the largest slot a buffer of its own', () => {
    const memory = new BlockBuffers(1 << 20, 1 << 20);
    const large = memory.take(ARENA_MAX_SLOT_BYTES + 1);
    expect(inArena(large)).toBe(false);
    expect(large.byteOffset).toBe(0);
    expect(memory.arenaBytes).toBe(0);
  });

  it('frees the slot of a block a scan used only once no scan is open', () => {
    const memory = new BlockBuffers(0, 1 << 20);
    memory.trackScans();
    memory.scanOpened();
    memory.scanOpened();
    const scanned = memory.take(4096);
    const pointOnly = memory.take(4096);
    memory.give(scanned, true);
    memory.give(pointOnly);
    expect(memory.bytes).toBe(8192); // both held, one of them waiting
    expect(memory.take(4096).byteOffset).toBe(pointOnly.byteOffset);
    // The scanned slot is not handed out while a scan is open, and not poisoned yet.
    const fresh = memory.take(4096);
    expect(fresh.byteOffset).toBe(2 * 4096);
    memory.scanClosed();
    expect(memory.take(4096).byteOffset).toBe(3 * 4096);
    memory.scanClosed(); // the last one: the slot is free
    const reused = memory.take(4096);
    expect(reused.byteOffset).toBe(scanned.byteOffset);
    expect(reused.every((x) => x === 0xa5)).toBe(true);
    expect(() => memory.scanClosed()).toThrow(InvariantError);
    expect(() => memory.scanClosed()).toThrow(/BlockBuffers.scanClosed: no scan is open/);
    // With no scan open, a scanned block's slot is free at once.
    memory.give(reused, true);
    expect(memory.take(4096).byteOffset).toBe(scanned.byteOffset);
  });

  it("never reuses a scanned block's slot when its owner does not report scans", () => {
    const memory = new BlockBuffers(1 << 20, 1 << 20);
    const scanned = memory.take(4096);
    memory.give(scanned, true);
    expect(memory.bytes).toBe(4096);
    expect(memory.take(4096).byteOffset).not.toBe(scanned.byteOffset);
    // Nor the buffer of its own of a scanned block.
    const own = new BlockBuffers(1 << 20).take(4096);
    const buffers = new BlockBuffers(1 << 20);
    buffers.give(own, true);
    expect(buffers.bytes).toBe(0);
  });
});

beforeAll(async () => {
  await initHashing();
});

describe('BlockCache arena with a table', () => {
  it('keeps the slots of blocks an iterator saw until the scans end, then reuses them', () => {
    const fs = new MemoryFileSystem();
    const value = 'v'.repeat(200);
    const entries = sortEntries(
      Array.from({ length: 400 }, (_, i) => put(`key${String(i).padStart(5, '0')}`, i + 1, `${value}${i}`)),
    );
    writeTable(fs, '/000009.sst', entries, { compression: 'none' });
    // About 90 KiB of blocks over a cache (and arena) of 48 KiB.
    const cache = new BlockCache(48 * 1024);
    cache.buffers.trackScans();
    const table = Table.open(fs.openRandomAccess('/000009.sst'), 9, cache);
    const getAll = (): void => {
      for (const e of entries) {
        expect(
          bytesEqual(table.get(e.userKey, MAX_SEQUENCE, bloomHash(e.userKey)) as Uint8Array, e.value),
        ).toBe(true);
      }
    };
    cache.buffers.scanOpened();
    const it = table.iterator();
    let n = 0;
    for (it.seekToFirst(); it.valid(); it.next())
      expect(bytesEqual(it.value(), entries[n++]!.value)).toBe(true);
    expect(n).toBe(entries.length);
    expect(cache.buffers.arenaBytes).toBe(48 * 1024);
    // Every block the scan brought in is scanned: evicted while it is open, none is reused,
    // and with the arena spent the point reads' blocks get buffers of their own.
    cache.evictFile(9);
    const held = cache.buffers.waitingBytes;
    expect(held).toBeGreaterThan(40 * 1024);
    getAll();
    expect(cache.buffers.waitingBytes).toBe(held);
    expect(cache.buffers.arenaBytes).toBe(48 * 1024);
    cache.evictFile(9);
    // Once the scan ends, point reads take those slots.
    it.close();
    cache.buffers.scanClosed();
    expect(cache.buffers.waitingBytes).toBe(0);
    const reusedBefore = cache.buffers.reused;
    getAll();
    expect(cache.buffers.reused - reusedBefore).toBeGreaterThanOrEqual(Math.floor(held / 4608));
    expect(cache.buffers.arenaBytes).toBe(48 * 1024);
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
