/**
 * The engine-wide cache of decoded data blocks, keyed by (file number, block offset) and
 * charged by block size.
 *
 * Lookups sit on the read path of every get and scan step, so a key builds no composite
 * key: each file has its own shelf (FileBlocks) of blocks by offset, and all blocks share one
 * list, so capacity is global. A hit only marks its block, which eviction then passes over
 * once (CLOCK, LruList's secondChance): relinking it, as a strict LRU does, would cost a
 * get cache misses of its own. The per-file shelves also make evictFile (when a table file
 * is deleted) proportional to that file's cached blocks.
 *
 * A table holds its own shelf, so a lookup skips the map of files. Point reads, which know
 * the block's number from the table's decoded index, look in an array by block number
 * before the map by offset: one indexed load instead of a hash lookup, each a cache miss in
 * a get of a random key. Eviction clears a block's slot in both.
 *
 * The memory of an evicted block goes back to `buffers` (an arena slot, or a buffer of its
 * own), for the next block the cache takes in: at once if only point reads used it, once no
 * iterator is open if one did (block-buffers.ts says why that is safe).
 *
 * File numbers are unique only within one engine directory, so a BlockCache must not be
 * shared by engines on different directories: their blocks would collide.
 */
import type { Block } from '../sstable/block.js';
import { BlockBuffers } from './block-buffers.js';
import { checkCapacity, LruList } from './lru-cache.js';
import type { LruLinks } from './lru-cache.js';

class BlockNode implements LruLinks<BlockNode> {
  prev: BlockNode | null = null;
  next: BlockNode | null = null;
  readonly shelf: FileBlocks;
  readonly offset: number;
  /** The block's number in its table, once a point read has named it; -1 before. */
  number = -1;
  readonly block: Block;
  readonly charge: number;

  constructor(shelf: FileBlocks, offset: number, block: Block) {
    this.shelf = shelf;
    this.offset = offset;
    this.block = block;
    this.charge = block.chargeBytes;
  }

  /** Kept on the block (Block.cacheMark), so that a hit by number need not read the node. */
  get referenced(): boolean {
    return this.block.cacheMark;
  }

  set referenced(marked: boolean) {
    this.block.cacheMark = marked;
  }
}

/**
 * The cached blocks of one table file. A table keeps the shelf it was given; once the cache
 * lets go of it (evictFile), `detached` is set, and a holder asks the cache for the file's
 * shelf again.
 */
export class FileBlocks {
  readonly fileNumber: number;
  readonly byOffset = new Map<number, BlockNode>();
  /**
   * Cached blocks by block number, for point reads; made by the first of them. Blocks, not
   * their nodes: a hit by number then reads one object fewer (each a cache miss in a get of
   * a random key), and marks the block itself (Block.cacheMark).
   */
  byNumber: (Block | undefined)[] | undefined;
  detached = false;

  constructor(fileNumber: number) {
    this.fileNumber = fileNumber;
  }

  /** Makes room for point reads to find blocks 0 .. count - 1 by number. */
  reserveNumbers(count: number): void {
    if (this.byNumber !== undefined && this.byNumber.length >= count) return;
    // Filled, so the array stays packed (holes would make V8 keep it as a dictionary).
    const slots = new Array<Block | undefined>(count).fill(undefined);
    for (const node of this.byOffset.values())
      if (node.number >= 0 && node.number < count) slots[node.number] = node.block;
    this.byNumber = slots;
  }

  /** Records `node` as block number `number`, where there is room for it (reserveNumbers). */
  place(node: BlockNode, number: number): void {
    const slots = this.byNumber;
    if (number < 0 || slots === undefined || number >= slots.length) return;
    node.number = number;
    slots[number] = node.block;
  }
}

/**
 * One table's record of the point-read misses a full cache refused (BlockCache.admit). The
 * table holds it, so it lives as long as the open table, and the table cache bounds those.
 */
export class MissMarks {
  readonly blockCount: number;
  /**
   * By block number, 1 + the admission epoch of the block's last refused miss, 0 for none;
   * made at the table's first refusal.
   */
  epochs: Uint32Array | undefined;

  constructor(blockCount: number) {
    this.blockCount = blockCount;
  }
}

