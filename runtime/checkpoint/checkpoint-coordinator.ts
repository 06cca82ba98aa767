/**
 * The checkpoint coordinator: starts a checkpoint by putting barriers into the ingress
 * channel of every shard, gathers each shard's snapshot and in-flight messages, captures
 * the engine checkpoint with the runtime's metadata, and after it commits publishes the
 * egress records it covers.
 *
 * Order of one checkpoint n (DESIGN.md, "Exactly-once"):
 *   1. barrier n enters every shard's mailbox from the ingress, at ingress offset o;
 *   2. every shard snapshots (its writes so far are submitted, later ones held); the
 *      capture waits until the submitted ones are written, and fails if one failed;
 *   3. every shard's part completes (its in-flight messages are written to the state
 *      engine, in-flight-store.ts);
 *   4. the engine checkpoint is called — its sequence is fixed at the call, so it holds
 *      exactly the shards' snapshots and the in-flight messages — and the held writes are
 *      released;
 *   5. when the engine checkpoint has committed (with o, the egress records and the count
 *      of in-flight messages in its metadata), its egress records are published, older
 *      checkpoints beyond the retention are deleted, and so are the live engine's copies of
 *      the in-flight messages (the checkpoint has its own).
 * One checkpoint runs at a time. If one fails, its egress records are carried into the
 * next, with the offsets they were given. While checkpoints keep failing, the records
 * carried would grow without end: `carriedBytes` counts them until a checkpoint has
 * published them, and at the runtime's bound the shards take no messages meanwhile
 * (ShardHost `egressCarriedFull`); `resume` wakes them after a publish.
 */
import type { Checkpoint, CheckpointStore, Engine } from '../../engine/index.js';
import type { EgressLog } from '../egress/egress-log.js';
import type { EgressDraft, Shard } from '../shard/shard.js';
import { egressRecordBytes } from '../shard/shard.js';
import type { EgressRecordData, RuntimeCheckpoint } from './runtime-checkpoint.js';
import { deleteInFlight } from './in-flight-store.js';
import { encodeRuntimeCheckpoint } from './runtime-checkpoint.js';

/** What the coordinator needs from the runtime. */
export interface CoordinatorHost {
  readonly db: Engine;
  readonly store: CheckpointStore;
  readonly egressLog: EgressLog;
  readonly shards: readonly Shard[];
  readonly maxParallelism: number;
  readonly retainedCheckpoints: number;
  /**
   * Runs after every shard's part is complete, before the engine checkpoint is captured;
   * undefined when there is nothing to wait for (the capture then happens at once).
   */
  beforeCapture(): Promise<void> | undefined;
  /** Puts barrier `id` into every shard's ingress channel; returns the ingress offset it follows. */
  injectBarrier(id: number): number;
  nextTimerNumber(): number;
  onCommitted(info: CommittedCheckpoint): Promise<void>;
}

/** One completed checkpoint, as `Runtime.stats` reports it. */
export interface CommittedCheckpoint {
  id: string;
  ingressOffset: number;
  durationMs: number;
  /** Bytes written to the store: the SST files it did not hold yet, and the metadata. */
  bytesCopied: number;
  /** Bytes of every file the checkpoint uses, shared SST files and metadata included. */
  totalBytes: number;
  /**
   * Bytes of the checkpoint's metadata file: the runtime's part (ingress offset, egress
   * records of the interval, in-flight messages) and the engine's file list.
   */
  metadataBytes: number;
  egressRecords: number;
  inFlightMessages: number;
}

interface Pending {
  id: number;
  /** performance.now() at the start: a duration must not follow the wall clock's steps. */
  startedAt: number;
  ingressOffset: number;
  snapshots: number;
  completes: number;
  egress: EgressDraft[][];
  inFlight: number;
  /**
   * What the capture waits for: the shards' writes up to their snapshots (a checkpoint
   * captured without one that failed would lack it), their in-flight writes, and
   * beforeCapture.
   */
  awaited: Promise<void>[];
  resolve: (c: CommittedCheckpoint) => void;
  reject: (err: unknown) => void;
}

