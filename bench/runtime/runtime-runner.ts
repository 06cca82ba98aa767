/**
 * Child-process entry of the runtime benchmark, started by the coordinator
 * (run-runtime-bench.ts). In its own process so its RSS and its runtimes' worker threads are
 * its own and a hang is caught by the coordinator's watchdog. With `runtime-start` it runs,
 * each in a fresh runtime directory removed afterwards: the counter in exactly-once and then
 * at-least-once mode, fan-out, ping-pong, the checkpoint over a backlog (once per barrier
 * timeout), durable ingress, and the checkpoint-size sweep, whose largest run ends in a
 * crash (rt.abandon(), then SIGKILL of this process, so nothing is closed or flushed). With
 * `runtime-recover` it restarts that crashed runtime.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runBacklogCheckpoint } from './backlog-checkpoint-workload.js';
import { runCounter } from './counter-workload.js';
import { runFanOut } from './fan-out-workload.js';
import { runIngress } from './ingress-workload.js';
import { runPingPong } from './ping-pong-workload.js';
import { runRecovery } from './recovery-workload.js';
import { isRuntimeRunnerInput } from './runtime-messages.js';
import type { RuntimeRecoverMessage, RuntimeRunnerMessage, RuntimeStartMessage } from './runtime-messages.js';
import { backlogRuns, counterRuns } from './runtime-plan.js';
import type { RuntimeWorkloadResult } from './runtime-results.js';
import { runStateSize } from './state-size-workload.js';
import type { CrashInfo } from './state-size-workload.js';
import { resultLine } from './result-line.js';
import { n } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';

function send(message: RuntimeRunnerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('runtime-runner: must be started by run.js with an IPC channel'));
      return;
    }
    process.send(message, undefined, {}, (error) => (error === null ? resolve() : reject(error)));
  });
}

function log(line: string): void {
  console.log(`[runtime] ${line}`);
  void send({ type: 'heartbeat' }).catch(() => undefined);
}

function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `run` as workload `name` in `dir`, reporting its result or failure; removes `dir`. */
async function step(
  name: string,
  dir: string,
  run: (env: WorkloadEnv) => Promise<RuntimeWorkloadResult>,
  seed: number,
): Promise<void> {
  gc();
  log(`${name} …`);
  try {
    const result = await run({ dir, seed, log });
    log(`${name}: ${resultLine(result)}`);
    await send({ type: 'result', result });
  } catch (error) {
    log(`${name} FAILED: ${errorText(error)}`);
    await send({ type: 'failure', workload: name, error: errorText(error) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runAll(start: RuntimeStartMessage): Promise<void> {
  const { plan, seed } = start;
  const dir = (name: string): string => join(start.dir, name);
  const interval = plan.checkpointIntervalMs;
  for (const { name, mode, checkpointIntervalMs } of counterRuns(plan)) {
    await step(
      `counter (${name})`,
      dir(`counter-${mode}-${checkpointIntervalMs}`),
      (env) =>
        runCounter(env, {
          mode,
          seconds: plan.counterSeconds,
          concurrency: plan.counterConcurrency,
          ids: plan.counterIds,
          checkpointIntervalMs,
        }),
      seed,
    );
  }
  await step(
    'fan-out',
    dir('fan-out'),
    (env) =>
      runFanOut(env, { depth: plan.fanOutDepth, trees: plan.fanOutTrees, checkpointIntervalMs: interval }),
    seed,
  );
  await step(
    'ping-pong',
    dir('ping-pong'),
    (env) =>
      runPingPong(env, {
        pairs: plan.pingPongPairs,
        bounces: plan.pingPongBounces,
        checkpointIntervalMs: interval,
      }),
    seed,
  );
  const backlog = plan.backlog;
  if (backlog !== undefined) {
    for (const { name, barrierTimeoutMs } of backlogRuns(plan)) {
      await step(
        name,
        dir(`backlog-${barrierTimeoutMs}`),
        (env) =>
          runBacklogCheckpoint(env, {
            sources: backlog.sources,
            messagesPerSource: backlog.messagesPerSource,
            sinkIds: backlog.sinkIds,
            barrierTimeoutMs,
            checkpointIntervalMs: interval,
          }),
        seed,
      );
    }
  }
  await step(
    'durable ingress',
    dir('ingress'),
    (env) =>
      runIngress(env, {
        senders: plan.ingressSenders,
        seconds: plan.ingressSeconds,
        checkpointIntervalMs: interval,
      }),
    seed,
  );
  const batch = plan.ingressBatch;
  if (batch !== undefined) {
    await step(
      `durable ingress, batches of ${n(batch)}`,
      dir('ingress-batched'),
      (env) =>
        runIngress(env, {
          senders: plan.ingressSenders,
          batch,
          seconds: plan.ingressSeconds,
          checkpointIntervalMs: interval,
        }),
      seed,
    );
  }

  const largest = plan.stateInstances[plan.stateInstances.length - 1];
  for (const instances of plan.stateInstances) {
    const name = `checkpoints at ${n(instances)} instances`;
    const stateDir = dir(`state-${instances}`);
    const options = { instances, changedShare: plan.changedShare, stateValueBytes: plan.stateValueBytes };
    if (instances !== largest) {
      await step(name, stateDir, async (env) => (await runStateSize(env, options)).result, seed);
      continue;
    }
    // The largest run is kept for the crash: its directory outlives this process.
    gc();
    log(`${name} …`);
    let crash: { rt: { abandon(): void }; info: CrashInfo } | undefined;
    try {
      const run = await runStateSize({ dir: stateDir, seed, log }, options, true);
      log(`${name}: ${resultLine(run.result)}`);
      await send({ type: 'result', result: run.result });
      crash = run.crash;
    } catch (error) {
      log(`${name} FAILED: ${errorText(error)}`);
      await send({ type: 'failure', workload: name, error: errorText(error) });
    }
    if (crash !== undefined) {
      log(
        `crashing with ${n(crash.info.replayedMessages)} messages after the last checkpoint (rt.abandon(), then SIGKILL)`,
      );
      crash.rt.abandon();
      await send({ type: 'crashed', crash: crash.info, peakRssBytes: peakRssBytes() });
      process.kill(process.pid, 'SIGKILL');
      return;
    }
  }
}

async function recover(message: RuntimeRecoverMessage): Promise<void> {
  await step(
    `recovery of ${n(message.crash.instances)} instances`,
    message.crash.dir,
    (env) => runRecovery(env, message.crash),
    message.seed,
  );
}

process.once('message', (message: unknown) => {
  if (!isRuntimeRunnerInput(message)) {
    console.error('runtime-runner: expected a start or recover message');
    process.exit(2);
  }
  const work = message.type === 'runtime-start' ? runAll(message) : recover(message);
  work.then(
    // Exit explicitly: the engines' worker threads may hold the event loop open after close.
    async () => {
      await send({ type: 'done', peakRssBytes: peakRssBytes() });
      process.exit(0);
    },
    async (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`[runtime] fatal: ${text}`);
      await send({ type: 'fatal', error: text.split('\n', 1)[0] ?? text }).catch(() => undefined);
      process.exit(1);
    },
  );
});
