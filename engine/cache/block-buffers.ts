/**
 * Memory for the data blocks the block cache takes in: slots of an arena, reused from the
 * blocks it evicts.
 *
 * Why: a block the cache takes in needs memory of its own (the decompressed contents, or a
 * copy of a block a flush handed over). An ArrayBuffer per block costs far more than its
 * bytes: each one is external memory V8 accounts for, and a diagnostic run of readrandom
 * right after overwrite (the cache filling for the first time, then compactions replacing
 * its tables) spent about 10 to 20 µs per allocation, the collections that this external
 * memory set off included, and most of its slow start in them. So the blocks the cache takes
 * in take slots of an arena: a few large ArrayBuffers (chunks of up to ARENA_CHUNK_BYTES,
 * reserved as the cache fills, up to the cache's capacity in all), carved into slots by size
 * class. Their pages become resident as blocks are written into them, and an evicted block's
 * slot goes on its class's free list for the next block of the class: once the cache has
 * filled, taking a block in allocates nothing, however many tables compactions replace.
 * RocksDB leaves this to its allocator; here the arena is that allocator.
 *
 * Safety: memory is reused only where no reader can still see it. Point reads use a block
 * synchronously and copy the value out, so a block only they have used is reused once the
 * cache lets go of it. An iterator keeps its block (and views of its values) across calls,
 * for as long as it is open: Table.dataBlock marks every block it hands out as `scanned`,
 * and the slot of such a block, once evicted, waits until no iterator is open (the engine
 * reports each iterator's start and end: scanOpened, scanClosed; an iterator dropped without
 * close() ends when it is garbage-collected). This is quiescent-state reclamation with the
 * whole engine as one domain: cheap (a counter), but while any iterator stays open, every
 * scanned block evicted meanwhile keeps its slot, besides the cache; a long-lived iterator
 * under churn can so hold up to the arena's size (the cache's capacity) until it closes.
 * Blocks then get buffers of their own once the arena is spent. With
 * STATEFN_POISON_RECYCLED_BLOCKS=1 in the environment (the test suite sets it) a block's
 * memory is overwritten when it comes back here, so a reader that kept a view of it would
 * read bytes that fail their checks or differ from the model's, instead of passing by luck.
 *
 * Memory comes in size classes (multiples of CLASS_BYTES), so a block of a slightly
 * different size can reuse it; the cache charges a block by its memory's size. Once the
 * arena is used up, and no free slot of the class is left, a block gets an ArrayBuffer of
 * its own, as every block did before the arena, and such buffers are reused as the arena's
 * slots are, with their free memory bounded (limitBytes): what does not fit is left to the
 * collector. The arena is never given back: it holds at most the cache's capacity, which a
 * full cache holds anyway.
 */

import { invariant } from '../util/invariant.js';

/** Largest arena chunk: one ArrayBuffer, reserved (not yet resident) as the cache fills. */
export const ARENA_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * Largest slot: a larger block (a value of hundreds of KiB makes one) gets a buffer of its
 * own, so that rare sizes do not strand arena memory in slots only their class can reuse.
 */
export const ARENA_MAX_SLOT_BYTES = 64 * 1024;

/** The arena's chunks, of every BlockBuffers: memory of this kind is a slot, not a buffer. */
const arenaChunks = new WeakSet<ArrayBufferLike>();

/** Granularity of the size classes: blocks of a table differ in size by some bytes. */
const CLASS_BYTES = 256;
/** The byte written over a recycled block's memory when poisoning is on. */
const POISON = 0xa5;

const poisonOnRecycle = process.env['STATEFN_POISON_RECYCLED_BLOCKS'] === '1';

/** Memory for cached blocks by size class: arena slots, then buffers of their own. */
export class BlockBuffers {
  readonly #limit: number;
  readonly #free = new Map<number, ArrayBuffer[]>();
  #bytes = 0;
  /** Arena bytes not reserved yet. */
  #arenaLeft: number;
  #arenaBytes = 0;
  /** The newest chunk, and how much of it slots have taken. */
  #chunk: ArrayBuffer | undefined;
  #chunkUsed = 0;
  /** Free arena slots by size class, each as the view of the block that had it. */
  readonly #slots = new Map<number, Uint8Array[]>();
  #slotBytes = 0;
  /** Whether the owner reports every scan's start and end (scanOpened, scanClosed). */
  #tracking = false;
  #openScans = 0;
  /** Slots of blocks scans have used, evicted while a scan was open: free once none is. */
  #limbo: Uint8Array[] = [];
  #limboBytes = 0;
  /** Takes that reused memory, an arena slot or a buffer (stats and tests). */
  reused = 0;

  /**
   * @param limitBytes most free memory held in buffers of their own; 0 recycles none.
   * @param arenaBytes most memory reserved for the arena; 0 (the default) for none.
   */
  constructor(limitBytes: number, arenaBytes = 0) {
    this.#limit = limitBytes;
    this.#arenaLeft = arenaBytes;
  }

  /** Free memory held now: free arena slots (those waiting for scans to end included) and free buffers. */
  get bytes(): number {
    return this.#slotBytes + this.#limboBytes + this.#bytes;
  }

  /**
   * Declares that the owner calls scanOpened and scanClosed for every scan (an engine does,
   * for its iterators). Until then a slot that a scan has used is never reused.
   */
  trackScans(): void {
    this.#tracking = true;
  }

