/**
 * Runtime: stateful functions running embedded in this process, on statefn's engine.
 *
 * Files under `dir` (runtime/FORMAT.md):
 *   RUNTIME        format version and maxParallelism
 *   ingress/       the ingress log's idempotency keys (an Engine; its LOCK is the runtime's)
 *   ingress-log/   the durable ingress log's segment files (the source of truth)
 *   state/         the working copy of function state (an Engine, restored at every start)
 *   checkpoints/   a CheckpointStore of the state engine; each checkpoint's metadata holds
 *                  the ingress offset, the egress records it commits and in-flight messages
 *   egress/        committed egress records (an Engine)
 *   spill/         mailbox segments of messages beyond mailboxMemoryBytes (temporary)
 *
 * Start = restore the latest complete checkpoint into state/, publish its egress records
 * again (idempotent), re-deliver its in-flight messages, then replay the ingress log after
 * its offset (the opening and the checks before it live in start-runtime.ts). The state
 * engine needs no durability of its own: a crash loses at most what the ingress log will
 * replay.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CorruptionError } from '../engine/index.js';
import type { CheckpointStore, Engine, FileSystem } from '../engine/index.js';
import { CheckpointCoordinator } from './checkpoint/checkpoint-coordinator.js';
import type { CommittedCheckpoint } from './checkpoint/checkpoint-coordinator.js';
import { InFlightRecorder, readInFlight } from './checkpoint/in-flight-store.js';
import type { EgressRecordData, RuntimeCheckpoint } from './checkpoint/runtime-checkpoint.js';
import type { Clock, Scheduler } from './clock.js';
import { ImmediateScheduler } from './clock.js';
import type { EgressLog } from './egress/egress-log.js';
import { engineShape } from './engine-shape.js';
import type { RuntimeEngines } from './engine-shape.js';
import type { Envelope } from './envelope.js';
import { ClosedError, InvalidArgumentError, RuntimeFailedError } from './errors.js';
import type { IngressLog, IngressRecord } from './ingress/ingress-log.js';
import { FunctionInvoker, deadLetterRecord } from './invoke/function-invoker.js';
import { keyGroupOf, keyGroupRange, shardOfKeyGroup } from './keys/key-group.js';
import { collectionKeyOf, keyStringOf } from './keys/state-keys.js';
import type { ResolvedRuntimeOptions, RuntimeOptions } from './runtime-options.js';
import { EgressMessage } from './sdk/egress-message.js';
import { Message } from './sdk/message.js';
import { carriedBytes, trusted } from './sdk/typed-value-carrier.js';
import { validateTypeName } from './sdk/typename.js';
import { Mailbox } from './shard/mailbox.js';
import { Shard } from './shard/shard.js';
import type { CollectionHeader, EgressDraft, Outcome, ShardHost } from './shard/shard.js';
import { StateStore } from './state/state-store.js';
import { TimerService } from './timers/timer-service.js';
import { fromByteString } from './util/byte-string.js';
import { joinPath } from './util/files.js';

/** Options of {@link Runtime.send}. */
export interface SendOptions {
  /**
   * A producer's key for this message. A message whose key was accepted before (within
   * `idempotencyRetentionMs`) is acknowledged again and not processed a second time.
   */
  idempotencyKey?: string;
}

/**
 * One message of {@link Runtime.sendAll}: a Message, or a Message with the producer's
 * idempotency key for it (as {@link SendOptions}).
 */
export type SendEntry = Message | { readonly message: Message; readonly idempotencyKey?: string | undefined };

/** What {@link Runtime.send} resolved to. */
export interface SendResult {
  /** The message's ingress offset (the first one's, for a duplicate). */
  offset: number;
  /** True if the idempotency key had been accepted already. */
  duplicate: boolean;
}

/** Options of {@link Runtime.egress}. */
export interface EgressOptions {
  /** First offset to read (default 0). */
  from?: number;
  /** Wait for new records once caught up, until the runtime stops (default true). */
  follow?: boolean;
}

/** A committed egress record. */
export interface EgressRecord {
  /** Egress typename. */
  typename: string;
  /** Position in this egress: dense from 0, stable across crashes. */
  offset: number;
  /** The value; read it with `value.as(type)` or `value.asString()`. */
  value: EgressMessage;
}

