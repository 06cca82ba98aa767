/**
 * Coordinator side of the checkpoint benchmark: forks checkpoint-runner.js, relays nothing
 * but watches its heartbeats (a runner silent for too long is killed and the failure is
 * recorded), and returns what it measured. Like the store runners, it gets a temporary
 * directory of its own that is deleted when it exits.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ENTRY_SIZE_BYTES } from '../workloads/entry-size.js';
import { checkpointPlan, isCheckpointRunnerMessage } from './checkpoint-messages.js';
import type { CheckpointStartMessage } from './checkpoint-messages.js';
import type { CheckpointBenchResult, CheckpointRun } from './checkpoint-results.js';

/** A runner that prints nothing for this long is taken to hang and is killed. */
const WATCHDOG_MS = 5 * 60_000;

/** What the coordinator passes on from the command line. */
export type CheckpointBenchInput = {
  /** Path of the compiled checkpoint-runner.js. */
  readonly runnerPath: string;
  readonly keys: number;
  readonly quick: boolean;
  readonly seed: number;
  readonly dataDir: string;
  readonly blockCacheBytes: number;
  readonly writeBufferBytes: number;
};

/** Runs the checkpoint benchmark in a child process. */
export async function runCheckpointBench(input: CheckpointBenchInput): Promise<CheckpointRun> {
  const plan = checkpointPlan(input.keys, ENTRY_SIZE_BYTES, input.quick);
  console.log(
    `\n== checkpoints ==\n${plan.keys.toLocaleString('en-US')} keys, ${plan.updatedKeys.toLocaleString('en-US')} updated, ` +
      `foreground windows of ${plan.foregroundWindowSeconds} s, disk test file ${plan.diskTestBytes / (1 << 20)} MiB`,
  );
  const dir = await mkdtemp(join(input.dataDir, 'checkpoint-'));
  let result: CheckpointBenchResult | undefined;
  let error: string | undefined;

  const child = fork(input.runnerPath, [], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  let lastHeardMs = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - lastHeardMs < WATCHDOG_MS) return;
    error = `no progress for ${WATCHDOG_MS / 1000} s; the runner was killed`;
    console.error(`[checkpoint] ${error}`);
    child.kill('SIGKILL');
  }, 1000);
  child.on('message', (message: unknown) => {
    lastHeardMs = Date.now();
    if (!isCheckpointRunnerMessage(message)) return;
    if (message.type === 'result') result = message.result;
    else if (message.type === 'fatal') error = message.error;
  });

  const start: CheckpointStartMessage = {
    type: 'checkpoint-start',
    plan,
    seed: input.seed,
    dir,
    blockCacheBytes: input.blockCacheBytes,
    writeBufferBytes: input.writeBufferBytes,
  };
  child.send(start);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearInterval(watchdog);
  await rm(dir, { recursive: true, force: true });
  if (result === undefined && error === undefined) {
    error = `runner exited early (${signal !== null ? `signal ${signal}` : `code ${String(code)}`})`;
  }
  return { keys: plan.keys, result, error };
}
