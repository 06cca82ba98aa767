/**
 * The IPC protocol between the coordinator and the Restate peer's runner (restate-runner.ts):
 * one `restate-start`, then a `heartbeat` per progress line, and `result` or `fatal`. Also the
 * check that what the peer returned has the shape the report expects.
 */
import type { RestatePlan } from './runtime-plan.js';
import type { RestateCounterFigures } from './runtime-results.js';

/** Coordinator → runner. */
export type RestateStartMessage = {
  readonly type: 'restate-start';
  readonly plan: RestatePlan;
  /** An empty directory the peer owns; the coordinator deletes it afterwards. */
  readonly workDir: string;
};

/** Runner → coordinator. */
export type RestateRunnerMessage =
  | { readonly type: 'heartbeat' }
  | { readonly type: 'result'; readonly result: RestateCounterFigures }
  | { readonly type: 'fatal'; readonly error: string };

/** Narrows an IPC payload to a start message. */
export function isRestateStartMessage(message: unknown): message is RestateStartMessage {
  return typeOf(message) === 'restate-start';
}

/** Narrows an IPC payload to a runner message. */
export function isRestateRunnerMessage(message: unknown): message is RestateRunnerMessage {
  const type = typeOf(message);
  return type === 'heartbeat' || type === 'result' || type === 'fatal';
}

const NUMBER_FIELDS = [
  'invocations',
  'concurrency',
  'ids',
  'seconds',
  'invocationsPerSec',
  'p50Ms',
  'p99Ms',
  'maxMs',
] as const;

/** Whether `value` is a RestateCounterResult with finite figures. */
export function isRestateFigures(value: unknown): value is RestateCounterFigures {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.serverVersion === 'string' &&
    typeof record.sdkVersion === 'string' &&
    NUMBER_FIELDS.every((field) => typeof record[field] === 'number' && Number.isFinite(record[field])) &&
    ['checkedKeys', 'checkedCalls'].every(
      (field) => record[field] === undefined || typeof record[field] === 'number',
    )
  );
}

function typeOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
}
