/**
 * Options of `Runtime.start`, validated when passed: a bad option gets an
 * InvalidArgumentError that names it and its allowed range.
 */
import type { FileSystem } from '../engine/index.js';
import { FILE_SYSTEM_METHODS } from '../engine/index.js';
import type { Clock, Scheduler } from './clock.js';
import { InvalidArgumentError } from './errors.js';
import { MAX_KEY_GROUPS } from './keys/key-group.js';
import { describeValue } from './sdk/describe-value.js';
import { StateFun } from './sdk/statefun.js';

/** Options of {@link Runtime.start}. */
export interface RuntimeOptions {
  /** Directory of the application's data; created if missing. */
  dir: string;
  /** The functions to run. */
  statefun: StateFun;
  /** Shards splitting the key groups (default 4). May change between runs. */
  shards?: number;
  /** Key groups, fixed for the life of the data (default 128, at most 32768). */
  maxParallelism?: number;
  /**
   * Time between the starts of periodic checkpoints, ms (default 1000; 0 turns them off).
   * One that falls due while another runs starts when that one ends.
   */
  checkpointIntervalMs?: number;
  /** Complete checkpoints kept (default 3). */
  retainedCheckpoints?: number;
  /** Delivery guarantee of state and egress (default 'exactly-once'). */
  mode?: 'exactly-once' | 'at-least-once';
  /** Invocations of a failing message before it goes to the dead-letter egress (default 5). */
  maxAttempts?: number;
  /** Backoff before the first retry, ms, doubling per attempt up to 1000 (default 10; at most 1000). */
  retryBackoffMs?: number;
  /**
   * How long an async function's promise may take to settle, ms (default 60000, as Apache
   * StateFun's per-call timeout; 1 to 86400000). An invocation still pending then fails with
   * InvocationTimeoutError: like any other function error it is retried after the backoff,
   * and after `maxAttempts` goes to the dead-letter egress. What the function does after
   * its timeout is dropped (its later sends and state accesses throw InvocationClosedError),
   * so its address and the checkpoints behind it go on. Synchronous functions are not timed.
   */
  invocationTimeoutMs?: number;
  /** Ingress messages accepted but not yet processed before `send` waits (default 100000). */
  maxIngressBacklog?: number;
  /** How long an accepted idempotency key is remembered, ms (default 24 hours). */
  idempotencyRetentionMs?: number;
  /**
   * Hot state kept in memory, bytes (default 64 MiB; 4 MiB to 64 GiB): three quarters cache
   * state records in the shards (about the least recently used out first), one quarter is the state
   * engine's block cache.
   */
  stateCacheBytes?: number;
  /**
   * The state engine's memtable size, bytes (default 32 MiB; 1 MiB to 1 GiB). State written
   * since the last flush lives there, and a checkpoint carries it as the WAL's new bytes
   * instead of flushing it: a larger memtable means fewer flushes and compactions (whose
   * outputs the next checkpoint copies) and more to replay when a checkpoint is restored.
   * Up to three are in memory at once (the active one and two being flushed). It also
   * bounds, split evenly among the shards, the state and egress records written while a
   * checkpoint is under way, which wait in memory until the checkpoint is captured: a shard
   * at its share sets the messages it takes aside (spilling them like its mailbox) until then.
   * And it bounds, per shard likewise, the state writes handed to the engine and not yet
   * written: a shard at its share takes no more messages until the engine writes them; and
   * the egress records waiting for the next checkpoint: a shard at its share starts that
   * checkpoint early.
   */
  stateWriteBufferBytes?: number;
  /**
   * Delayed messages (`context.sendAfter`) kept in memory, split evenly among the shards
   * (default 100000; 1 to 100000000). Every pending delayed message is in the state engine;
   * the earliest ones are also in memory, and the next ones are read as those fire, so any
   * number of messages may be pending. Reading them in costs a scan per shard: a larger
   * budget means fewer, larger scans.
   */
  maxTimersInMemory?: number;
  /**
   * Memory for queued messages, bytes, split evenly among the shards (default 64 MiB; 1 KiB
   * to 64 GiB). Ingress is bounded by `maxIngressBacklog`, but functions may send more
   * messages than they receive (fan-out, growing cycles). A shard's mailbox keeps its
   * messages in memory up to five eighths of its share and spills the rest, in order, to
   * files under `dir/spill/` that it reads back as it catches up (no fsync: after a crash
   * the checkpoint and the ingress log bring them back). One eighth each bounds the
   * messages a shard sets aside while a checkpoint is under way (see
   * `stateWriteBufferBytes`), the messages taken from the mailbox that wait behind a running
   * async invocation of their address, and the messages a checkpoint records in flight that
   * wait for their write to the state engine (the shard takes no more messages while either
   * of the last two is full).
   */
  mailboxMemoryBytes?: number;
  /**
   * Table files the runtime's three engines keep open at once (default 1000; 64 to
   * 1000000): half for the state engine, a quarter each for the ingress and egress logs.
   * Files beyond it are closed and opened again when read. Keep it under the process's
   * open-file limit (`ulimit -n`), with room for the logs and the application.
   */
  maxOpenFiles?: number;
  /**
   * Records each egress keeps (default: all, until `trimEgress`; 1 to 2^53 − 1). After each
   * checkpoint, an egress that received records and holds more than this is trimmed to its
   * newest ones, as `trimEgress` would: a consumer that falls further behind misses records
   * (its reads start at `egressFloor`). A safety net for disk space; consumers that must
   * see every record trim what they have read instead.
   */
  egressRetainRecords?: number;
  /**
   * How the runtime's engines fsync their write-ahead logs for durable writes (`rt.send`'s
   * ingress appends, egress publication at checkpoints): the engine's `walSyncMode`.
   * `'inline'` (the default on the machine's file system) runs each commit group's fsync on
   * the main thread, blocking it (and so the shards) for the fsync, for lower acknowledgement
   * latency; `'async'` runs it on libuv's thread pool, so the shards keep running while it
   * lasts. With a custom `fileSystem` the default is `'async'`.
   */
  walSyncMode?: 'inline' | 'async';
  /**
   * How long a checkpoint's barrier may wait in a shard's mailbox, ms (default 0: as long as
   * the messages queued ahead of it take to run; 0 to 86400000). Past it, the shard
   * snapshots without it: the messages queued ahead are recorded as in flight and set aside
   * without running until the barriers of every channel have arrived, then run. A
   * checkpoint over a backlog then takes about this long plus the time to record the
   * backlog, rather than the time to process it, at the cost of writing the recorded
   * messages to the state engine: Flink's unaligned checkpoints after its aligned-checkpoint
   * timeout.
   */
  barrierTimeoutMs?: number;
  /** Where files live (default: the machine's file system). For tests: a MemoryFileSystem. */
  fileSystem?: FileSystem;
  /** Time source (default: the system clock). For deterministic tests: a ManualClock. */
  clock?: Clock;
  /** Runs the shards' work (default: setImmediate). For deterministic tests: a SeededScheduler. */
  scheduler?: Scheduler;
}

