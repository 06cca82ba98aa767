/**
 * The engine-wide cache of decoded data blocks, keyed by (file number, block offset) and
 * charged by block size.
 *
 * Lookups sit on the read path of every get and scan step, so a key is two Map lookups on
 * numbers (file number -> offsets of that file -> node) instead of a string built per
 * lookup; all nodes share one LRU list, so capacity is global. The per-file maps also make
 * evictFile (when a table file is deleted) proportional to that file's cached blocks.
 *
 * File numbers are unique only within one engine directory, so a BlockCache must not be
 * shared by engines on different directories: their blocks would collide.
 */
import type { Block } from '../sstable/block.js';
import { checkCapacity, LruList } from './lru-cache.js';
import type { LruLinks } from './lru-cache.js';

class BlockNode implements LruLinks<BlockNode> {
  prev: BlockNode | null = null;
  next: BlockNode | null = null;
  readonly fileNumber: number;
  readonly offset: number;
  readonly block: Block;
  readonly charge: number;

  constructor(fileNumber: number, offset: number, block: Block) {
    this.fileNumber = fileNumber;
    this.offset = offset;
    this.block = block;
    this.charge = block.chargeBytes;
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
}

/** Decoded data blocks of every table of one engine, bounded in bytes. */
export class BlockCache {
  readonly #files = new Map<number, Map<number, BlockNode>>();
  readonly #list: LruList<BlockNode>;
  #hits = 0;
  #misses = 0;

  /** @param capacityBytes most total block bytes kept; 0 caches nothing. */
  constructor(capacityBytes: number) {
    checkCapacity('BlockCache', 'capacityBytes', capacityBytes);
    this.#list = new LruList(capacityBytes, (node) => this.#forget(node));
  }

  /** The cached block of file `fileNumber` at `offset` (marked recently used), or undefined. */
  get(fileNumber: number, offset: number): Block | undefined {
    const node = this.#files.get(fileNumber)?.get(offset);
    if (node === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#list.touch(node);
    return node.block;
  }

  /** Caches `block` as the block of file `fileNumber` at `offset`, replacing any previous one. */
  insert(fileNumber: number, offset: number, block: Block): void {
    let offsets = this.#files.get(fileNumber);
    if (offsets === undefined) {
      offsets = new Map();
      this.#files.set(fileNumber, offsets);
    } else {
      const old = offsets.get(offset);
      if (old !== undefined) {
        this.#list.remove(old);
        offsets.delete(offset);
      }
    }
    const node = new BlockNode(fileNumber, offset, block);
    offsets.set(offset, node);
    this.#list.add(node);
  }

  /** Drops every cached block of a file (call when the file is deleted). */
  evictFile(fileNumber: number): void {
    const offsets = this.#files.get(fileNumber);
    if (offsets === undefined) return;
    for (const node of offsets.values()) this.#list.remove(node);
    this.#files.delete(fileNumber);
  }

  /** Drops every cached block. Counters are kept. */
  clear(): void {
    for (const fileNumber of [...this.#files.keys()]) this.evictFile(fileNumber);
  }

  stats(): BlockCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      bytes: this.#list.bytes,
      capacityBytes: this.#list.capacity,
      blocks: this.#list.count,
    };
  }

  #forget(node: BlockNode): void {
    const offsets = this.#files.get(node.fileNumber);
    if (offsets === undefined) return;
    offsets.delete(node.offset);
    if (offsets.size === 0) this.#files.delete(node.fileNumber);
  }
}
