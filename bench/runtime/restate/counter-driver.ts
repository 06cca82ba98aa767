/**
 * Closed-loop load on the `counter` virtual object through restate-server's ingress:
 * `concurrency` callers each send one `POST /counter/<key>/add` and send the next as soon as
 * the answer is in, until `calls` calls are done. Call i (counted from `firstIndex`, so the
 * warm-up and the measured phase continue one sequence) goes to key `i % ids`. Each latency is
 * request start to last body byte; each answer goes into the ledger, which rejects a wrong one.
 * The first failure stops every caller and rejects the whole phase.
 */
import { setMaxListeners } from 'node:events';
import type { Agent } from 'node:http';
import type { LatencyRecorder } from '../../measure/latency-recorder.js';
import { now } from '../../measure/clock.js';
import { COUNTER_OBJECT } from './endpoint-messages.js';
import { UnexpectedResponseError } from './errors.js';
import type { CounterLedger } from './counter-ledger.js';
import { httpCall } from './loopback-http.js';

/** Abort listeners a signal may have beyond one per caller before Node warns of a leak. */
export const LISTENER_HEADROOM = 16;

/** One phase of calls. */
export type CounterPhase = {
  readonly ingressPort: number;
  readonly agent: Agent;
  readonly firstIndex: number;
  readonly calls: number;
  readonly concurrency: number;
  readonly ids: number;
  readonly ledger: CounterLedger;
  /** Records latencies when given (the measured phase); the warm-up passes none. */
  readonly recorder: LatencyRecorder | undefined;
  readonly signal: AbortSignal;
  /** Calls done so far; the driver increments it, the progress ticker reads it. */
  readonly progress: { done: number };
};

/** Key of call `index`. */
export function counterKey(index: number, ids: number): string {
  return String(index % ids);
}

async function call(
  port: number,
  agent: Agent,
  method: 'add' | 'get',
  key: string,
  signal: AbortSignal,
): Promise<unknown> {
  const path = `/${COUNTER_OBJECT}/${encodeURIComponent(key)}/${method}`;
  const response = await httpCall({ port, method: 'POST', path, agent, signal });
  if (response.status !== 200) {
    throw new UnexpectedResponseError(
      `restate ingress: ${path} answered ${response.status} ${response.body.slice(0, 500)}`,
    );
  }
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new UnexpectedResponseError(
      `restate ingress: ${path} answered 200 with non-JSON ${response.body.slice(0, 500)}`,
    );
  }
}

/** Runs one phase; resolves when all calls are answered and recorded. */
export async function driveCounter(phase: CounterPhase): Promise<void> {
  const stop = new AbortController();
  const signal = AbortSignal.any([phase.signal, stop.signal]);
  // Every call in flight listens on the signal: one listener per caller is expected.
  setMaxListeners(phase.concurrency + LISTENER_HEADROOM, signal);
  const end = phase.firstIndex + phase.calls;
  let next = phase.firstIndex;
  const caller = async (): Promise<void> => {
    while (next < end && !signal.aborted) {
      const key = counterKey(next++, phase.ids);
      const started = now();
      const value = await call(phase.ingressPort, phase.agent, 'add', key, signal);
      phase.recorder?.record(now() - started);
      phase.ledger.record(key, value);
      phase.progress.done++;
    }
  };
  const callers = Array.from({ length: Math.min(phase.concurrency, phase.calls) }, async () => {
    try {
      await caller();
    } catch (error) {
      // The first failure is the reason; the others are callers cut off by it.
      stop.abort(error);
    }
  });
  await Promise.all(callers);
  if (phase.signal.aborted) throw phase.signal.reason;
  if (stop.signal.aborted) throw stop.signal.reason;
}

/** Reads the stored count of every key with `get`, `concurrency` keys at a time. */
export async function readStoredCounts(
  ingressPort: number,
  agent: Agent,
  keys: readonly string[],
  concurrency: number,
  signal: AbortSignal,
): Promise<Map<string, number>> {
  const stored = new Map<string, number>();
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const value = await call(ingressPort, agent, 'get', key, signal);
      if (typeof value !== 'number') {
        throw new UnexpectedResponseError(
          `restate ingress: counter ${key} get returned ${JSON.stringify(value)}`,
        );
      }
      stored.set(key, value);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, reader));
  return stored;
}
