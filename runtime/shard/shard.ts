/**
 * A shard: the owner of a contiguous range of key groups, processing the messages to the
 * addresses in it, and its part of the Chandy–Lamport checkpoint protocol.
 *
 * Messages arrive in one FIFO mailbox from numbered input channels: one per shard (itself
 * included — cycles are normal) and the ingress. Each channel is FIFO. Messages to one
 * address run one at a time in arrival order; different addresses may run concurrently
 * (a function may be async). The mailbox spills to files past its memory budget
 * (mailbox.ts), and the messages taken from it to wait behind a running invocation of
 * their address are bounded too: past `waitingLimit` the shard leaves the rest queued. So
 * are its state writes handed to the engine and not yet written: past `writeLimit` the
 * shard takes no more messages until the engine has written one.
 *
 * Checkpoint n, seen from one shard (unaligned barriers, as Chandy and Lamport describe):
 *   1. The first barrier n to arrive, on any channel, starts the snapshot. The shard stops
 *      taking messages from its mailbox and firing timers, and waits until every
 *      invocation it started has finished (the drain).
 *   2. Snapshot: the store submits the writes so far and holds later ones back until the
 *      coordinator has captured the engine checkpoint; the egress records staged since the
 *      last checkpoint are handed over; then barrier n is sent on every output channel.
 *   3. Until barrier n has arrived on every other input channel, each message taken from
 *      such a channel is recorded as in flight (it was sent before its sender's snapshot
 *      and received after ours) and is processed as usual. The records go to the state
 *      engine as they are made (in-flight-store.ts); while too many bytes of them wait for
 *      their write, the shard takes no more messages. When the last barrier arrives, the
 *      shard's part is complete once its records are written.
 * Restoring re-delivers the recorded messages, so a message is processed exactly once with
 * respect to the state of the checkpoint.
 *
 * The egress records a shard stages (exactly-once mode) wait in memory for the checkpoint
 * that commits them; once they reach `heldLimit`, the shard asks for a checkpoint at once
 * instead of waiting for the periodic one. That checkpoint's barrier is delivered behind
 * the mailbox's backlog, and the messages ahead of it would stage more records, so the
 * shard does not wait for it to come up: with its staged records at `heldLimit`, a
 * barrier's delivery starts step 1 at once (the shard overtakes it; Chandy and Lamport let
 * a process take its snapshot at any time before its first marker). Every channel then
 * counts as one whose barrier has not arrived, so the messages overtaken are recorded as
 * in flight when they are taken, as in step 3. So are two kinds of messages queued before
 * any barrier: those of the recovery channel, which has none, and those still set aside
 * from the checkpoint before, which the shard records first of all, moving each to the back
 * of their queue. While no barrier has been delivered (the checkpoint asked for waits for
 * the one before it to commit), the shard takes no messages once its staged records reach
 * twice `heldLimit`. The records of checkpoints that failed are carried into the next one;
 * while they fill their bound (`egressCarriedFull`), the shard runs nothing: it takes no
 * messages without a checkpoint pending, sets aside what it takes with one pending, and
 * overtakes any barrier delivered. With `barrierTimeoutMs`, a barrier that waited that long
 * in the mailbox is overtaken too, and every message taken until the last barrier arrives
 * is set aside (recorded as above), so the checkpoint does not wait for the backlog to run.
 *
 * Between its snapshot and the capture the store holds the shard's writes in memory, and
 * the egress records it stages wait for the next checkpoint. A barrier queues behind the
 * mailbox's backlog, so that can last long; once the two reach `heldLimit`, the shard sets
 * the messages it takes aside (recording them as above) in a second, spilling mailbox
 * instead of running them, so it still reaches its barriers while its memory stays
 * bounded. After the capture it runs the set-aside messages first, in the order taken.
 * Stopping instead would deadlock: the barriers the checkpoint waits for are behind the
 * messages not taken.
 *
 * Rejected: aligned barriers (blocking a channel once its barrier arrived). In a cycle,
 * a shard waiting for a barrier from a channel that waits on it stalls; Flink's iterations
 * and StateFun's feedback loop have the same problem and log the feedback channel instead.
 */
