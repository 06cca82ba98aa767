/**
 * Group commit. Writers append their WAL record and memtable entries synchronously, then wait
 * here; one commit loop hands every pending record to the OS in a single append, fsyncs once
 * for all writers of the group if any asked for `sync`, then publishes the group's last
 * sequence number as visible and acknowledges them. Writers that arrive while an fsync is in
 * flight form the next group, so concurrent sync writers share fsyncs. The fsync runs on the
 * engine's thread or on the file system's asynchronous path (EngineOptions.walSyncMode); the
 * group is acknowledged after it either way.
 *
 * Visibility: entries enter the memtable before their group commits, but readers only see
 * sequences up to `visibleSequence`, so nothing is readable before its WAL write (and, for a
 * sync group, its fsync) completed — as LevelDB publishes the last sequence after the log write.
 *
 * Rejected alternative: one `write` syscall per writer. Measured in LevelDB and RocksDB
 * alike, batching writers is what makes many small writes cheap; a microtask is the natural
 * group boundary in a single-threaded runtime.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LogWriter } from '../wal/log-writer.js';

/**
 * The writes of one commit group. They share one promise: every writer of a group is
 * acknowledged (or fails) at the same moment, and one promise per group instead of one per
 * writer saves an allocation and a closure per write (with many concurrent sync writers,
 * their collection showed in profiles of the commit path).
 */
interface Group {
  /** Sequence number of the group's last write. */
  lastSequence: number;
  /** Whether any writer of the group asked for `sync`. */
  sync: boolean;
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

function openGroup(): Group {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { lastSequence: 0, sync: false, done, resolve, reject };
}

/** How a WritePipeline forms and syncs its groups; both default to false. */
export interface WritePipelineOptions {
  /**
   * After a synced group is acknowledged, wait one event-loop turn before forming the next
   * group (see #loop). The engine sets it on the real file system only: in-memory file
   * systems of deterministic simulations complete without the event loop, and a turn there
   * would change their interleaving.
   */
  readonly gatherSyncGroups?: boolean;
  /**
   * Fsync a synced group with `LogWriter.syncNow` instead of awaiting `LogWriter.sync`
   * (EngineOptions.walSyncMode 'inline').
   */
  readonly inlineSync?: boolean;
}

export class WritePipeline {
  #wal: LogWriter | undefined;
  /** The group that writes join until the commit loop takes it. */
  #open: Group | undefined;
  #scheduled = false;
  #running: Promise<void> | undefined;
  #failed: Error | undefined;
  readonly #onError: (err: Error) => void;
  /** Highest sequence number readers may see. */
  visibleSequence: number;
  /** Statistics: commit groups and fsyncs performed. */
  groups = 0;
  syncs = 0;

  /** Whether a synced group's writers get an event-loop turn to join the next group. */
  readonly #gatherSyncGroups: boolean;
  /** Whether a group's fsync runs synchronously on this thread (EngineOptions.walSyncMode). */
  readonly #inlineSync: boolean;

  constructor(
    wal: LogWriter | undefined,
    visibleSequence: number,
    onError: (err: Error) => void,
    options: WritePipelineOptions = {},
  ) {
    this.#wal = wal;
    this.visibleSequence = visibleSequence;
    this.#onError = onError;
    this.#gatherSyncGroups = options.gatherSyncGroups ?? false;
    this.#inlineSync = options.inlineSync ?? false;
  }

  get wal(): LogWriter | undefined {
    return this.#wal;
  }

  /**
   * Queues `payload` (an encoded batch whose last op has `lastSequence`) for the WAL and
   * resolves once it is committed (durable if `sync`). Without a WAL, it is visible at once.
   */
  commit(payload: Uint8Array, lastSequence: number, sync: boolean): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const wal = this.#wal;
    if (!wal) {
      this.visibleSequence = lastSequence;
      return Promise.resolve();
    }
    wal.addRecord(payload);
    let group = this.#open;
    if (group === undefined) {
      group = this.#open = openGroup();
      this.#schedule();
    }
    group.lastSequence = lastSequence;
    if (sync) group.sync = true;
    return group.done;
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#running = this.#loop().finally(() => {
        this.#running = undefined;
        if (this.#open !== undefined) this.#schedule();
      });
    });
  }

  async #loop(): Promise<void> {
    while (this.#open !== undefined) {
      const group = this.#open;
      this.#open = undefined;
      try {
        if (group.sync) {
          this.syncs++;
          if (this.#inlineSync) this.#wal!.syncNow();
          else await this.#wal!.sync();
        } else {
          this.#wal!.flush();
        }
      } catch (err) {
        this.#fail(err instanceof Error ? err : new Error(String(err)), group);
        return;
      }
      this.groups++;
      this.visibleSequence = group.lastSequence;
      group.resolve();
      // The writers just acknowledged usually write again at once, but only after the
      // promise reactions above have run. Forming the next group now would leave them out:
      // it would hold only the writers that arrived during the fsync, and those
      // acknowledged would wait a whole fsync for the group after. One event-loop turn lets
      // them join, so concurrent sync writers share one fsync instead of alternating
      // between two half groups (fillsync64: 45 writes per fsync before, 64 after).
      if (group.sync && this.#gatherSyncGroups) await nextTurn();
    }
  }

  #fail(err: Error, group: Group): void {
    this.#failed = err;
    const next = this.#open;
    this.#open = undefined;
    group.reject(err);
    next?.reject(err);
    this.#onError(err);
  }

  /** Resolves once every queued write has committed (or failed). */
  async drain(): Promise<void> {
    while (this.#scheduled || this.#running || this.#open !== undefined) {
      if (this.#running) await this.#running.catch(() => undefined);
      else await Promise.resolve();
    }
  }

  /**
   * Replaces the WAL after draining: the old log is fsynced before the new one takes any
   * record, so a crash can never keep a later log's records while losing an earlier one's
   * (the recovered state stays a prefix of the write order).
   */
  async switchWal(next: LogWriter): Promise<void> {
    await this.drain();
    const old = this.#wal;
    if (old) {
      await old.sync();
      old.close();
    }
    this.#wal = next;
  }

  /** Drains, fsyncs and closes the WAL. */
  async close(): Promise<void> {
    await this.drain();
    const wal = this.#wal;
    this.#wal = undefined;
    if (wal && !this.#failed) await wal.sync();
    wal?.close();
  }
}