/** Counters and occupancy of a block cache. */
export interface BlockCacheStats {
  hits: number;
  misses: number;
  /** Total charge of the cached blocks. */
  bytes: number;
  capacityBytes: number;
  /** Number of cached blocks. */
  blocks: number;
  /** Point-read misses whose block the cache did not take (see BlockCache.admit). */
  notAdmitted: number;
  /** Point-read misses whose block a flush had handed over, so no file was read (Table.adoptWarm). */
  prepopulated: number;
  /** Blocks brought in whose memory was that of an evicted block (block-buffers.ts). */
  recycled: number;
}

/**
 * Free block memory kept for reuse: this share of the capacity, but at least MIN_FREE_BYTES
 * (a few blocks, for small caches) and at most MAX_FREE_BYTES.
 */
const FREE_SHARE = 16;
const MIN_FREE_BYTES = 64 * 1024;
const MAX_FREE_BYTES = 8 * 1024 * 1024;

/** Decoded data blocks of every table of one engine, bounded in bytes. */
export class BlockCache {
  readonly #files = new Map<number, FileBlocks>();
  readonly #list: LruList<BlockNode>;
  #hits = 0;
  #misses = 0;
  #notAdmitted = 0;
  #prepopulated = 0;
  /** Admission epochs: one passes every time a full cache's worth of blocks were refused. */
  #epoch = 0;
  #refusedThisEpoch = 0;
  /** The node insertInto is adding: its block is the caller's to use even if evicted at once. */
  #inserting: BlockNode | undefined;
  /** Memory of evicted blocks, for the blocks point reads bring in (Table.get). */
  readonly buffers: BlockBuffers;