import type { InFlightRecorder } from '../checkpoint/in-flight-store.js';
import type { AddressRef, Envelope } from '../envelope.js';
import { addressKey, envelopeBytes } from '../envelope.js';
import type { StateStore } from '../state/state-store.js';
import { removeIfExpired } from '../state/expired-collections.js';
import type { CollectionKey, KeyString } from '../keys/state-keys.js';
import type { TimerService } from '../timers/timer-service.js';
import type { ByteString } from '../util/byte-string.js';
import type { MailItem, Mailbox } from './mailbox.js';

/** A delayed send or a cancellation, in the order the function made them. */
export type DelayedEffect =
  | { kind: 'delayed'; delayMs: number; envelope: Envelope; token: string | undefined }
  | { kind: 'cancel'; token: string };

/**
 * An egress record before it has an offset: `offset` is NO_OFFSET until the coordinator gives
 * it one in place (assignOffsets), which makes the draft the committed record. One object per
 * record from invocation to publish: a record lives for a checkpoint interval, and a second
 * object per record was a good part of what the runtime's garbage collector had to promote.
 */
export interface EgressDraft {
  readonly typename: string;
  readonly valueTypename: string;
  /** The value's bytes (as EgressRecordData keeps them). */
  readonly value: ByteString;
  offset: number;
}

/** The offset of an egress draft that has none yet. */
export const NO_OFFSET = -1;

/** What one successful invocation produced (besides state writes, which it applied). */
export interface Effects {
  readonly sends: readonly Envelope[];
  readonly delayed: readonly DelayedEffect[];
  readonly egress: readonly EgressDraft[];
}

/** A finished invocation: the function returned (commit) or threw. */
export type Outcome = { ok: true; effects: Effects; commit: () => void } | { ok: false; error: unknown };

/** What a shard needs from the runtime around it. */
export interface ShardHost {
  readonly shardCount: number;
  /** Index of the ingress channel (after the shard channels). */
  readonly ingressChannel: number;
  now(): number;
  /**
   * Runs the function bound to the envelope's target. A promise returned always settles (an
   * async function that hangs fails at its timeout), or a checkpoint drain would never end.
   */
  invoke(envelope: Envelope, keyGroup: number, store: StateStore): Outcome | Promise<Outcome>;
  /** Delivers a message sent by shard `from` to the shard owning its target. */
  route(envelope: Envelope, from: number): void;
  /** Sends barrier `id` from shard `from` to every shard. */
  broadcastBarrier(id: number, from: number): void;
  /** A new unique timer number. */
  nextTimerNumber(): number;
  /** Egress of an invocation: staged (exactly-once) or published at once (at-least-once). */
  emitEgress(shard: Shard, records: readonly EgressDraft[]): void;
  /**
   * The shard's staged egress records reached its bound (`heldLimit`): a checkpoint should
   * take them soon (the next one, started now unless one is under way or queued).
   */
  requestCheckpoint(): void;
  /**
   * Whether the egress records that failed checkpoints carried reached their bound: the
   * shards then take no messages until a checkpoint has taken them (the next periodic one,
   * or one asked for), and snapshot as soon as its barrier is delivered.
   */
  egressCarriedFull(): boolean;
  /** The message failed for good: to the dead-letter egress. */
  deadLetter(shard: Shard, envelope: Envelope, error: unknown, attempts: number): void;
  /** Effects of a committed invocation could not be applied: the runtime cannot go on. */
  fail(error: unknown): void;
  /** Whether `error` may succeed on a retry. */
  retryable(error: unknown): boolean;
  readonly maxAttempts: number;
  backoffMs(attempt: number): number;
  /** Schedules a task soon (never synchronously). */
  schedule(task: () => void): void;
  setTimer(delayMs: number, task: () => void): { cancel(): void };
  /**
   * Step 2 done: the shard's state for checkpoint `id` is in the store (held), written to
   * the engine once `written` resolves (undefined if nothing was pending); it rejects if a
   * write failed, and the checkpoint must then not be captured.
   */
  onSnapshot(shard: Shard, id: number, egress: EgressDraft[], written: Promise<void> | undefined): void;
  /**
   * Step 3 done: `inFlight` messages recorded, in the state engine once `written` resolves
   * (undefined when none were).
   */
  onComplete(shard: Shard, id: number, inFlight: number, written: Promise<void> | undefined): void;
  /** An ingress message (or one it caused) finished; for the idle and backlog counters. */
  onProcessed(fromIngress: boolean): void;
}