/** Runtime counters (see {@link Runtime.stats}). */
export interface RuntimeStats {
  mode: 'exactly-once' | 'at-least-once';
  shards: number;
  maxParallelism: number;
  /** Invocations completed (dead-lettered ones included). */
  messagesProcessed: number;
  /** Messages queued in mailboxes or being processed. */
  inFlight: number;
  /** Of the queued messages, those spilled to files now (see `mailboxMemoryBytes`). */
  spilledMessages: number;
  /** Messages spilled to files since start. */
  spilledTotal: number;
  /**
   * Messages set aside since start because the state written during a checkpoint reached
   * its bound (see `stateWriteBufferBytes`); they run once the checkpoint is captured.
   */
  setAsideTotal: number;
  /**
   * Times since start that a shard stopped taking messages because the state engine had
   * not yet written its share of `stateWriteBufferBytes` of its writes (the engine stalls
   * writers while its flushes or compactions are behind).
   */
  writeWaitsTotal: number;
  /**
   * Bytes of the exactly-once egress records the shards staged since their last snapshot,
   * about: they wait in memory for the checkpoint that takes them. At its share of
   * `stateWriteBufferBytes` a shard asks for a checkpoint at once and snapshots as soon as
   * its barrier is delivered; at twice its share it takes no messages until then.
   */
  stagedEgressBytes: number;
  /**
   * Bytes of the egress records that failed checkpoints carried into the next one, about.
   * At `stateWriteBufferBytes` the shards take no messages until a checkpoint takes them.
   */
  carriedEgressBytes: number;
  /**
   * Checkpoints since start that a shard snapshotted as soon as their barrier was
   * delivered, ahead of the messages queued before it (which it recorded as in flight),
   * because its staged egress had reached its share of `stateWriteBufferBytes`.
   */
  barriersOvertaken: number;
  /** Of `barriersOvertaken`, those whose barrier had waited `barrierTimeoutMs`. */
  barrierTimeouts: number;
  /**
   * Times since start that a shard stopped taking messages until a checkpoint's barrier
   * came because its staged egress had reached twice its share of `stateWriteBufferBytes`,
   * or the carried egress (`carriedEgressBytes`) its bound.
   */
  egressWaitsTotal: number;
  /**
   * Lists and maps past their TTL that the runtime deleted since start because a compaction
   * of the state engine reported them (those an invocation finds expired it deletes itself,
   * uncounted here).
   */
  expiredCollectionsRemoved: number;
  /** Ingress messages accepted but not yet processed. */
  ingressBacklog: number;
  /**
   * The ingress log's records on disk: segment files held and their bytes, and the offsets
   * they span (`firstOffset` inclusive, `nextOffset` exclusive).
   */
  ingressLog: { segments: number; bytes: number; firstOffset: number; nextOffset: number };
  /** Completed invocations per function typename. */
  perFunction: Record<string, number>;
  deadLetters: number;
  /** Newest last (at most 20). */
  checkpoints: CommittedCheckpoint[];
  /**
   * The failure of the last checkpoint the runtime started on its own (periodic, or early
   * for staged egress), if that attempt failed.
   */
  lastCheckpointError: string | undefined;
  /**
   * The shape of the runtime's engines now: files and bytes per LSM level, memtables,
   * flushes and compactions. After `stop`, as they were when the runtime closed them.
   */
  engines: RuntimeEngines;
}

/** The dead-letter egress: messages whose function failed `maxAttempts` times, or could not run. */
export const DEAD_LETTER_EGRESS = 'statefn/dead-letters';

const CHECKPOINT_HISTORY = 20;
/** @internal Where mailboxes spill (a directory under the runtime's). */
export const SPILL_DIR = 'spill';

/** @internal Where the state engine's compaction reports go (see start-runtime.ts). */
export interface ExpiredReports {
  to?: (keys: Uint8Array[]) => void;
}

/** @internal A checkpoint in the store and the ingress offset it resumes from. */
export interface RetainedCheckpoint {
  id: string;
  ingressOffset: number;
}

/** @internal Everything start-runtime.ts hands to the constructor. */
export interface RuntimeParts {
  o: ResolvedRuntimeOptions;
  clock: Clock;
  fs: FileSystem;
  maxParallelism: number;
  ingress: IngressLog;
  egressLog: EgressLog;
  store: CheckpointStore;
  db: Engine;
  meta: RuntimeCheckpoint;
  retained: RetainedCheckpoint[];
  reports: ExpiredReports;
}

/** What `api` throws once the runtime has failed with `failure`. */
function failedError(api: string, failure: Error): RuntimeFailedError {
  return new RuntimeFailedError(`${api}: the runtime failed: ${failure.message}`, { cause: failure });
}