export class CheckpointCoordinator {
  readonly #host: CoordinatorHost;
  readonly #egressNext: Map<string, number>;
  #carried: EgressRecordData[] = [];
  /**
   * Bytes of the carried records, about (as the shards count staged records): those in
   * #carried, or taken by the running checkpoint until it has published them.
   */
  #carriedBytes = 0;
  #lastBarrier: number;
  /** In-flight records of checkpoints below this number are gone from the live engine. */
  #inFlightDeletedBelow = 0;
  /**
   * Whether the live engine may hold in-flight records below the next capture: those the
   * restored checkpoint brought, or written since the last deletion.
   */
  #inFlightToDelete = true;
  #pending: Pending | undefined;
  #running: Promise<CommittedCheckpoint> | undefined;
  #queued: Promise<CommittedCheckpoint> | undefined;
  /** Set by abort: no checkpoint starts any more, and every one asked for rejects with it. */
  #aborted: Error | undefined;

  /**
   * @param lastBarrier the number of the checkpoint restored from (0 for none): numbers go
   *   on from it, so in-flight records of different checkpoints never share keys
   */
  constructor(host: CoordinatorHost, egressNext: Map<string, number>, lastBarrier: number) {
    this.#host = host;
    this.#egressNext = egressNext;
    this.#lastBarrier = lastBarrier;
  }

  /** Bytes of the egress records failed checkpoints carried into the next one, about. */
  get carriedBytes(): number {
    return this.#carriedBytes;
  }

  /** Whether a checkpoint is under way. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Gives each draft the next offset of its egress typename, in place; returns them. */
  assignOffsets(drafts: readonly EgressDraft[]): readonly EgressRecordData[] {
    for (const d of drafts) {
      const offset = this.#egressNext.get(d.typename) ?? 0;
      this.#egressNext.set(d.typename, offset + 1);
      d.offset = offset;
    }
    return drafts;
  }

  /**
   * Takes a checkpoint; if one is running, the next one after it (shared by callers). A call
   * that comes after the running one settled but before the queued one has started (a
   * continuation of the running one's promise, run ahead of the queue's) joins the queued
   * one: starting another would put two checkpoints' barriers into the channels at once.
   */
  trigger(): Promise<CommittedCheckpoint> {
    if (this.#aborted !== undefined) return Promise.reject(this.#aborted);
    if (this.#queued !== undefined) return this.#queued;
    if (this.#running === undefined) return this.#start();
    this.#queued = this.#running.then(
      () => this.#startQueued(),
      () => this.#startQueued(),
    );
    return this.#queued;
  }

  #startQueued(): Promise<CommittedCheckpoint> {
    this.#queued = undefined;
    if (this.#aborted !== undefined) return Promise.reject(this.#aborted);
    return this.#start();
  }

  /**
   * The shards stopped for good (the runtime failed): rejects the checkpoint waiting for
   * their barriers, if any, and every later one, with `error`. A checkpoint already handed
   * to the engine settles on its own.
   */
  abort(error: Error): void {
    this.#aborted ??= error;
    const p = this.#pending;
    if (p === undefined) return;
    this.#pending = undefined;
    // Its egress records were never committed: nothing to carry, the runtime will not go on.
    p.reject(error);
  }

  #start(): Promise<CommittedCheckpoint> {
    if (this.#running !== undefined) {
      // The shards' protocol takes one checkpoint at a time (shard.ts); a second would leave
      // the first waiting for completions that never come.
      throw new Error(
        `CheckpointCoordinator: checkpoint ${this.#lastBarrier + 1} would start while one runs`,
      );
    }
    const id = ++this.#lastBarrier;
    const promise = new Promise<CommittedCheckpoint>((resolve, reject) => {
      this.#pending = {
        id,
        startedAt: performance.now(),
        ingressOffset: 0,
        snapshots: 0,
        completes: 0,
        egress: this.#host.shards.map(() => []),
        inFlight: 0,
        awaited: [],
        resolve,
        reject,
      };
    });
    const running = promise.finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
    this.#pending!.ingressOffset = this.#host.injectBarrier(id);
    return running;
  }

  /**
   * `written` settles once the shard's writes up to its snapshot are in the state engine
   * (undefined if none were pending); the capture waits for it and fails if it rejects.
   */
  onSnapshot(shard: Shard, id: number, egress: EgressDraft[], written: Promise<void> | undefined): void {
    const p = this.#pending;
    if (p === undefined || p.id !== id) return;
    p.egress[shard.index] = egress;
    if (written !== undefined) p.awaited.push(written);
    p.snapshots++;
  }