  /**
   * @param capacityBytes most total block bytes kept; 0 caches nothing.
   * @param freeBytes most memory of evicted blocks kept for reuse in buffers of their own
   *   (default: a sixteenth of the capacity, from 64 KiB to 8 MiB); the arena, which cached
   *   blocks take slots of, holds up to the capacity besides (block-buffers.ts).
   */
  constructor(
    capacityBytes: number,
    freeBytes = Math.min(MAX_FREE_BYTES, Math.max(MIN_FREE_BYTES, Math.floor(capacityBytes / FREE_SHARE))),
  ) {
    checkCapacity('BlockCache', 'capacityBytes', capacityBytes);
    this.#list = new LruList(
      capacityBytes,
      (node) => {
        this.#unshelve(node);
        this.#recycle(node);
      },
      true,
    );
    // The arena holds at most what the cache does: its blocks are the cache's.
    this.buffers = new BlockBuffers(freeBytes, capacityBytes);
  }

  /**
   * The shelf of file `fileNumber`, made if it has none. A holder must ask again once the
   * shelf is `detached`.
   */
  shelf(fileNumber: number): FileBlocks {
    let shelf = this.#files.get(fileNumber);
    if (shelf === undefined) {
      shelf = new FileBlocks(fileNumber);
      this.#files.set(fileNumber, shelf);
    }
    return shelf;
  }

  /** The cached block of file `fileNumber` at `offset` (marked as used), or undefined. */
  get(fileNumber: number, offset: number): Block | undefined {
    const shelf = this.#files.get(fileNumber);
    if (shelf === undefined) {
      this.#misses++;
      return undefined;
    }
    return this.getFrom(shelf, offset);
  }

  /** get() on a shelf from shelf(). */
  getFrom(shelf: FileBlocks, offset: number): Block | undefined {
    const node = shelf.byOffset.get(offset);
    if (node === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#list.touch(node);
    return node.block;
  }

  /**
   * The cached block number `number` at `offset` of a shelf's file (marked as used),
   * or undefined. Later point reads of that block find it by number, once the shelf has
   * room (FileBlocks.reserveNumbers).
   */
  getNumbered(shelf: FileBlocks, number: number, offset: number): Block | undefined {
    const block = shelf.byNumber?.[number];
    if (block !== undefined) {
      this.#hits++;
      block.cacheMark = true; // LruList.touch, without reading the node
      return block;
    }
    const node = shelf.byOffset.get(offset);
    if (node === undefined) {
      this.#misses++;
      return undefined;
    }
    shelf.place(node, number);
    this.#hits++;
    this.#list.touch(node);
    return node.block;
  }

  /**
   * Whether a point read that missed block `number` of a table (whose refused misses
   * `missed` records), stored in `storedBytes`, should read it into the cache; if not, it
   * reads the block for itself alone (Table.get), which allocates nothing that outlives it.
   *
   * While the cache has room it takes every block. Once full, taking a block means evicting
   * one, and when the data is many times the cache, random point reads would replace nearly
   * every block before it is read again: each miss paid for a block's memory (a few
   * microseconds to allocate a buffer, then garbage) to gain no hit. So a full cache takes a
   * block only on its second miss within about two cache lifetimes (epochs of a cache's
   * worth of refusals), as the doorkeeper of TinyLFU admits only keys seen before. Reads
   * that come back to a block are still cached; for uniform random reads the hit rate stays
   * the cache's share of the data, whichever blocks it holds.
   */
  admit(missed: MissMarks, number: number, storedBytes: number): boolean {
    const list = this.#list;
    if (list.bytes + storedBytes <= list.capacity || number >= missed.blockCount) return true;
    const epochs = (missed.epochs ??= new Uint32Array(missed.blockCount));
    const mark = epochs[number]!;
    if (mark !== 0 && this.#epoch + 1 - mark <= 1) {
      epochs[number] = 0;
      return true;
    }
    epochs[number] = this.#epoch + 1;
    this.#notAdmitted++;
    if (++this.#refusedThisEpoch >= list.count) {
      this.#epoch++;
      this.#refusedThisEpoch = 0;
    }
    return false;
  }

  /** Caches `block` as the block of file `fileNumber` at `offset`, replacing any previous one. */
  insert(fileNumber: number, offset: number, block: Block): void {
    this.insertInto(this.shelf(fileNumber), offset, block);
  }

  /**
   * insert() on a shelf from shelf(); `number` is the block's number in its table when the
   * caller knows it (a point read), or -1.
   */
  insertInto(shelf: FileBlocks, offset: number, block: Block, number = -1): void {
    if (shelf.detached) shelf = this.shelf(shelf.fileNumber);
    const old = shelf.byOffset.get(offset);
    if (old !== undefined) {
      this.#list.remove(old);
      this.#unshelve(old);
      // The same block comes back when Table.get attaches its decoded keys.
      if (old.block !== block) this.#recycle(old);
    }
    const node = new BlockNode(shelf, offset, block);
    shelf.byOffset.set(offset, node);
    shelf.place(node, number);
    this.#inserting = node;
    try {
      this.#list.add(node);
    } finally {
      this.#inserting = undefined;
    }
  }

  /** Drops every cached block of a file (call when the file is deleted). */
  evictFile(fileNumber: number): void {
    const shelf = this.#files.get(fileNumber);
    if (shelf === undefined) return;
    for (const node of shelf.byOffset.values()) {
      this.#list.remove(node);
      this.#recycle(node);
    }
    shelf.byOffset.clear();
    shelf.byNumber = undefined;
    shelf.detached = true;
    this.#files.delete(fileNumber);
  }

  /** Drops every cached block. Counters are kept. */
  clear(): void {
    for (const fileNumber of [...this.#files.keys()]) this.evictFile(fileNumber);
  }

  /** Counts a miss that a flush's handed-over block answered (Table.adoptWarm). */
  notePrepopulated(): void {
    this.#prepopulated++;
  }

  stats(): BlockCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      bytes: this.#list.bytes,
      capacityBytes: this.#list.capacity,
      blocks: this.#list.count,
      notAdmitted: this.#notAdmitted,
      prepopulated: this.#prepopulated,
      recycled: this.buffers.reused,
    };
  }

  /**
   * Hands the memory of a block that left the cache to `buffers`, which reuses it at once if
   * only point reads used it, else once no iterator is open (BlockBuffers.give).
   */
  #recycle(node: BlockNode): void {
    const block = node.block;
    if (block.recyclable && node !== this.#inserting) this.buffers.give(block.data, block.scanned);
  }

  /**
   * Removes an unlinked node from its shelf. An emptied shelf stays: its table holds it, and
   * evictFile removes it with the file.
   */
  #unshelve(node: BlockNode): void {
    const shelf = node.shelf;
    shelf.byOffset.delete(node.offset);
    if (node.number >= 0 && shelf.byNumber !== undefined) shelf.byNumber[node.number] = undefined;
  }
}