export interface ResolvedRuntimeOptions {
  dir: string;
  statefun: StateFun;
  shards: number;
  maxParallelism: number | undefined;
  checkpointIntervalMs: number;
  retainedCheckpoints: number;
  mode: 'exactly-once' | 'at-least-once';
  maxAttempts: number;
  retryBackoffMs: number;
  invocationTimeoutMs: number;
  maxIngressBacklog: number;
  idempotencyRetentionMs: number;
  stateCacheBytes: number;
  stateWriteBufferBytes: number;
  maxTimersInMemory: number;
  mailboxMemoryBytes: number;
  maxOpenFiles: number;
  egressRetainRecords: number | undefined;
  walSyncMode: 'inline' | 'async' | undefined;
  barrierTimeoutMs: number;
  fileSystem: FileSystem | undefined;
  clock: Clock | undefined;
  scheduler: Scheduler | undefined;
}

const API = 'Runtime.start';
const KNOWN = new Set([
  'dir',
  'statefun',
  'shards',
  'maxParallelism',
  'checkpointIntervalMs',
  'retainedCheckpoints',
  'mode',
  'maxAttempts',
  'retryBackoffMs',
  'invocationTimeoutMs',
  'maxIngressBacklog',
  'idempotencyRetentionMs',
  'stateCacheBytes',
  'stateWriteBufferBytes',
  'maxTimersInMemory',
  'mailboxMemoryBytes',
  'maxOpenFiles',
  'egressRetainRecords',
  'walSyncMode',
  'barrierTimeoutMs',
  'fileSystem',
  'clock',
  'scheduler',
]);

/** The injectable objects: option, what it must be, and the methods the runtime calls. */
const INJECTED: readonly [string, string, readonly string[]][] = [
  ['fileSystem', 'a FileSystem', FILE_SYSTEM_METHODS],
  ['clock', 'a Clock', ['now', 'setTimer']],
  ['scheduler', 'a Scheduler', ['schedule']],
];

/** The state engine's block cache limit (Engine.open's blockCacheBytes). */
const MAX_STATE_CACHE_BYTES = 64 * 1024 * 1024 * 1024;

/** The backoff doubles up to this (runtime.ts); a larger first backoff could not be honoured. */
const MAX_RETRY_BACKOFF_MS = 1000;

