/**
 * The IPC protocol between the coordinator (run.ts) and a store runner (store-runner.ts):
 * the coordinator sends one `start`; the runner answers with a `heartbeat` at every progress
 * line (the coordinator's hang watchdog), a `result` or `failure` per workload, and `done` (or `fatal`).
 */
import type { WorkloadFailure, WorkloadResult } from './report/results.js';
import type { StoreName } from './stores/store-registry.js';
import type { WorkloadSizes } from './workloads/workload.js';

/** Coordinator → runner. */
export type StartMessage = {
  readonly type: 'start';
  readonly store: StoreName;
  readonly workloads: readonly string[];
  readonly sizes: WorkloadSizes;
  readonly seed: number;
  /** An empty directory the runner owns; the coordinator deletes it after the runner exits. */
  readonly dir: string;
  readonly blockCacheBytes: number;
  readonly writeBufferBytes: number;
};

/** Runner → coordinator. */
export type RunnerMessage =
  | { readonly type: 'heartbeat' }
  | { readonly type: 'loaded'; readonly packageName: string; readonly apiSummary: string }
  | { readonly type: 'result'; readonly result: WorkloadResult }
  | { readonly type: 'failure'; readonly failure: WorkloadFailure }
  | { readonly type: 'done'; readonly peakRssBytes: number }
  | { readonly type: 'fatal'; readonly error: string };

/** Narrows an IPC payload to a start message. */
export function isStartMessage(message: unknown): message is StartMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'start';
}

/** Narrows an IPC payload to a runner message. */
export function isRunnerMessage(message: unknown): message is RunnerMessage {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { type?: unknown }).type;
  return (
    type === 'heartbeat' ||
    type === 'loaded' ||
    type === 'result' ||
    type === 'failure' ||
    type === 'done' ||
    type === 'fatal'
  );
}
