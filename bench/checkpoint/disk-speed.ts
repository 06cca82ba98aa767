/**
 * The disk's sequential write and read speed, measured in the data directory in the same run
 * as the checkpoints, so the targets compare against this disk rather than a datasheet.
 * Writes are random bytes (nothing for a compressing file system to shrink); the write time
 * includes the final fdatasync, since a checkpoint's copy is fsynced too.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, fdatasync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRESS_INTERVAL_MS } from '../measure/progress-meter.js';
import type { DiskSpeed } from './checkpoint-results.js';
import { dropFromPageCache } from './page-cache.js';

/** Size of each write and read: the chunk size the engine copies and hashes checkpoint files in. */
export const DISK_CHUNK_BYTES = 1 << 20;

const MIB = 1 << 20;

/** Writes, fsyncs, evicts and reads back a `fileBytes` file under `dir`; deletes it after. */
export async function measureDiskSpeed(
  dir: string,
  fileBytes: number,
  log: (line: string) => void,
): Promise<DiskSpeed> {
  const path = join(dir, 'disk-speed.bin');
  const chunk = Buffer.allocUnsafe(DISK_CHUNK_BYTES);
  randomFillSync(chunk);
  const chunks = Math.ceil(fileBytes / DISK_CHUNK_BYTES);
  const total = chunks * DISK_CHUNK_BYTES;
  try {
    log(`disk: writing ${total / MIB} MiB sequentially, then fdatasync`);
    const writeSeconds = await timedWrite(path, chunk, chunks, log);
    const drop = await dropFromPageCache([path]);
    if (!drop.dropped) {
      // Without eviction the figure is the cached read speed: make it consistently that.
      await readAll(path, total, () => undefined);
    }
    log(
      `disk: reading ${total / MIB} MiB sequentially (${drop.dropped ? 'evicted from the page cache' : 'cached'})`,
    );
    const start = performance.now();
    await readAll(path, total, (done) => log(`disk: read ${Math.floor(done / MIB)} MiB`));
    const readSeconds = (performance.now() - start) / 1000;
    return {
      fileBytes: total,
      chunkBytes: DISK_CHUNK_BYTES,
      writeSeconds,
      readSeconds,
      readCache: drop.dropped ? 'dropped' : 'cached',
      cacheNote: drop.note,
    };
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // Never created, or already gone.
    }
  }
}

async function timedWrite(
  path: string,
  chunk: Buffer,
  chunks: number,
  log: (line: string) => void,
): Promise<number> {
  const fd = openSync(path, 'w');
  try {
    const start = performance.now();
    let lastPrint = start;
    for (let i = 0; i < chunks; i++) {
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
      const now = performance.now();
      if (now - lastPrint >= PROGRESS_INTERVAL_MS) {
        lastPrint = now;
        log(`disk: wrote ${i + 1} MiB`);
        await yieldToEventLoop();
      }
    }
    await new Promise<void>((resolve, reject) =>
      fdatasync(fd, (error) => (error ? reject(error) : resolve())),
    );
    return (performance.now() - start) / 1000;
  } finally {
    closeSync(fd);
  }
}

/** Reads the whole file in chunks; `progress` every couple of seconds. */
async function readAll(path: string, total: number, progress: (done: number) => void): Promise<void> {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(DISK_CHUNK_BYTES);
  try {
    let lastPrint = performance.now();
    for (let offset = 0; offset < total;) {
      const read = readSync(fd, buffer, 0, buffer.length, offset);
      if (read === 0) throw new Error(`disk speed: ${path} ended at ${offset} of ${total} bytes`);
      offset += read;
      const now = performance.now();
      if (now - lastPrint >= PROGRESS_INTERVAL_MS) {
        lastPrint = now;
        progress(offset);
        await yieldToEventLoop();
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Lets timers and IPC run (the heartbeat the coordinator's watchdog waits for). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
