/**
 * Recycles memtable arenas (SharedArrayBuffers) once nothing on this thread can read them.
 *
 * Why: a sealed memtable's arena is posted to the flush worker, and the worker's copy of the
 * reference lives until the worker's garbage collector runs. The worker allocates little on
 * its JavaScript heap, so that can take many flushes: in a 10M-key fill every flushed 64 MiB
 * arena stayed allocated (resident memory grew ~128 MiB per million writes). Reusing the
 * backing store for the next memtable bounds the arenas to those the engine holds plus the
 * pool, whatever the worker still references: the worker never reads an arena again once
 * its flush job has returned, which is before the engine drops the memtable.
 *
 * Safety: the owner returns an arena explicitly (MemTable.release), only once the engine has
 * dropped the memtable and every iterator over it has been closed; an iterator that is never
 * closed keeps its arena out of the pool for good, and the garbage collector frees it as
 * before. Values handed to users are copies, never views of an arena.
 */

/** Arenas kept for reuse; more would only hold memory no memtable needs yet. */
const MAX_POOLED = 2;

const pool: SharedArrayBuffer[] = [];

/** A pooled arena of exactly `byteLength` bytes (contents undefined), or a new zeroed one. */
export function takeArena(byteLength: number): SharedArrayBuffer {
  for (let i = pool.length - 1; i >= 0; i--) {
    const buffer = pool[i]!;
    if (buffer.byteLength === byteLength) {
      pool.splice(i, 1);
      return buffer;
    }
  }
  return new SharedArrayBuffer(byteLength);
}

/** Offers `buffer` for reuse; the caller guarantees nothing on this thread reads it again. */
export function recycleArena(buffer: SharedArrayBuffer): void {
  if (pool.length < MAX_POOLED && !pool.includes(buffer)) pool.push(buffer);
}
