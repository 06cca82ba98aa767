/**
 * The checkpoint coordinator: starts a checkpoint by putting barriers into the ingress
 * channel of every shard, gathers each shard's snapshot and in-flight messages, captures
 * the engine checkpoint with the runtime's metadata, and after it commits publishes the
 * egress records it covers.
 *
 * Order of one checkpoint n (DESIGN.md, "Exactly-once"):
 *   1. barrier n enters every shard's mailbox from the ingress, at ingress offset o;
 *   2. every shard snapshots (its writes so far are submitted, later ones held);
 *   3. every shard's part completes (its in-flight messages are known);
 *   4. the engine checkpoint is called — its sequence is fixed at the call, so it holds
 *      exactly the shards' snapshots — and the held writes are released;
 *   5. when the engine checkpoint has committed (with o, the egress records and the
 *      in-flight messages in its metadata), its egress records are published and older
 *      checkpoints beyond the retention are deleted.
 * One checkpoint runs at a time. If one fails, its egress records are carried into the
 * next, with the offsets they were given.
 */
import type { Checkpoint, CheckpointStore, Engine } from '../../engine/index.js';
import type { Envelope } from '../envelope.js';
import type { EgressLog } from '../egress/egress-log.js';
import type { EgressDraft, Shard } from '../shard/shard.js';
import type { EgressRecordData, RuntimeCheckpoint } from './runtime-checkpoint.js';
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
  startedAt: number;
  ingressOffset: number;
  snapshots: number;
  completes: number;
  egress: EgressDraft[][];
  inFlight: Envelope[];
  resolve: (c: CommittedCheckpoint) => void;
  reject: (err: unknown) => void;
}

export class CheckpointCoordinator {
  readonly #host: CoordinatorHost;
  readonly #egressNext: Map<string, number>;
  #carried: EgressRecordData[] = [];
  #lastBarrier = 0;
  #pending: Pending | undefined;
  #running: Promise<CommittedCheckpoint> | undefined;
  #queued: Promise<CommittedCheckpoint> | undefined;
  /** Set by abort: no checkpoint starts any more, and every one asked for rejects with it. */
  #aborted: Error | undefined;

  constructor(host: CoordinatorHost, egressNext: Map<string, number>) {
    this.#host = host;
    this.#egressNext = egressNext;
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

  /** Takes a checkpoint; if one is running, the next one after it (shared by callers). */
  trigger(): Promise<CommittedCheckpoint> {
    if (this.#aborted !== undefined) return Promise.reject(this.#aborted);
    if (this.#running === undefined) return this.#start();
    this.#queued ??= this.#running.then(
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
    const id = ++this.#lastBarrier;
    const promise = new Promise<CommittedCheckpoint>((resolve, reject) => {
      this.#pending = {
        id,
        startedAt: Date.now(),
        ingressOffset: 0,
        snapshots: 0,
        completes: 0,
        egress: this.#host.shards.map(() => []),
        inFlight: [],
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

  onSnapshot(shard: Shard, id: number, egress: EgressDraft[]): void {
    const p = this.#pending;
    if (p === undefined || p.id !== id) return;
    p.egress[shard.index] = egress;
    p.snapshots++;
  }

  onComplete(shard: Shard, id: number, inFlight: Envelope[]): void {
    const p = this.#pending;
    if (p === undefined || p.id !== id) return;
    for (const e of inFlight) p.inFlight.push(e);
    p.completes++;
    if (p.completes !== this.#host.shards.length) return;
    const waiting = this.#host.beforeCapture();
    if (waiting === undefined) {
      this.#capture(p);
      return;
    }
    // Shards hold their later writes until the capture, so waiting here is safe.
    waiting.then(
      () => this.#capture(p),
      (err: unknown) => {
        this.#pending = undefined;
        for (const drafts of p.egress) for (const r of this.assignOffsets(drafts)) this.#carried.push(r);
        for (const s of this.#host.shards) s.store.release();
        p.reject(err);
      },
    );
  }

  #capture(p: Pending): void {
    this.#pending = undefined;
    // Offsets in shard order: deterministic for a given cut.
    const egress = this.#carried;
    for (const drafts of p.egress) for (const r of this.assignOffsets(drafts)) egress.push(r);
    this.#carried = [];
    const metadata: RuntimeCheckpoint = {
      maxParallelism: this.#host.maxParallelism,
      ingressOffset: p.ingressOffset,
      nextTimerNumber: this.#host.nextTimerNumber(),
      egressNext: new Map(this.#egressNext),
      egress,
      inFlight: p.inFlight,
    };
    let taking: Promise<Checkpoint>;
    try {
      taking = this.#host.db.checkpoint(this.#host.store, { metadata: encodeRuntimeCheckpoint(metadata) });
    } finally {
      // The engine fixed the checkpoint's sequence inside the call: later writes may go.
      for (const s of this.#host.shards) s.store.release();
    }
    taking
      .then(async (cp) => {
        // The store counts the metadata file among the bytes copied, beside the new files.
        const metadataBytes = cp.bytesCopied - cp.files.reduce((sum, f) => sum + (f.shared ? 0 : f.bytes), 0);
        await this.#host.egressLog.publish(egress, true);
        await this.#host.store.retain(this.#host.retainedCheckpoints);
        const info: CommittedCheckpoint = {
          id: cp.id,
          ingressOffset: p.ingressOffset,
          durationMs: Date.now() - p.startedAt,
          bytesCopied: cp.bytesCopied,
          totalBytes: cp.files.reduce((sum, f) => sum + f.bytes, 0) + metadataBytes,
          metadataBytes,
          egressRecords: egress.length,
          inFlightMessages: p.inFlight.length,
        };
        await this.#host.onCommitted(info);
        p.resolve(info);
      })
      .catch((err: unknown) => {
        // Not committed (or committed but not published: publishing again is harmless).
        this.#carried = egress.concat(this.#carried);
        p.reject(err);
      });
  }
}