/** A message waiting for the invocation before it on its address. */
interface Waiting {
  envelope: Envelope;
  channel: number;
  keyGroup: number;
}

interface PendingCheckpoint {
  id: number;
  /** Channels whose barrier has not arrived yet. */
  awaiting: Set<number>;
  /** Messages recorded as in flight. */
  inFlight: number;
  snapshotted: boolean;
  /**
   * The barrier timed out (`barrierTimeoutMs`): every message taken until the last barrier
   * arrives is set aside, not run.
   */
  setAsideAll: boolean;
}

/** What a shard is made of, and its bounds. */
export interface ShardParts {
  readonly store: StateStore;
  readonly timers: TimerService;
  readonly mailbox: Mailbox;
  /** Where messages go while the held writes are at `heldLimit` (see the header). */
  readonly setAside: Mailbox;
  /** Where the shard's in-flight records of a checkpoint go. */
  readonly recorder: InFlightRecorder;
  /**
   * Bytes of messages that may wait behind busy addresses (#busy) before the shard stops
   * taking messages from its mailbox (which then spills if it must).
   */
  readonly waitingLimit: number;
  /**
   * Bytes of writes the store may hold for a checkpoint, and of egress records staged
   * meanwhile, before messages are set aside.
   */
  readonly heldLimit: number;
  /**
   * Bytes of state writes submitted to the engine and not yet written (StateStore
   * `submittedBytes`) at which the shard takes no more messages until one is written: an
   * engine that stalls its writers (flushes or compactions behind) holds them in memory.
   */
  readonly writeLimit: number;
  /** How long a delivered barrier may wait before the shard overtakes it; 0: no limit. */
  readonly barrierTimeoutMs: number;
}

/** What a staged egress record costs besides its value's bytes (object, typenames), about. */
const STAGED_OVERHEAD_BYTES = 96;

/** The memory an egress record waiting for a checkpoint takes, about. */
export function egressRecordBytes(record: { readonly value: ByteString }): number {
  return STAGED_OVERHEAD_BYTES + record.value.length;
}

/** Messages taken from the mailbox per scheduled turn, so timers and I/O get their turn. */
const TURN_ITEMS = 512;

/** A reported list or map: its key and what the key names. */
export interface CollectionHeader extends CollectionKey {
  readonly key: KeyString;
}

export class Shard {
  readonly index: number;
  readonly store: StateStore;
  readonly timers: TimerService;
  readonly #host: ShardHost;
  readonly #mailbox: Mailbox;
  /** Messages taken while the held writes were at their limit, to run after the capture. */
  readonly #setAside: Mailbox;
  readonly #heldLimit: number;
  readonly #recorder: InFlightRecorder;
  /** The last turn stopped because the recorder's writes fell behind. */
  #recorderFull = false;
  readonly #writeLimit: number;
  /** The last turn stopped because the store's submitted writes reached #writeLimit. */
  #writesFull = false;
  /**
   * Addresses whose invocation is still running after the call that started it returned
   * (an async function, or a retry waiting for its backoff), and the messages waiting
   * behind it. A synchronous invocation ends before the next message is taken, so it never
   * enters: with only synchronous functions this stays empty and no address key is made.
   */
  readonly #busy = new Map<string, Waiting[] | null>();
  /** Bytes of the messages in #busy's queues, and their bound (the mailbox stops being read). */
  #waitingBytes = 0;
  readonly #waitingLimit: number;
  /** The last turn stopped because #waitingBytes reached #waitingLimit. */
  #waitingFull = false;
  #active = 0;
  #scheduled = false;
  #checkpoint: PendingCheckpoint | undefined;
  /** The last checkpoint whose part this shard completed (0: none since start). */
  #lastCompleted = 0;
  /** A barrier delivered for a checkpoint this shard has not started (see the header). */
  #barrierDelivered: number | undefined;
  readonly #barrierTimeoutMs: number;
  /** Armed when a barrier is delivered, with barrierTimeoutMs; cancelled when step 1 begins. */
  #barrierTimer: { cancel(): void } | undefined;
  /** The last turn stopped for a barrier (#egressAtLimit: staged or carried egress full). */
  #egressFull = false;
  /**
   * Set-aside messages still to record for the pending checkpoint: those a snapshot that
   * overtook its barrier left unprocessed (see the header).
   */
  #owed = 0;
  #staged: EgressDraft[] = [];
  /**
   * Bytes of `#staged`: counted against `heldLimit` while the store holds; at `heldLimit`
   * otherwise, the shard asks for a checkpoint to take them (once until its next snapshot).
   */
  #stagedBytes = 0;
  #checkpointRequested = false;
  #timer: { at: number; handle: { cancel(): void } } | undefined;
  #stopped = false;
  processed = 0;
  /** Messages set aside since start (see the header). */
  setAsideTotal = 0;
  /** Times the shard stopped taking messages until the state engine wrote its writes. */
  writeWaitsTotal = 0;
  /** Checkpoints the shard snapshotted on a barrier's delivery, ahead of the mailbox. */
  barriersOvertaken = 0;
  /** Of those, the ones whose barrier had waited `barrierTimeoutMs`. */
  barrierTimeouts = 0;
  /** Times the shard stopped taking messages until a barrier came for its staged egress. */
  egressWaitsTotal = 0;
  /** Expired lists and maps deleted on a compaction's report (removeExpired). */
  expiredRemoved = 0;

