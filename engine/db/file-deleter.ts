/**
 * FileDeleter: removes the engine's obsolete files (tables, WALs, old MANIFESTs) one at a
 * time, off the main thread (`FileSystem.removeAsync`).
 *
 * Why: removing a file frees its blocks, which takes time in proportion to its size, up to
 * milliseconds for the WAL of a large memtable. Done synchronously after each flush and
 * compaction, as before, that time came out of the foreground reads and writes the design
 * promises a flat latency.
 *
 * Safety does not depend on when a removal happens: a file is handed over only once nothing
 * can use it again (file numbers are never reused; engine.ts decides what is obsolete), and a
 * crash before it is gone leaves a file that the sweep at open removes. One removal at a
 * time keeps the thread pool free for WAL syncs and for reads. `drain` lets close finish
 * them before the directory's lock is released. A removal that fails is counted and the
 * engine goes on: the file is queued again the next time the engine looks for obsolete
 * files (after a flush or compaction), and the sweep at open removes it otherwise. RocksDB
 * too only logs an obsolete file it could not delete; failing the engine over garbage, as a
 * synchronous remove in the flush did here before, would stop writes for nothing.
 */
import type { FileSystem } from '../env/file-system.js';
import { removeFileAsync } from '../env/file-system.js';

/** Counters of a FileDeleter (in Engine.stats().obsoleteFiles). */
export interface FileDeleterStats {
  /** Removals queued or running. */
  pending: number;
  /** Files removed since this open. */
  removed: number;
  /** Removals that failed (the file is tried again later; see the header). */
  failed: number;
}

export class FileDeleter {
  readonly #fs: FileSystem;
  /** Paths queued or being removed, in order. */
  readonly #pending = new Set<string>();
  #running: Promise<void> | undefined = undefined;
  #removed = 0;
  #failed = 0;

  constructor(fs: FileSystem) {
    this.#fs = fs;
  }

  /** Queues `path` for removal (nothing if it is already queued or being removed). */
  add(path: string): void {
    this.#pending.add(path);
    this.#running ??= this.#run();
  }

  /** Resolves once every queued removal has been tried. */
  async drain(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  stats(): FileDeleterStats {
    return { pending: this.#pending.size, removed: this.#removed, failed: this.#failed };
  }

  async #run(): Promise<void> {
    try {
      for (const path of this.#pending) {
        try {
          await removeFileAsync(this.#fs, path);
          this.#removed++;
        } catch {
          this.#failed++;
        }
        this.#pending.delete(path);
      }
    } finally {
      this.#running = undefined;
    }
  }
}
