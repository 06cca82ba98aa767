/**
 * The IPC protocol between the coordinator (run.ts) and the checkpoint runner: one `start`,
 * then a `heartbeat` at every progress line (the coordinator's hang watchdog), and `result`
 * or `fatal`.
 */
import type { CheckpointBenchResult } from './checkpoint-results.js';

/** The sizes of one checkpoint benchmark run, derived from the command line. */
export type CheckpointPlan = {
  /** Keys loaded before the full checkpoints. */
  readonly keys: number;
  /** Distinct keys overwritten before the incremental checkpoints: 1% of `keys`. */
  readonly updatedKeys: number;
  /** Length of each foreground-write window. */
  readonly foregroundWindowSeconds: number;
  /** Rounds of foreground windows (without, link, copy, paced copy), then one more without. */
  readonly foregroundRounds: number;
  /** maxCopyBytesPerSecond of the stores of the paced copy windows. */
  readonly pacedCopyBytesPerSecond: number;
  /** Size of the file that measures the disk's sequential speed. */
  readonly diskTestBytes: number;
  /** Longest wait for compaction to settle before a measured checkpoint. */
  readonly maxSettleSeconds: number;
};

/** Coordinator → runner. */
export type CheckpointStartMessage = {
  readonly type: 'checkpoint-start';
  readonly plan: CheckpointPlan;
  readonly seed: number;
  /** An empty directory the runner owns; the coordinator deletes it after the runner exits. */
  readonly dir: string;
  readonly blockCacheBytes: number;
  readonly writeBufferBytes: number;
};

/** Runner → coordinator. */
export type CheckpointRunnerMessage =
  | { readonly type: 'heartbeat' }
  | { readonly type: 'result'; readonly result: CheckpointBenchResult }
  | { readonly type: 'fatal'; readonly error: string };

const MIB = 1 << 20;
const MIN_DISK_TEST_BYTES = 256 * MIB;
const MAX_DISK_TEST_BYTES = 1024 * MIB;
/**
 * The paced copy windows' limit: about a fifth of this machine's sequential write speed
 * (the disk figures of the report), so the copy takes a small share of the disk and CPU.
 */
const PACED_COPY_BYTES_PER_SECOND = 100 * MIB;

/**
 * Sizes a run of `keys` keys of `entryBytes` each. The disk test file is as large as the
 * raw data, between 256 MiB and 1 GiB: large enough to outlast the disk's write cache, small
 * enough not to dominate the run.
 */
export function checkpointPlan(keys: number, entryBytes: number, quick: boolean): CheckpointPlan {
  const raw = keys * entryBytes;
  return {
    keys,
    updatedKeys: Math.max(1, Math.round(keys / 100)),
    foregroundWindowSeconds: quick ? 2 : 10,
    foregroundRounds: quick ? 1 : 2,
    pacedCopyBytesPerSecond: PACED_COPY_BYTES_PER_SECOND,
    diskTestBytes: Math.min(MAX_DISK_TEST_BYTES, Math.max(MIN_DISK_TEST_BYTES, Math.ceil(raw / MIB) * MIB)),
    maxSettleSeconds: quick ? 30 : 300,
  };
}

/** Narrows an IPC payload to a start message. */
export function isCheckpointStartMessage(message: unknown): message is CheckpointStartMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'checkpoint-start'
  );
}

/** Narrows an IPC payload to a runner message. */
export function isCheckpointRunnerMessage(message: unknown): message is CheckpointRunnerMessage {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return type === 'heartbeat' || type === 'result' || type === 'fatal';
}