  constructor(index: number, host: ShardHost, parts: ShardParts) {
    this.index = index;
    this.#host = host;
    this.store = parts.store;
    this.timers = parts.timers;
    this.#mailbox = parts.mailbox;
    this.#setAside = parts.setAside;
    this.#waitingLimit = parts.waitingLimit;
    this.#heldLimit = parts.heldLimit;
    this.#writeLimit = parts.writeLimit;
    this.#recorder = parts.recorder;
    this.#barrierTimeoutMs = parts.barrierTimeoutMs;
  }

  /** Messages queued (set aside included) and invocations running. */
  get backlog(): number {
    return this.#mailbox.length + this.#setAside.length + this.#active;
  }

  /** The mailbox: its length, memory and spilled items (stats and tests). */
  get mailbox(): Pick<Mailbox, 'length' | 'memoryBytes' | 'spilledItems' | 'spilledTotal'> {
    return this.#mailbox;
  }

  get idle(): boolean {
    return this.backlog === 0 && this.#checkpoint === undefined;
  }

  /** Queues a message from `channel`; `keyGroup` is its target's (which the router knew). */
  deliver(envelope: Envelope, channel: number, keyGroup: number): void {
    this.#enqueue({ channel, envelope, keyGroup });
  }

  /**
   * Queues barrier `id` from `channel`. If it is the first of a checkpoint and the staged
   * egress fills its bound, the snapshot starts now (see the header).
   */
  deliverBarrier(id: number, channel: number): void {
    const pending = this.#checkpoint?.id;
    if (id <= this.#lastCompleted || (pending !== undefined && id !== pending)) {
      // Checkpoints run one at a time, and a shard completes one only once every channel's
      // barrier arrived: such a barrier would make the shard begin a checkpoint again and
      // send its barriers again, and every shard they reach the same, without end.
      this.#host.fail(
        new Error(
          `checkpoint protocol: shard ${this.index} got barrier ${id} on channel ${channel} ` +
            (pending !== undefined
              ? `while checkpoint ${pending} is pending`
              : `after completing ${this.#lastCompleted}`),
        ),
      );
      return;
    }
    this.#enqueue({ channel, barrier: id });
    if (this.#checkpoint !== undefined || this.#stopped) return;
    // With no checkpoint pending, any barrier delivered belongs to the next one.
    this.#barrierDelivered = id;
    if (this.#stagedBytes >= this.#heldLimit || this.#host.egressCarriedFull()) {
      this.#overtake(id, false);
    } else if (this.#barrierTimeoutMs > 0 && this.#barrierTimer === undefined) {
      this.#barrierTimer = this.#host.setTimer(this.#barrierTimeoutMs, () => {
        this.#barrierTimer = undefined;
        // Still not taken from the mailbox: overtaken, and what is ahead of it set aside.
        if (!this.#stopped && this.#checkpoint === undefined && this.#barrierDelivered === id) {
          this.#overtake(id, true);
        }
      });
    }
  }

  /**
   * Whether the messages waiting behind busy addresses fill their bound. Nothing waiting is
   * never full, whatever the limit, or a limit of 0 would stop the shard.
   */
  get #waitingAtLimit(): boolean {
    return this.#waitingBytes > 0 && this.#waitingBytes >= this.#waitingLimit;
  }

  #enqueue(item: MailItem): void {
    try {
      this.#mailbox.push(item);
    } catch (error) {
      // A message that could not be spilled is lost: the runtime must restart from its checkpoint.
      this.#host.fail(error);
      return;
    }
    this.#wake();
  }

  /** Starts the timer for the earliest delayed message (after load or restore). */
  armTimers(): void {
    this.#armTimer();
  }

  /** Stops processing for good (the runtime stops or was abandoned after a crash). */
  stop(): void {
    this.#stopped = true;
    this.#timer?.handle.cancel();
    this.#timer = undefined;
    this.#barrierTimer?.cancel();
    this.#barrierTimer = undefined;
    for (const mailbox of [this.#mailbox, this.#setAside]) {
      try {
        mailbox.close();
      } catch {
        // Spill files left behind are removed at the next start.
      }
    }
  }

  /**
   * Deletes the expired lists and maps among `headers`, keys of this shard's key groups that
   * a compaction of the state engine reported (see expired-collections.ts), except those of
   * an address whose invocation is under way (#busy): it may have read them before they
   * expired. Synchronous, so no invocation starts in between. Counted in expiredRemoved.
   */
  removeExpired(headers: readonly CollectionHeader[], nowMs: number): void {
    if (this.#stopped) return;
    let removed = 0;
    for (const h of headers) {
      if (this.#busy.size > 0 && this.#busy.has(addressKey(h))) continue;
      if (removeIfExpired(this.store, h.key, h.kind, nowMs)) removed++;
    }
    if (removed > 0) this.store.submit();
    this.expiredRemoved += removed;
  }

  /** Bytes of the egress records staged since the last snapshot, about. */
  get stagedBytes(): number {
    return this.#stagedBytes;
  }

  /** Records staged for the next checkpoint (exactly-once mode). */
  stage(records: readonly EgressDraft[]): void {
    for (const r of records) {
      this.#staged.push(r);
      this.#stagedBytes += egressRecordBytes(r);
    }
    if (this.#stagedBytes < this.#heldLimit) return;
    if (this.#checkpoint === undefined && this.#barrierDelivered !== undefined) {
      this.#overtake(this.#barrierDelivered, false);
    } else if (!this.#checkpointRequested) {
      // Its barrier may be delivered now, from inside this call.
      this.#checkpointRequested = true;
      this.#host.requestCheckpoint();
    }
  }

  /**
   * Whether, with no checkpoint pending, the staged egress is at twice its bound or the
   * carried egress at its own: no barrier has been delivered yet (one would have been
   * overtaken), so the shard waits for one; the coordinator wakes it once the carried
   * records are published (`resume`).
   */
  get #egressAtLimit(): boolean {
    return (
      this.#checkpoint === undefined &&
      (this.#stagedBytes >= 2 * this.#heldLimit || this.#host.egressCarriedFull())
    );
  }

  #wake(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    this.#host.schedule(() => {
      this.#scheduled = false;
      this.#turn();
    });
  }

  #draining(): boolean {
    return this.#checkpoint !== undefined && !this.#checkpoint.snapshotted;
  }

  /**
   * Whether messages taken now are set aside (see the header): while the store holds and
   * its writes and the staged egress reach heldLimit, or while the egress records failed
   * checkpoints carried reach their bound (a checkpoint is then pending: without one, the
   * shard takes no messages at all, #egressAtLimit).
   */
  #settingAside(): boolean {
    return (
      (this.store.held && this.store.bufferedBytes + this.#stagedBytes >= this.#heldLimit) ||
      this.#host.egressCarriedFull() ||
      this.#checkpoint?.setAsideAll === true
    );
  }

  #turn(): void {
    if (this.#stopped) return;
    if (!this.#settingAside()) this.#fireDueTimers();
    this.#waitingFull = false;
    // Counted once per wait, however many wakes (message arrivals) find it still full.
    const egressWasFull = this.#egressFull;
    this.#egressFull = false;
    let n = 0;
    while (n < TURN_ITEMS && !this.#draining()) {
      if (this.#owed > 0) {
        if (this.#recorder.full) {
          this.#waitForRecorder();
          break;
        }
        if (!this.#recordSetAside()) return;
        n++;
        continue;
      }
      const settingAside = this.#settingAside();
      const fromSetAside = !settingAside && this.#setAside.length > 0;
      if (!fromSetAside && this.#mailbox.length === 0) break;
      if (this.#waitingAtLimit) {
        this.#waitingFull = true;
        break;
      }
      if (this.#egressAtLimit) {
        // The barrier's delivery wakes the shard (#enqueue) after overtaking it, and so
        // does the coordinator once the carried records are published (resume).
        if (!egressWasFull) this.egressWaitsTotal++;
        this.#egressFull = true;
        break;
      }
      if (this.#writesAtLimit) {
        this.#waitForWrites();
        break;
      }
      if (this.#checkpoint !== undefined && this.#recorder.full) {
        this.#waitForRecorder();
        break;
      }
      let item: MailItem;
      try {
        item = (fromSetAside ? this.#setAside : this.#mailbox).shift()!;
      } catch (error) {
        this.#host.fail(error);
        return;
      }
      n++;
      if (fromSetAside) {
        // Recorded, if it had to be, when it was taken from the mailbox.
        this.#start(item.envelope!, item.channel, item.keyGroup!);
      } else if (item.barrier !== undefined) {
        this.#onBarrier(item.barrier, item.channel);
      } else {
        this.#record(item.envelope, item.channel);
        if (!settingAside) this.#start(item.envelope, item.channel, item.keyGroup);
        else if (!this.#putAside(item)) return;
      }
    }
    this.store.submit();
    if (this.#draining() || this.#waitingFull || this.#recorderFull || this.#writesFull || this.#egressFull) {
      return;
    }
    if (this.#mailbox.length > 0 || this.#owed > 0 || (this.#setAside.length > 0 && !this.#settingAside())) {
      this.#wake();
    }
  }

  /**
   * Records the first set-aside message as in flight and moves it to the back: after an
   * overtaking snapshot, #owed times, before any other message is taken, so the queue's
   * order is the same afterwards. False if the runtime failed.
   */
  #recordSetAside(): boolean {
    const cp = this.#checkpoint!;
    try {
      const item = this.#setAside.shift()!;
      this.#recorder.record(cp.id, item.envelope!);
      cp.inFlight++;
      this.#setAside.push(item);
    } catch (error) {
      this.#host.fail(error);
      return false;
    }
    this.#owed--;
    return true;
  }

  /** Sets `item` aside; false if it could not be (the runtime failed). */
  #putAside(item: MailItem): boolean {
    try {
      this.#setAside.push(item);
      this.setAsideTotal++;
      return true;
    } catch (error) {
      this.#host.fail(error);
      return false;
    }
  }

  /**
   * The store let its held writes through: the set-aside messages may run, and delayed
   * messages that fell due while they were being set aside may fire.
   */
  release(): void {
    this.store.release();
    this.#wake();
  }

  /** Looks for work again: the egress records that failed checkpoints carried were published. */
  resume(): void {
    this.#wake();
  }

  /**
   * Whether the store's submitted writes fill their bound. None submitted is never full, or
   * a limit below one turn's writes would stop the shard for good.
   */
  get #writesAtLimit(): boolean {
    const bytes = this.store.submittedBytes;
    return bytes > 0 && bytes >= this.#writeLimit;
  }

  /** Takes no more messages until the state engine has written one of the store's writes. */
  #waitForWrites(): void {
    if (this.#writesFull) return;
    this.#writesFull = true;
    this.writeWaitsTotal++;
    this.store.onWritten(() => {
      this.#writesFull = false;
      this.#wake();
    });
  }

  /** Takes no more messages until the recorder's writes have caught up. */
  #waitForRecorder(): void {
    if (this.#recorderFull) return;
    this.#recorderFull = true;
    this.#recorder.onDrained(() => {
      this.#recorderFull = false;
      this.#wake();
    });
  }

  /**
   * Records `envelope` as in flight if its channel's barrier has not arrived yet. A message
   * of the recovery channel (after the ingress) taken during a checkpoint was overtaken.
   */
  #record(envelope: Envelope, channel: number): void {
    const cp = this.#checkpoint;
    if (cp !== undefined && (cp.awaiting.has(channel) || channel > this.#host.ingressChannel)) {
      this.#recorder.record(cp.id, envelope);
      cp.inFlight++;
    }
  }

  /** Runs `envelope`, or queues it behind the running invocation of its address. */
  #start(envelope: Envelope, channel: number, keyGroup: number): void {
    if (this.#busy.size > 0) {
      const key = addressKey(envelope.target);
      const queue = this.#busy.get(key);
      if (queue !== undefined) {
        // Busy: the first message to wait makes the queue (most addresses never need one).
        if (queue === null) this.#busy.set(key, [{ envelope, channel, keyGroup }]);
        else queue.push({ envelope, channel, keyGroup });
        this.#waitingBytes += envelopeBytes(envelope);
        return;
      }
    }
    this.#active++;
    this.#run(undefined, envelope, channel, 1, keyGroup);
  }

  /** Marks the target of `envelope` busy; returns its address key. */
  #markBusy(envelope: Envelope): string {
    const key = addressKey(envelope.target);
    if (!this.#busy.has(key)) this.#busy.set(key, null);
    return key;
  }

  /** `key`: the target's address key if it is busy already (see #busy). */
  #run(
    key: string | undefined,
    envelope: Envelope,
    channel: number,
    attempt: number,
    keyGroup: number,
  ): void {
    let outcome: Outcome | Promise<Outcome>;
    try {
      outcome = this.#host.invoke(envelope, keyGroup, this.store);
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (outcome instanceof Promise) {
      const busy = key ?? this.#markBusy(envelope);
      outcome.then(
        (o) => this.#finish(busy, envelope, channel, attempt, keyGroup, o),
        (error: unknown) => this.#finish(busy, envelope, channel, attempt, keyGroup, { ok: false, error }),
      );
    } else {
      this.#finish(key, envelope, channel, attempt, keyGroup, outcome);
    }
  }

  #finish(
    key: string | undefined,
    envelope: Envelope,
    channel: number,
    attempt: number,
    keyGroup: number,
    outcome: Outcome,
  ): void {
    if (this.#stopped) return;
    if (outcome.ok) {
      try {
        // Commit reads (TTL refreshes) before it writes anything: a throw leaves no trace.
        outcome.commit();
      } catch (error) {
        outcome = { ok: false, error };
      }
    }
    if (outcome.ok) {
      try {
        this.#apply(envelope.target, keyGroup, outcome.effects);
      } catch (error) {
        // Its state writes are committed: going on without its effects would break
        // all-or-nothing, so the runtime stops (a restart replays from the checkpoint).
        this.#host.fail(error);
        return;
      }
    } else if (attempt < this.#host.maxAttempts && this.#host.retryable(outcome.error)) {
      const busy = key ?? this.#markBusy(envelope);
      this.#host.setTimer(this.#host.backoffMs(attempt), () => {
        if (!this.#stopped) this.#run(busy, envelope, channel, attempt + 1, keyGroup);
      });
      return;
    } else {
      this.#host.deadLetter(this, envelope, outcome.error, attempt);
    }
    this.processed++;
    this.#host.onProcessed(channel === this.#host.ingressChannel);
    if (key !== undefined) {
      const next = this.#busy.get(key)?.shift();
      if (next !== undefined) {
        this.#waitingBytes -= envelopeBytes(next.envelope);
        if (this.#waitingFull && !this.#waitingAtLimit) {
          this.#waitingFull = false;
          this.#wake();
        }
        this.#run(key, next.envelope, next.channel, 1, next.keyGroup);
        return;
      }
      this.#busy.delete(key);
    }
    this.#active--;
    if (this.#active === 0 && this.#draining()) this.#snapshot();
    else this.#wake();
  }

  #apply(self: AddressRef, keyGroup: number, effects: Effects): void {
    for (const e of effects.sends) this.#host.route(e, this.index);
    let timersChanged = false;
    for (const d of effects.delayed) {
      if (d.kind === 'delayed') {
        const at = this.#host.now() + d.delayMs;
        this.timers.add(keyGroup, self, d.envelope, at, this.#host.nextTimerNumber(), d.token);
      } else {
        this.timers.cancel(keyGroup, self, d.token);
      }
      timersChanged = true;
    }
    if (effects.egress.length > 0) this.#host.emitEgress(this, effects.egress);
    if (timersChanged) this.#armTimer();
  }

  // --- delayed messages ----------------------------------------------------------------

  #armTimer(): void {
    if (this.#stopped) return;
    const at = this.timers.nextFireAt();
    if (this.#timer !== undefined && this.#timer.at === at) return;
    this.#timer?.handle.cancel();
    this.#timer = undefined;
    if (at === undefined) return;
    const handle = this.#host.setTimer(at - this.#host.now(), () => {
      this.#timer = undefined;
      this.#wake();
    });
    this.#timer = { at, handle };
  }

  #fireDueTimers(): void {
    if (this.#draining()) return;
    const now = this.#host.now();
    let fired = false;
    for (;;) {
      const due = this.timers.popDue(now);
      if (due === undefined) break;
      this.#host.route(due.envelope, this.index);
      fired = true;
    }
    if (fired || this.#timer === undefined) this.#armTimer();
  }

  // --- checkpoints ---------------------------------------------------------------------

  #onBarrier(id: number, channel: number): void {
    let cp = this.#checkpoint;
    if (cp === undefined || cp.id !== id) {
      cp = this.#begin(id);
      cp.awaiting.delete(channel);
      if (this.#active === 0) this.#snapshot();
      return;
    }
    cp.awaiting.delete(channel);
    if (cp.snapshotted && cp.awaiting.size === 0) this.#complete(cp);
  }

  /** Step 1 of checkpoint `id`, with every channel's barrier still to come. */
  #begin(id: number): PendingCheckpoint {
    const awaiting = new Set<number>();
    for (let c = 0; c <= this.#host.ingressChannel; c++) awaiting.add(c);
    const cp = { id, awaiting, inFlight: 0, snapshotted: false, setAsideAll: false };
    this.#checkpoint = cp;
    this.#barrierDelivered = undefined;
    this.#barrierTimer?.cancel();
    this.#barrierTimer = undefined;
    return cp;
  }

  /**
   * Starts checkpoint `id` before any of its barriers came up through the mailbox;
   * `setAsideAll` when its barrier timed out (see PendingCheckpoint).
   */
  #overtake(id: number, setAsideAll: boolean): void {
    this.#begin(id).setAsideAll = setAsideAll;
    if (setAsideAll) this.barrierTimeouts++;
    this.barriersOvertaken++;
    // Otherwise the last invocation to finish takes the snapshot (#finish).
    if (this.#active === 0) this.#snapshot();
  }

  #snapshot(): void {
    const cp = this.#checkpoint!;
    cp.snapshotted = true;
    const written = this.store.hold();
    const staged = this.#staged;
    this.#staged = [];
    this.#stagedBytes = 0;
    this.#checkpointRequested = false;
    // Empty unless the snapshot overtook its barrier: otherwise the mailbox's barrier was
    // taken only once the set-aside messages had all run.
    this.#owed = this.#setAside.length;
    this.#host.onSnapshot(this, cp.id, staged, written);
    this.#host.broadcastBarrier(cp.id, this.index);
    if (cp.awaiting.size === 0) this.#complete(cp);
    this.#wake();
  }

  #complete(cp: PendingCheckpoint): void {
    this.#checkpoint = undefined;
    this.#lastCompleted = cp.id;
    this.#host.onComplete(this, cp.id, cp.inFlight, cp.inFlight > 0 ? this.#recorder.finish() : undefined);
  }
}
