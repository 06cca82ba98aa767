/**
 * Coordinator side of the runtime benchmark (bench/runtime/): forks the runtime runner for
 * every workload, again for the recovery of the runtime its last workload crashed, and then
 * the Restate peer's runner, one after another (two cores: anything running beside a
 * contender would be measured with it). Each child is watched for heartbeats and killed if it
 * hangs; whatever fails is recorded in the result, never thrown, so the report says so.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exitText, runChild } from './child-process.js';
import { isRestateRunnerMessage } from './restate-messages.js';
import type { RestateStartMessage } from './restate-messages.js';
import { isRuntimeRunnerMessage } from './runtime-messages.js';
import type { RuntimeRecoverMessage, RuntimeStartMessage } from './runtime-messages.js';
import type { RuntimeBenchPlan } from './runtime-plan.js';
import type {
  RestateCounterFigures,
  RestateOutcome,
  RuntimeFailure,
  RuntimeRun,
  RuntimeWorkloadResult,
} from './runtime-results.js';
import type { CrashInfo } from './state-size-workload.js';
import { n } from './workload-env.js';

/** What the coordinator passes on from the command line. */
export type RuntimeBenchInput = {
  /** Path of the compiled runtime-runner.js. */
  readonly runnerPath: string;
  /** Path of the compiled restate-runner.js. */
  readonly restateRunnerPath: string;
  readonly plan: RuntimeBenchPlan;
  readonly seed: number;
  readonly dataDir: string;
  readonly statefnVersion: string;
};

/** Runs the runtime benchmark and the Restate peer, each in child processes. */
export async function runRuntimeBench(input: RuntimeBenchInput): Promise<RuntimeRun> {
  const { plan } = input;
  console.log(
    `\n== runtime ==\ncounter ${plan.counterSeconds} s per mode (${plan.counterConcurrency} in flight, ${n(plan.counterIds)} ids); ` +
      `fan-out ${plan.fanOutTrees} trees of depth ${plan.fanOutDepth}; ping-pong ${n(plan.pingPongPairs)} pairs x ${n(plan.pingPongBounces)}; ` +
      (plan.backlog === undefined
        ? ''
        : `checkpoint over a backlog of ${n(plan.backlog.sources * plan.backlog.messagesPerSource)} messages with barrierTimeoutMs ${plan.backlog.barrierTimeoutsMs.join(', ')}; `) +
      `ingress ${plan.ingressSeconds} s with ${plan.ingressSenders} senders; checkpoints at ${plan.stateInstances.map(n).join(', ')} instances; ` +
      `recovery of ${n(plan.stateInstances.at(-1) ?? 0)}; Restate: ${plan.restate === undefined ? 'skipped' : `${n(plan.restate.invocations)} invocations`}`,
  );
  await mkdir(input.dataDir, { recursive: true });
  const dir = await mkdtemp(join(input.dataDir, 'runtime-'));
  const results: RuntimeWorkloadResult[] = [];
  const failures: RuntimeFailure[] = [];
  let peakRssBytes = 0;
  let error: string | undefined;
  try {
    let crash: CrashInfo | undefined;
    const collect =
      (label: string) =>
      (message: unknown): boolean => {
        if (!isRuntimeRunnerMessage(message)) return false;
        switch (message.type) {
          case 'result':
            results.push(message.result);
            break;
          case 'failure':
            failures.push({ workload: message.workload, error: message.error });
            break;
          case 'crashed':
            crash = message.crash;
            peakRssBytes = Math.max(peakRssBytes, message.peakRssBytes);
            break;
          case 'done':
            peakRssBytes = Math.max(peakRssBytes, message.peakRssBytes);
            return true;
          case 'fatal':
            error = `${label}: ${message.error}`;
            break;
          case 'heartbeat':
            break;
        }
        return false;
      };

    let done = false;
    const onMain = collect('runtime runner');
    const start: RuntimeStartMessage = {
      type: 'runtime-start',
      plan,
      seed: input.seed,
      dir: join(dir, 'workloads'),
    };
    const mainExit = await runChild({
      path: input.runnerPath,
      label: 'runtime',
      start,
      onMessage: (message) => {
        done = onMain(message) || done;
      },
    });
    if (crash === undefined && !done) error ??= `runtime runner: ${exitText(mainExit)}`;

    const largest = plan.stateInstances.at(-1) ?? 0;
    const crashed = crash;
    if (crashed !== undefined) {
      let recovered = false;
      const onRecover = collect('recovery runner');
      const recoverMessage: RuntimeRecoverMessage = {
        type: 'runtime-recover',
        crash: crashed,
        seed: input.seed,
      };
      const recoverExit = await runChild({
        path: input.runnerPath,
        label: 'runtime',
        start: recoverMessage,
        onMessage: (message) => {
          recovered = onRecover(message) || recovered;
        },
      });
      if (!recovered) error ??= `recovery runner: ${exitText(recoverExit)}`;
    } else if (error === undefined) {
      failures.push({
        workload: `recovery of ${n(largest)} instances`,
        error: `not run: the checkpoint run at ${n(largest)} instances did not complete`,
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const restate =
    plan.restate === undefined ? { result: undefined, error: undefined } : await runRestate(input);
  return { plan, statefnVersion: input.statefnVersion, results, failures, restate, peakRssBytes, error };
}

async function runRestate(input: RuntimeBenchInput): Promise<RestateOutcome> {
  const plan = input.plan.restate;
  if (plan === undefined) return { result: undefined, error: undefined };
  console.log('\n== restate (peer) ==');
  const workDir = await mkdtemp(join(input.dataDir, 'restate-'));
  let result: RestateCounterFigures | undefined;
  let error: string | undefined;
  try {
    const start: RestateStartMessage = { type: 'restate-start', plan, workDir };
    const exit = await runChild({
      path: input.restateRunnerPath,
      label: 'restate',
      start,
      ownProcessGroup: true,
      onMessage: (message) => {
        if (!isRestateRunnerMessage(message)) return;
        if (message.type === 'result') result = message.result;
        else if (message.type === 'fatal') error = message.error;
      },
    });
    if (result === undefined) error ??= exitText(exit);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  if (result !== undefined) {
    console.log(
      `restate ${result.serverVersion} (SDK ${result.sdkVersion}): ${n(result.invocationsPerSec)} invocations/s, ` +
        `p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms`,
    );
  } else console.log(`restate failed: ${error ?? 'no result'}`);
  return { result, error: result === undefined ? error : undefined };
}