function int(o: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const v = o[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(
      `${API}: ${name} must be an integer from ${min} to ${max}, got ${describeValue(v)}`,
    );
  }
  return v;
}

export function resolveRuntimeOptions(options: unknown): ResolvedRuntimeOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${API}: options must be an object with dir and statefun`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new InvalidArgumentError(`${API}: unknown option '${key}'`);
  }
  if (typeof o.dir !== 'string' || o.dir.length === 0) {
    throw new InvalidArgumentError(`${API}: dir must be a non-empty string`);
  }
  if (!(o.statefun instanceof StateFun)) {
    throw new InvalidArgumentError(
      `${API}: statefun must be a StateFun (new StateFun(), then bind functions)`,
    );
  }
  // Only undefined means "the default", as for every other option: null is refused.
  const mode = o.mode === undefined ? 'exactly-once' : o.mode;
  if (mode !== 'exactly-once' && mode !== 'at-least-once') {
    throw new InvalidArgumentError(
      `${API}: mode must be 'exactly-once' or 'at-least-once', got ${describeValue(mode)}`,
    );
  }
  const walSyncMode = o.walSyncMode;
  if (walSyncMode !== undefined && walSyncMode !== 'inline' && walSyncMode !== 'async') {
    throw new InvalidArgumentError(
      `${API}: walSyncMode must be 'inline' or 'async', got ${describeValue(walSyncMode)}`,
    );
  }
  const maxParallelism =
    o.maxParallelism === undefined ? undefined : int(o, 'maxParallelism', 128, 1, MAX_KEY_GROUPS);
  const shards = int(o, 'shards', 4, 1, MAX_KEY_GROUPS);
  if (maxParallelism !== undefined && shards > maxParallelism) {
    throw new InvalidArgumentError(
      `${API}: shards (${shards}) must not exceed maxParallelism (${maxParallelism})`,
    );
  }
  for (const [name, what, methods] of INJECTED) {
    const v = o[name];
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null) {
      throw new InvalidArgumentError(`${API}: ${name} must be ${what} object, got ${describeValue(v)}`);
    }
    // Checked here, or a partial object fails later with a TypeError from deep inside (a
    // clock without setTimer only when the first timer is set, long after start resolved).
    const missing = methods.filter((m) => typeof (v as Record<string, unknown>)[m] !== 'function');
    if (missing.length > 0) {
      throw new InvalidArgumentError(
        `${API}: ${name} must be ${what} object; it lacks ${missing.join(', ')}`,
      );
    }
  }
  return {
    dir: o.dir,
    statefun: o.statefun,
    shards,
    maxParallelism,
    checkpointIntervalMs: int(o, 'checkpointIntervalMs', 1000, 0, 86_400_000),
    retainedCheckpoints: int(o, 'retainedCheckpoints', 3, 1, 1000),
    mode,
    maxAttempts: int(o, 'maxAttempts', 5, 1, 100),
    retryBackoffMs: int(o, 'retryBackoffMs', 10, 0, MAX_RETRY_BACKOFF_MS),
    invocationTimeoutMs: int(o, 'invocationTimeoutMs', 60_000, 1, 86_400_000),
    maxIngressBacklog: int(o, 'maxIngressBacklog', 100_000, 1, 100_000_000),
    idempotencyRetentionMs: int(o, 'idempotencyRetentionMs', 86_400_000, 1000, 365 * 86_400_000),
    stateCacheBytes: int(o, 'stateCacheBytes', 64 * 1024 * 1024, 4 * 1024 * 1024, MAX_STATE_CACHE_BYTES),
    stateWriteBufferBytes: int(o, 'stateWriteBufferBytes', 32 * 1024 * 1024, 1024 * 1024, 1024 * 1024 * 1024),
    maxTimersInMemory: int(o, 'maxTimersInMemory', 100_000, 1, 100_000_000),
    mailboxMemoryBytes: int(o, 'mailboxMemoryBytes', 64 * 1024 * 1024, 1024, 64 * 1024 ** 3),
    maxOpenFiles: int(o, 'maxOpenFiles', 1000, 64, 1_000_000),
    egressRetainRecords:
      o.egressRetainRecords === undefined
        ? undefined
        : int(o, 'egressRetainRecords', 1, 1, Number.MAX_SAFE_INTEGER),
    walSyncMode,
    barrierTimeoutMs: int(o, 'barrierTimeoutMs', 0, 0, 86_400_000),
    fileSystem: o.fileSystem as FileSystem | undefined,
    clock: o.clock as Clock | undefined,
    scheduler: o.scheduler as Scheduler | undefined,
  };
}