  /** A scan (an iterator) started: the slots of blocks it may see stay as they are until it ends. */
  scanOpened(): void {
    this.#openScans++;
  }

  /** A scan ended; once none is open, the slots evicted while one was are free. */
  scanClosed(): void {
    invariant(this.#openScans > 0, 'BlockBuffers.scanClosed: no scan is open');
    if (--this.#openScans > 0 || this.#limbo.length === 0) return;
    const limbo = this.#limbo;
    this.#limbo = [];
    this.#limboBytes = 0;
    for (const data of limbo) this.#freeSlot(data, classOf(data.length));
  }

  /** Of `bytes`, the slots of scanned blocks waiting for the open scans to end. */
  get waitingBytes(): number {
    return this.#limboBytes;
  }

  /** Memory the arena has reserved (resident once written). */
  get arenaBytes(): number {
    return this.#arenaBytes;
  }

  /**
   * `size` bytes of uninitialized memory (the caller writes every byte before reading any): a
   * free arena slot of `size`'s class, else a new one; once the arena is spent (or for a size
   * over ARENA_MAX_SLOT_BYTES), a free buffer of the class, else a new buffer of the class's
   * size.
   */
  take(size: number): Uint8Array {
    const capacity = classOf(size);
    if (capacity <= ARENA_MAX_SLOT_BYTES) {
      const slot = this.#slots.get(capacity)?.pop();
      if (slot !== undefined) {
        this.#slotBytes -= capacity;
        this.reused++;
        return new Uint8Array(slot.buffer, slot.byteOffset, size);
      }
      const fresh = this.#newSlot(capacity, size);
      if (fresh !== undefined) return fresh;
    }
    const list = this.#free.get(capacity);
    const buffer = list?.pop();
    if (buffer !== undefined) {
      this.#bytes -= capacity;
      this.reused++;
      return new Uint8Array(buffer, 0, size);
    }
    const own = Buffer.allocUnsafeSlow(capacity);
    return new Uint8Array(own.buffer, own.byteOffset, size);
  }

  /**
   * Takes back `data`'s memory, which came from take() and which the cache let go of. An
   * arena slot goes back on its class's free list: at once if only point reads used it, else
   * (`scanned`) once no scan that may still see it is open. A buffer that no scan used is
   * kept while the free buffers stay within the limit.
   */
  give(data: Uint8Array, scanned = false): void {
    const buffer = data.buffer as ArrayBuffer;
    const capacity = classOf(data.length);
    if (arenaChunks.has(buffer)) {
      if (scanned && (!this.#tracking || this.#openScans > 0)) {
        // Without tracking, the scans' ends are unknown: such a slot stays here for good.
        this.#limbo.push(data);
        this.#limboBytes += capacity;
      } else {
        this.#freeSlot(data, capacity);
      }
      return;
    }
    if (scanned) return;
    if (data.byteOffset !== 0 || buffer.byteLength !== capacity) return;
    if (this.#bytes + capacity > this.#limit) return;
    if (poisonOnRecycle) new Uint8Array(buffer).fill(POISON);
    listOf(this.#free, capacity).push(buffer);
    this.#bytes += capacity;
  }

  /** Puts the arena slot of `data`, of size class `capacity`, on its class's free list. */
  #freeSlot(data: Uint8Array, capacity: number): void {
    if (poisonOnRecycle) new Uint8Array(data.buffer, data.byteOffset, capacity).fill(POISON);
    listOf(this.#slots, capacity).push(data);
    this.#slotBytes += capacity;
  }

  /** A slot never used before, from the newest chunk or a new one; undefined once the arena is spent. */
  #newSlot(capacity: number, size: number): Uint8Array | undefined {
    let chunk = this.#chunk;
    if (chunk === undefined || this.#chunkUsed + capacity > chunk.byteLength) {
      // The rest of the old chunk, too small for this class, stays unused.
      const bytes = Math.min(this.#arenaLeft, ARENA_CHUNK_BYTES);
      if (bytes < capacity) return undefined;
      try {
        chunk = new ArrayBuffer(bytes);
      } catch {
        // Out of address space or memory for a chunk: blocks get buffers of their own.
        this.#arenaLeft = 0;
        return undefined;
      }
      arenaChunks.add(chunk);
      this.#arenaLeft -= bytes;
      this.#arenaBytes += bytes;
      this.#chunk = chunk;
      this.#chunkUsed = 0;
    }
    const offset = this.#chunkUsed;
    this.#chunkUsed += capacity;
    return new Uint8Array(chunk, offset, size);
  }
}

/** Whether `data` is in an arena's memory (a slot, charged by its size class). */
export function inArena(data: Uint8Array): boolean {
  return arenaChunks.has(data.buffer);
}

/** The bytes of memory `data` holds: its slot or buffer's size, or its own bytes in a larger buffer. */
export function memoryOf(data: Uint8Array): number {
  if (inArena(data)) return classOf(data.length);
  return data.byteOffset === 0 ? data.buffer.byteLength : data.byteLength;
}

/** The free list of size class `capacity` in `lists`, made if it has none. */
function listOf<T>(lists: Map<number, T[]>, capacity: number): T[] {
  let list = lists.get(capacity);
  if (list === undefined) {
    list = [];
    lists.set(capacity, list);
  }
  return list;
}

/** The size class of a `size`-byte block: its memory's size. */
function classOf(size: number): number {
  return Math.max(CLASS_BYTES, Math.ceil(size / CLASS_BYTES) * CLASS_BYTES);
}