  /**
   * `written` resolves once the shard's `inFlight` messages are in the state engine
   * (undefined if it recorded none).
   */
  onComplete(shard: Shard, id: number, inFlight: number, written: Promise<void> | undefined): void {
    // A failed write was reported to the runtime already (InFlightRecorder): observed here
    // so that a checkpoint given up meanwhile leaves no unhandled rejection.
    written?.catch(() => undefined);
    const p = this.#pending;
    if (p === undefined || p.id !== id) return;
    p.inFlight += inFlight;
    if (inFlight > 0) this.#inFlightToDelete = true;
    if (written !== undefined) p.awaited.push(written);
    p.completes++;
    if (p.completes !== this.#host.shards.length) return;
    const before = this.#host.beforeCapture();
    if (before !== undefined) p.awaited.push(before);
    if (p.awaited.length === 0) {
      this.#capture(p);
      return;
    }
    // Shards hold their later writes until the capture, so waiting here is safe.
    Promise.all(p.awaited).then(
      () => this.#capture(p),
      (err: unknown) => {
        this.#pending = undefined;
        for (const drafts of p.egress) for (const r of this.assignOffsets(drafts)) this.#carried.push(r);
        this.#carriedBytes = bytesOf(this.#carried);
        for (const s of this.#host.shards) s.release();
        p.reject(err);
      },
    );
  }

  #capture(p: Pending): void {
    this.#pending = undefined;
    // Offsets in shard order: deterministic for a given cut.
    const egress = this.#carried;
    for (const drafts of p.egress) for (const r of this.assignOffsets(drafts)) egress.push(r);
    // Their bytes still count (#carriedBytes) until the checkpoint has published them.
    this.#carried = [];
    const metadata: RuntimeCheckpoint = {
      maxParallelism: this.#host.maxParallelism,
      ingressOffset: p.ingressOffset,
      nextTimerNumber: this.#host.nextTimerNumber(),
      egressNext: new Map(this.#egressNext),
      egress,
      barrier: p.id,
      storedInFlight: p.inFlight,
      inFlight: [],
    };
    let taking: Promise<Checkpoint>;
    try {
      // Carries sealed memtables' WALs: a flush under way must not hold up the egress.
      taking = this.#host.db.checkpoint(this.#host.store, {
        metadata: encodeRuntimeCheckpoint(metadata),
        sealedMemtables: 'carry',
      });
    } finally {
      // The engine fixed the checkpoint's sequence inside the call: later writes may go.
      for (const s of this.#host.shards) s.release();
    }
    taking
      .then(async (cp) => {
        // The store counts the metadata file among the bytes copied, beside the new files.
        const metadataBytes = cp.bytesCopied - cp.files.reduce((sum, f) => sum + (f.shared ? 0 : f.bytes), 0);
        await this.#host.egressLog.publish(egress, true);
        this.#carriedBytes = bytesOf(this.#carried);
        // Shards that stopped for the carried records go on.
        for (const s of this.#host.shards) s.resume();
        await this.#host.store.retain(this.#host.retainedCheckpoints);
        const info: CommittedCheckpoint = {
          id: cp.id,
          ingressOffset: p.ingressOffset,
          durationMs: performance.now() - p.startedAt,
          bytesCopied: cp.bytesCopied,
          totalBytes: cp.files.reduce((sum, f) => sum + f.bytes, 0) + metadataBytes,
          metadataBytes,
          egressRecords: egress.length,
          inFlightMessages: p.inFlight,
        };
        await this.#deleteInFlight(p.id);
        await this.#host.onCommitted(info);
        p.resolve(info);
      })
      .catch((err: unknown) => {
        // Not committed (or committed but not published: publishing again is harmless).
        this.#carried = egress.concat(this.#carried);
        this.#carriedBytes = bytesOf(this.#carried);
        p.reject(err);
      });
  }

  /** Deletes the live engine's in-flight records up to checkpoint `barrier`'s. */
  async #deleteInFlight(barrier: number): Promise<void> {
    if (!this.#inFlightToDelete) return;
    this.#inFlightToDelete = false;
    await deleteInFlight(this.#host.db, this.#inFlightDeletedBelow, barrier + 1);
    this.#inFlightDeletedBelow = barrier + 1;
  }
}

function bytesOf(records: readonly EgressRecordData[]): number {
  let bytes = 0;
  for (const r of records) bytes += egressRecordBytes(r);
  return bytes;
}