/** Throws InvalidArgumentError naming `api` and `name` unless `value` is an egress offset. */
function checkOffset(api: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${api}: ${name} must be an integer >= 0, got ${String(value)}`);
  }
}

/**
 * The part of `stateCacheBytes` that caches state records in the shards (the rest is the
 * state engine's block cache). Records are what invocations read; blocks serve the records
 * that fell out of the record cache and the scans of map state and timers.
 */
export function hotCacheShare(stateCacheBytes: number): number {
  return Math.floor((stateCacheBytes * 3) / 4);
}

export class Runtime {
  readonly #o: ResolvedRuntimeOptions;
  readonly #clock: Clock;
  readonly #scheduler: Scheduler;
  readonly #maxParallelism: number;
  readonly #ingress: IngressLog;
  readonly #egressLog: EgressLog;
  readonly #store: CheckpointStore;
  readonly #db: Engine;
  readonly #shards: Shard[] = [];
  readonly #coordinator: CheckpointCoordinator;
  readonly #invoker: FunctionInvoker;
  #timerNumber: number;
  /** Next ingress offset to hand to a shard. */
  #dispatched: number;
  /** Ingress messages handed to shards and not yet processed. */
  #ingressBacklog = 0;
  /** The log holds durable records not yet dispatched (backlog was full, or replay). */
  #behind = true;
  #ingressPumpScheduled = false;
  readonly #sendWaiters: (() => void)[] = [];
  /** Sends under way: waiting for room in the backlog or for their append. */
  #sending = 0;
  /** Set by `stop` while it waits for #sending to reach 0. */
  #noSends: (() => void) | undefined;
  #deadLetters = 0;
  readonly #perFunction = new Map<string, number>();
  readonly #history: CommittedCheckpoint[] = [];
  /** The checkpoints the store keeps, oldest first: the oldest bounds the ingress trim. */
  readonly #retained: RetainedCheckpoint[];
  #lastCheckpointError: string | undefined;
  #periodic: { cancel(): void } | undefined;
  #failure: Error | undefined;
  #stopping: Promise<void> | undefined;
  #stopped = false;
  #egressPublishes = 0;
  #publishing: Promise<void> = Promise.resolve();
  /** At-least-once egress records with offsets, waiting for this turn's publish. */
  #unpublished: EgressRecordData[] = [];
  /** The engines' shape when `stop` closed them (a closed engine has no stats). */
  #closedEngines: RuntimeEngines | undefined;

  private constructor(parts: RuntimeParts) {
    this.#retained = parts.retained;
    this.#o = parts.o;
    this.#clock = parts.clock;
    this.#scheduler = parts.o.scheduler ?? new ImmediateScheduler();
    this.#maxParallelism = parts.maxParallelism;
    this.#ingress = parts.ingress;
    this.#egressLog = parts.egressLog;
    this.#store = parts.store;
    this.#db = parts.db;
    this.#timerNumber = parts.meta.nextTimerNumber;
    this.#dispatched = parts.meta.ingressOffset;
    this.#invoker = new FunctionInvoker(parts.o.statefun, this.#clock, parts.o.invocationTimeoutMs);
    this.#coordinator = new CheckpointCoordinator(
      this.#coordinatorHost(),
      new Map(parts.meta.egressNext),
      parts.meta.barrier,
    );
    this.#egressLog.subscribe(() => this.#egressPublishes++);
    const host = this.#shardHost();
    const hotCacheBytes = Math.floor(hotCacheShare(parts.o.stateCacheBytes) / parts.o.shards);
    const mailboxShare = Math.floor(parts.o.mailboxMemoryBytes / parts.o.shards);
    const spillDir = joinPath(parts.o.dir, SPILL_DIR);
    // Each shard's share of the state write buffer bounds both its held and its unwritten writes.
    const writeShare = Math.floor(parts.o.stateWriteBufferBytes / parts.o.shards);
    for (let s = 0; s < parts.o.shards; s++) {
      const store = new StateStore(this.#db, hotCacheBytes, (err) => this.#fail(err));
      const timers = new TimerService(store, Math.ceil(parts.o.maxTimersInMemory / parts.o.shards));
      const [start, end] = keyGroupRange(s, this.#maxParallelism, parts.o.shards);
      const groups: number[] = [];
      for (let kg = start; kg < end; kg++) groups.push(kg);
      timers.load(groups);
      this.#timerNumber = Math.max(this.#timerNumber, timers.maxNumber() + 1);
      // The share in eighths: five for the mailbox, one each for messages set aside during a
      // checkpoint, messages waiting behind busy addresses, and in-flight records waiting for
      // their write.
      const eighth = Math.floor(mailboxShare / 8);
      this.#shards.push(
        new Shard(s, host, {
          store,
          timers,
          mailbox: new Mailbox(parts.fs, spillDir, `shard-${s}`, 5 * eighth),
          setAside: new Mailbox(parts.fs, spillDir, `shard-${s}-aside`, eighth),
          recorder: new InFlightRecorder(this.#db, s, eighth, (err) => this.#fail(err)),
          waitingLimit: eighth,
          heldLimit: writeShare,
          writeLimit: writeShare,
          barrierTimeoutMs: parts.o.barrierTimeoutMs,
        }),
      );
    }
    const recoveryChannel = this.#shards.length + 1;
    for (const e of parts.meta.inFlight) this.#route(e, recoveryChannel);
    const stored = readInFlight(this.#db, parts.meta.barrier, (e) => this.#route(e, recoveryChannel));
    if (stored !== parts.meta.storedInFlight) {
      throw new CorruptionError(
        `checkpoint of barrier ${parts.meta.barrier}`,
        undefined,
        `the state engine holds ${stored} in-flight messages, the metadata counts ${parts.meta.storedInFlight}`,
      );
    }
    for (const shard of this.#shards) shard.armTimers();
    this.#ingress.onDurable((record) => this.#onDurable(record));
    parts.reports.to = (keys) => this.#removeExpired(keys);
    this.#pumpIngress();
    this.#armPeriodic();
  }

  /**
   * Starts the runtime on `options.dir`: recovers from the latest complete checkpoint and
   * replays the ingress log after it. Rejects with InvalidArgumentError for bad options,
   * LockedError if another runtime has the directory, IncompatibleFormatError for data of
   * a newer statefn or of runtime format 1, CorruptionError if the latest checkpoint is damaged.
   */
  static async start(options: RuntimeOptions): Promise<Runtime> {
    const { startRuntime } = await import('./start-runtime.js');
    return startRuntime(options, (parts) => new Runtime(parts));
  }

  // --- the public API ------------------------------------------------------------------

  /**
   * Appends `message` to the durable ingress log; resolves once it is durable (fsynced).
   * Waits first while more than `maxIngressBacklog` accepted messages are unprocessed.
   */
  send(message: Message, options?: SendOptions): Promise<SendResult> {
    // Not an async function: a send is made per message, and when there is room it goes
    // straight to the log, without the promises and turns an async function's awaits add.
    let envelope: Envelope;
    let key: string | undefined;
    try {
      [envelope, key] = this.#checkSend(message, options);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // Counted from here, so the runtime is not quiescent while a send waits for room.
    this.#sending++;
    if (this.#unprocessed() >= this.#o.maxIngressBacklog) {
      return this.#whenRoom('Runtime.send', () => this.#append(envelope, key));
    }
    return this.#append(envelope, key);
  }

  /**
   * Appends `entries` to the durable ingress log together, each a record of its own at
   * consecutive offsets, in one write: after a crash all of them are in the log or none is.
   * Resolves once they are durable (fsynced), with each entry's SendResult in order; an entry
   * whose idempotency key was accepted before is a duplicate, as with `send`, and takes no
   * offset. Every entry is checked first: one bad entry refuses the whole batch. Waits first
   * while more than `maxIngressBacklog` accepted messages are unprocessed; a batch holds at
   * most that many. For producers that receive messages in batches (a Kafka poll, a bulk
   * request): one call, one promise and one fsync for the lot.
   */
  sendAll(entries: readonly SendEntry[]): Promise<SendResult[]> {
    let items: [Envelope, string | undefined][];
    try {
      items = this.#checkSendAll(entries);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (items.length === 0) return Promise.resolve([]);
    this.#sending++;
    if (this.#unprocessed() >= this.#o.maxIngressBacklog) {
      return this.#whenRoom('Runtime.sendAll', () => this.#appendAll(items));
    }
    return this.#appendAll(items);
  }

  #checkSend(message: Message, options: SendOptions | undefined): [Envelope, string | undefined] {
    const api = 'Runtime.send';
    this.#checkRunning(api);
    return this.#checkEntry(api, '', message, options);
  }

  #checkSendAll(entries: readonly SendEntry[]): [Envelope, string | undefined][] {
    const api = 'Runtime.sendAll';
    this.#checkRunning(api);
    if (!Array.isArray(entries)) throw new InvalidArgumentError(`${api}: entries must be an array`);
    const limit = this.#o.maxIngressBacklog;
    if (entries.length > limit) {
      throw new InvalidArgumentError(
        `${api}: a batch holds at most maxIngressBacklog (${limit}) messages, got ${entries.length}`,
      );
    }
    const items: [Envelope, string | undefined][] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry: unknown = entries[i];
      if (entry instanceof Message) {
        items.push(this.#checkEntry(api, `entries[${i}].`, entry, undefined));
      } else if (typeof entry === 'object' && entry !== null && 'message' in entry) {
        const { message, idempotencyKey } = entry as { message: unknown; idempotencyKey?: unknown };
        items.push(this.#checkEntry(api, `entries[${i}].`, message, { idempotencyKey } as SendOptions));
      } else {
        throw new InvalidArgumentError(
          `${api}: entries[${i}] must be a Message or { message, idempotencyKey? } (made with messageBuilder)`,
        );
      }
    }
    return items;
  }

  /**
   * Checks one message and its options for `api`; `where` prefixes the names of what it
   * checks (empty for `send`, `entries[i].` for `sendAll`).
   */
  #checkEntry(
    api: string,
    where: string,
    message: unknown,
    options: SendOptions | undefined,
  ): [Envelope, string | undefined] {
    if (!(message instanceof Message)) {
      throw new InvalidArgumentError(`${api}: ${where}message must be a Message (made with messageBuilder)`);
    }
    let key: string | undefined;
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null) {
        throw new InvalidArgumentError(`${api}: options must be an object`);
      }
      key = options.idempotencyKey;
      if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 1024)) {
        throw new InvalidArgumentError(
          `${api}: ${where}idempotencyKey must be a string of 1 to 1024 characters`,
        );
      }
    }
    const target = message.targetAddress;
    if (this.#o.statefun.functionSpec(target.typename) === undefined) {
      const entry = where === '' ? '' : `${where.slice(0, -1)}: `;
      throw new InvalidArgumentError(`${api}: ${entry}no function is bound to typename '${target.typename}'`);
    }
    const envelope: Envelope = {
      target: { typename: target.typename, id: target.id },
      caller: undefined,
      valueTypename: message.valueTypeName,
      value: carriedBytes(message),
    };
    return [envelope, key];
  }

  /** A send that found the backlog full: waits for room, then appends (`append`). */
  async #whenRoom<T>(api: string, append: () => Promise<T>): Promise<T> {
    try {
      while (this.#unprocessed() >= this.#o.maxIngressBacklog) {
        await new Promise<void>((resolve) => this.#sendWaiters.push(resolve));
        this.#checkRunning(api);
      }
    } catch (err) {
      this.#sendDone();
      throw err;
    }
    return append();
  }

  /** Appends a counted send to the log; uncounts it once the append settled. */
  #append(envelope: Envelope, key: string | undefined): Promise<SendResult> {
    let append: Promise<SendResult>;
    try {
      // The log reads the time only for idempotency keys.
      append = this.#ingress.append(envelope, key, key === undefined ? 0 : this.#clock.now());
    } catch (err) {
      this.#sendDone();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.#settled(append);
  }

  /** Appends a counted sendAll's messages to the log together; uncounts it once they settled. */
  #appendAll(items: readonly (readonly [Envelope, string | undefined])[]): Promise<SendResult[]> {
    let appends: Promise<SendResult>[];
    try {
      appends = this.#ingress.appendAll(items, this.#clock.now());
    } catch (err) {
      this.#sendDone();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.#settled(Promise.all(appends));
  }

  /** Uncounts a counted send's append once it settles. */
  #settled<T>(append: Promise<T>): Promise<T> {
    return append.then(
      (result) => {
        this.#sendDone();
        return result;
      },
      (err: unknown) => {
        // A refused argument took no offset; anything else is the log failing.
        if (!(err instanceof InvalidArgumentError)) this.#fail(err);
        this.#sendDone();
        throw err;
      },
    );
  }

  #sendDone(): void {
    this.#sending--;
    if (this.#sending === 0 && this.#noSends !== undefined) {
      const resolve = this.#noSends;
      this.#noSends = undefined;
      resolve();
    }
    // A duplicate appends nothing, so no processed message will wake the next waiter.
    this.#wakeSenders();
  }

  /** Lets waiting sends check again for room (each re-checks; the rest wait again). */
  #wakeSenders(): void {
    if (this.#sendWaiters.length === 0) return;
    for (const wake of this.#sendWaiters.splice(0)) wake();
  }

  /**
   * Committed records of egress `typename` from offset `options.from`, then (unless
   * `follow` is false) new ones as they commit, until the runtime stops. In exactly-once
   * mode a record appears only once the checkpoint that covers it is complete. If the
   * runtime fails, a follower gets the committed records, then RuntimeFailedError.
   */
  async *egress(typename: string, options?: EgressOptions): AsyncGenerator<EgressRecord> {
    validateTypeName(typename, 'Runtime.egress');
    const from = options?.from ?? 0;
    checkOffset('Runtime.egress', 'from', from);
    const follow = options?.follow ?? true;
    let next = from;
    for (;;) {
      const seen = this.#egressPublishes;
      for (const r of this.#egressLog.read(typename, next)) {
        next = r.offset + 1;
        // Trusted: the typenames were checked when the record was made, and the bytes are
        // the message's own (made from the record's byte string).
        const value = trusted(
          () => new EgressMessage(typename, { typename: r.valueTypename, bytes: fromByteString(r.value) }),
        );
        yield { typename, offset: r.offset, value };
      }
      if (!follow) return;
      // Committed records stay readable after a failure; a follower then learns of it.
      if (this.#failure !== undefined) this.#checkRunning('Runtime.egress');
      if (this.#stopped || this.#stopping !== undefined) return;
      if (this.#egressPublishes === seen) {
        await new Promise<void>((resolve) => {
          const unsubscribe = this.#egressLog.subscribe(() => {
            unsubscribe();
            resolve();
          });
        });
      }
    }
  }

  /**
   * Deletes the records of egress `typename` below offset `before` for good, once its
   * consumers are done with them: without trimming, an egress keeps every record. Offsets do
   * not change; a read from below the trimmed part starts at its first remaining record (see
   * `egressFloor`). Records not yet committed are never trimmed: `before` past the committed
   * end trims up to it. Durable when it resolves, to the new floor.
   */
  async trimEgress(typename: string, before: number): Promise<number> {
    this.#checkRunning('Runtime.trimEgress');
    validateTypeName(typename, 'Runtime.trimEgress');
    checkOffset('Runtime.trimEgress', 'before', before);
    return this.#egressLog.trim(typename, before);
  }

  /** The offset of egress `typename`'s first record kept: those below were trimmed (0 if none). */
  egressFloor(typename: string): number {
    validateTypeName(typename, 'Runtime.egressFloor');
    return this.#egressLog.floor(typename);
  }

  /** Takes a checkpoint now; resolves when it is complete. */
  checkpoint(): Promise<CommittedCheckpoint> {
    try {
      this.#checkRunning('Runtime.checkpoint');
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.#coordinator.trigger();
  }

  /**
   * Resolves when no message is queued or running and the ingress log is fully
   * dispatched (pending delayed messages do not count). Polls with setImmediate.
   */
  async idle(): Promise<void> {
    while (!this.quiescent) {
      this.#checkRunning('Runtime.idle');
      await nextTurn();
    }
  }

  /** True when nothing is queued, running or waiting to be dispatched. */
  get quiescent(): boolean {
    return (
      !this.#behind &&
      this.#sending === 0 &&
      this.#dispatched === this.#ingress.nextOffset &&
      this.#shards.every((s) => s.idle)
    );
  }

  /** Counters, the checkpoint history and the shape of the engines. */
  stats(): RuntimeStats {
    return {
      mode: this.#o.mode,
      shards: this.#shards.length,
      maxParallelism: this.#maxParallelism,
      messagesProcessed: this.#shards.reduce((n, s) => n + s.processed, 0),
      inFlight: this.#shards.reduce((n, s) => n + s.backlog, 0),
      spilledMessages: this.#shards.reduce((n, s) => n + s.mailbox.spilledItems, 0),
      spilledTotal: this.#shards.reduce((n, s) => n + s.mailbox.spilledTotal, 0),
      setAsideTotal: this.#shards.reduce((n, s) => n + s.setAsideTotal, 0),
      writeWaitsTotal: this.#shards.reduce((n, s) => n + s.writeWaitsTotal, 0),
      stagedEgressBytes: this.#shards.reduce((n, s) => n + s.stagedBytes, 0),
      carriedEgressBytes: this.#coordinator.carriedBytes,
      barriersOvertaken: this.#shards.reduce((n, s) => n + s.barriersOvertaken, 0),
      barrierTimeouts: this.#shards.reduce((n, s) => n + s.barrierTimeouts, 0),
      egressWaitsTotal: this.#shards.reduce((n, s) => n + s.egressWaitsTotal, 0),
      expiredCollectionsRemoved: this.#shards.reduce((n, s) => n + s.expiredRemoved, 0),
      ingressBacklog: this.#unprocessed(),
      ingressLog: {
        ...this.#ingress.segmentStats(),
        firstOffset: this.#ingress.firstOffset,
        nextOffset: this.#ingress.nextOffset,
      },
      perFunction: Object.fromEntries(this.#perFunction),
      deadLetters: this.#deadLetters,
      checkpoints: [...this.#history],
      lastCheckpointError: this.#lastCheckpointError,
      engines: this.#closedEngines ?? this.#engines(),
    };
  }

  #engines(): RuntimeEngines {
    return {
      state: engineShape(this.#db.stats()),
      ingress: engineShape(this.#ingress.stats()),
      egress: engineShape(this.#egressLog.stats()),
    };
  }

  /**
   * Stops gracefully: refuses new sends, waits for accepted ones, finishes running
   * invocations and takes a final checkpoint (which records the messages still in flight,
   * so they are processed after the next start), then closes. Idempotent. An async
   * function that hangs holds the stop until it fails for good: `invocationTimeoutMs` per
   * attempt, `maxAttempts` attempts, with their backoffs.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#periodic?.cancel();
    this.#wakeSenders();
    let error: Error | undefined;
    try {
      // Sends waiting for room were woken above and fail; appends settle as they are written.
      if (this.#sending > 0) await new Promise<void>((resolve) => (this.#noSends = resolve));
      if (this.#failure === undefined) await this.#coordinator.trigger();
    } catch (err) {
      error = err as Error;
    }
    this.#halt();
    await Promise.allSettled(this.#shards.map((s) => s.store.settled()));
    this.#publishUnpublished();
    await this.#publishing.catch(() => undefined);
    this.#closedEngines = this.#engines();
    const closing = await Promise.allSettled([
      this.#db.close(),
      this.#ingress.close(),
      this.#egressLog.close(),
      this.#store.close(),
    ]);
    for (const c of closing) if (c.status === 'rejected') error ??= c.reason as Error;
    if (error !== undefined) throw error;
  }

  #halt(): void {
    this.#stopped = true;
    this.#periodic?.cancel();
    for (const s of this.#shards) s.stop();
  }

  /** @internal Compacts the whole state engine now (tests of compaction-time cleanup). */
  compactState(): Promise<void> {
    this.#checkRunning('Runtime.compactState');
    return this.#db.compactRange();
  }

  /** @internal Simulates a crash: stops all processing at once, closing nothing. */
  abandon(): void {
    this.#stopping ??= Promise.resolve();
    this.#halt();
  }

  // --- internals -----------------------------------------------------------------------

  #checkRunning(api: string): void {
    if (this.#failure !== undefined) throw failedError(api, this.#failure);
    if (this.#stopping !== undefined || this.#stopped)
      throw new ClosedError(`${api}: the runtime is stopped`);
  }

  /**
   * A compaction of the state engine reported these keys of expired list or map headers
   * (state/ttl-filter.ts): each goes to the shard that owns its key group, which deletes
   * the list or map if its newest header has expired too (state/expired-collections.ts).
   */
  #removeExpired(keys: Uint8Array[]): void {
    if (this.#stopping !== undefined || this.#stopped || this.#failure !== undefined) return;
    const perShard = new Map<Shard, CollectionHeader[]>();
    for (const bytes of keys) {
      const key = keyStringOf(bytes);
      const names = collectionKeyOf(key);
      if (names === undefined || names.keyGroup >= this.#maxParallelism) continue;
      const shard = this.#shards[shardOfKeyGroup(names.keyGroup, this.#maxParallelism, this.#shards.length)]!;
      let headers = perShard.get(shard);
      if (headers === undefined) perShard.set(shard, (headers = []));
      headers.push({ ...names, key });
    }
    const now = this.#clock.now();
    try {
      for (const [shard, headers] of perShard) shard.removeExpired(headers, now);
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = err instanceof Error ? err : new Error(String(err));
    this.#halt();
    this.#wakeSenders();
    this.#egressLog.wakeReaders();
    // The shards stopped: a checkpoint under way would wait for their barriers forever.
    this.#coordinator.abort(failedError('Runtime.checkpoint', this.#failure));
  }

  #unprocessed(): number {
    return this.#ingress.nextOffset - this.#dispatched + this.#ingressBacklog;
  }

  /** Delivers `e` on `channel` to the shard that owns its target's key group. */
  #route(e: Envelope, channel: number): void {
    const kg = keyGroupOf(e.target.id, this.#maxParallelism);
    this.#shards[shardOfKeyGroup(kg, this.#maxParallelism, this.#shards.length)]!.deliver(e, channel, kg);
  }

  #onDurable(record: IngressRecord): void {
    if (this.#stopped) return;
    if (
      !this.#behind &&
      record.offset === this.#dispatched &&
      this.#ingressBacklog < this.#o.maxIngressBacklog
    ) {
      this.#dispatch(record.envelope);
    } else {
      this.#behind = true;
      this.#schedulePump();
    }
  }

  #dispatch(envelope: Envelope): void {
    this.#dispatched++;
    this.#ingressBacklog++;
    this.#route(envelope, this.#shards.length);
  }

  #schedulePump(): void {
    if (this.#ingressPumpScheduled || this.#stopped) return;
    this.#ingressPumpScheduled = true;
    this.#scheduler.schedule(() => {
      this.#ingressPumpScheduled = false;
      this.#pumpIngress();
    });
  }

  /** Reads records the log holds beyond what was dispatched, as far as the backlog allows. */
  #pumpIngress(): void {
    if (!this.#behind || this.#stopped) return;
    const room = this.#o.maxIngressBacklog - this.#ingressBacklog;
    if (room <= 0) return;
    let n = 0;
    for (const record of this.#ingress.read(this.#dispatched)) {
      if (n++ >= room) return;
      this.#dispatch(record.envelope);
    }
    this.#behind = false;
  }

  /**
   * Periodic checkpoints start `checkpointIntervalMs` apart, start to start, as Flink's
   * checkpoint interval does: the next timer is armed when one fires, so the time a
   * checkpoint takes does not stretch the period (and the wait of exactly-once egress). One
   * that falls due while another runs starts as soon as it ends; more that fall due
   * meanwhile share that one (CheckpointCoordinator.trigger).
   */
  #armPeriodic(): void {
    const interval = this.#o.checkpointIntervalMs;
    if (interval === 0 || this.#stopped) return;
    this.#periodic = this.#clock.setTimer(interval, () => {
      this.#periodic = undefined;
      if (this.#stopped || this.#stopping !== undefined || this.#failure !== undefined) return;
      this.#armPeriodic();
      this.#triggerCheckpoint();
    });
  }

  /**
   * A checkpoint the runtime starts on its own (periodic, or asked for by a shard whose
   * staged egress reached its bound): now, or the one queued after the running one (shared
   * with every other caller). Its failure is kept for `stats().lastCheckpointError`.
   */
  #triggerCheckpoint(): void {
    if (this.#stopped || this.#stopping !== undefined || this.#failure !== undefined) return;
    this.#coordinator.trigger().then(
      () => {
        this.#lastCheckpointError = undefined;
      },
      (err: unknown) => {
        this.#lastCheckpointError = err instanceof Error ? err.message : String(err);
      },
    );
  }

  #emitEgress(shard: Shard, drafts: readonly EgressDraft[]): void {
    if (this.#o.mode === 'exactly-once') {
      shard.stage(drafts);
      return;
    }
    // Offsets now, in invocation order; the records of one turn share one engine write
    // (one write per invocation cost more than the invocation).
    for (const r of this.#coordinator.assignOffsets(drafts)) this.#unpublished.push(r);
    if (this.#unpublished.length === drafts.length) queueMicrotask(() => this.#publishUnpublished());
  }

  /** Publishes the at-least-once egress records emitted so far, after those before them. */
  #publishUnpublished(): void {
    if (this.#unpublished.length === 0) return;
    const records = this.#unpublished;
    this.#unpublished = [];
    this.#publishing = this.#publishing
      .then(() => this.#egressLog.publish(records, false))
      .catch((err: unknown) => this.#fail(err));
  }

  #shardHost(): ShardHost {
    const shardCount = this.#o.shards;
    return {
      shardCount,
      ingressChannel: shardCount,
      maxAttempts: this.#o.maxAttempts,
      now: () => this.#clock.now(),
      invoke: (envelope, keyGroup, store): Outcome | Promise<Outcome> => {
        const typename = envelope.target.typename;
        this.#perFunction.set(typename, (this.#perFunction.get(typename) ?? 0) + 1);
        return this.#invoker.invoke(envelope, keyGroup, store);
      },
      route: (envelope, from) => this.#route(envelope, from),
      broadcastBarrier: (id, from) => {
        for (const s of this.#shards) s.deliverBarrier(id, from);
      },
      nextTimerNumber: () => this.#timerNumber++,
      emitEgress: (shard, records) => this.#emitEgress(shard, records),
      deadLetter: (shard, envelope, error, attempts) => {
        this.#deadLetters++;
        this.#emitEgress(shard, [deadLetterRecord(DEAD_LETTER_EGRESS, envelope, error, attempts)]);
      },
      retryable: (error) => this.#invoker.retryable(error),
      fail: (error) => this.#fail(error),
      backoffMs: (attempt) => Math.min(1000, this.#o.retryBackoffMs * 2 ** (attempt - 1)),
      schedule: (task) => this.#scheduler.schedule(task),
      setTimer: (delayMs, task) => this.#clock.setTimer(delayMs, task),
      onSnapshot: (shard, id, egress, written) => this.#coordinator.onSnapshot(shard, id, egress, written),
      onComplete: (shard, id, inFlight, written) =>
        this.#coordinator.onComplete(shard, id, inFlight, written),
      requestCheckpoint: () => this.#triggerCheckpoint(),
      egressCarriedFull: () => this.#coordinator.carriedBytes >= this.#o.stateWriteBufferBytes,
      onProcessed: (fromIngress) => {
        if (!fromIngress) return;
        this.#ingressBacklog--;
        if (this.#behind) this.#schedulePump();
        this.#wakeSenders();
      },
    };
  }

  #coordinatorHost(): ConstructorParameters<typeof CheckpointCoordinator>[0] {
    return {
      db: this.#db,
      store: this.#store,
      egressLog: this.#egressLog,
      shards: this.#shards,
      maxParallelism: this.#maxParallelism,
      retainedCheckpoints: this.#o.retainedCheckpoints,
      beforeCapture: () => {
        // At-least-once egress is published unsynced; a checkpoint must not record
        // next-offsets past records a crash could still lose.
        if (this.#o.mode === 'exactly-once') return undefined;
        this.#publishUnpublished();
        return this.#publishing.then(() => this.#egressLog.sync());
      },
      injectBarrier: (id) => {
        for (const s of this.#shards) s.deliverBarrier(id, this.#shards.length);
        return this.#dispatched;
      },
      nextTimerNumber: () => this.#timerNumber,
      onCommitted: async (info) => {
        this.#history.push(info);
        if (this.#history.length > CHECKPOINT_HISTORY) this.#history.shift();
        // The store has just kept the newest retainedCheckpoints ones: the same here.
        this.#retained.push({ id: info.id, ingressOffset: info.ingressOffset });
        this.#retained.splice(0, Math.max(0, this.#retained.length - this.#o.retainedCheckpoints));
        await this.#trimLogs();
      },
    };
  }

  /**
   * Drops ingress records no retained checkpoint needs, expired idempotency keys, and egress
   * records past `egressRetainRecords`.
   */
  async #trimLogs(): Promise<void> {
    const oldest = this.#retained[0];
    if (oldest !== undefined) await this.#ingress.trimBefore(oldest.ingressOffset);
    await this.#ingress.expireKeys(this.#clock.now() - this.#o.idempotencyRetentionMs);
    if (this.#o.egressRetainRecords !== undefined) await this.#egressLog.retain(this.#o.egressRetainRecords);
  }
}

/** Stops `rt` as a crash would (tests: nothing is closed or flushed). */
export function abandonRuntime(rt: Runtime): void {
  rt.abandon();
}
