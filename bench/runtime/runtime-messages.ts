/**
 * The IPC protocol between the coordinator (run-runtime-bench.ts) and the runtime runner
 * (runtime-runner.ts). The coordinator starts the runner twice: first with `runtime-start`
 * (every workload, the checkpoint-size sweep last); the sweep's largest run ends in a crash —
 * the runner sends `crashed` with what a restart must reproduce and kills itself — and then
 * with `runtime-recover` on the crashed directory. The runner answers with a `heartbeat` at
 * every progress line (the coordinator's hang watchdog), a `result` or `failure` per workload,
 * and `done` (or `fatal`).
 */
import type { RuntimeBenchPlan } from './runtime-plan.js';
import type { RuntimeWorkloadResult } from './runtime-results.js';
import type { CrashInfo } from './state-size-workload.js';

/** Coordinator → runner: run every workload under `dir` (an empty directory the runner owns). */
export type RuntimeStartMessage = {
  readonly type: 'runtime-start';
  readonly plan: RuntimeBenchPlan;
  readonly seed: number;
  readonly dir: string;
};

/** Coordinator → runner: restart the crashed runtime `crash` describes, and measure it. */
export type RuntimeRecoverMessage = {
  readonly type: 'runtime-recover';
  readonly crash: CrashInfo;
  readonly seed: number;
};

/** Runner → coordinator. */
export type RuntimeRunnerMessage =
  | { readonly type: 'heartbeat' }
  | { readonly type: 'result'; readonly result: RuntimeWorkloadResult }
  | { readonly type: 'failure'; readonly workload: string; readonly error: string }
  | { readonly type: 'crashed'; readonly crash: CrashInfo; readonly peakRssBytes: number }
  | { readonly type: 'done'; readonly peakRssBytes: number }
  | { readonly type: 'fatal'; readonly error: string };

/** Narrows an IPC payload to a message the runner accepts. */
export function isRuntimeRunnerInput(
  message: unknown,
): message is RuntimeStartMessage | RuntimeRecoverMessage {
  const type = typeOf(message);
  return type === 'runtime-start' || type === 'runtime-recover';
}

/** Narrows an IPC payload to a runner message. */
export function isRuntimeRunnerMessage(message: unknown): message is RuntimeRunnerMessage {
  const type = typeOf(message);
  return (
    type === 'heartbeat' ||
    type === 'result' ||
    type === 'failure' ||
    type === 'crashed' ||
    type === 'done' ||
    type === 'fatal'
  );
}

function typeOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
}
