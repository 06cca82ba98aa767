/**
 * The driver's side of a worker process: forks worker.js, hands each report to the driver,
 * kills the worker with SIGKILL when the driver says so, tells it to stop once it has
 * drained, and resolves with how it ended.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DriverCommand, WorkerConfig, WorkerProgress, WorkerReport } from './worker-protocol.js';

/** How a worker ended. */
export type WorkerOutcome =
  | { kind: 'killed'; pid: number; last: WorkerProgress | undefined }
  | { kind: 'stopped'; report: Extract<WorkerReport, { type: 'stopped' }> };

/** What the driver answers to a report: 'kill' kills the worker with SIGKILL at once. */
export type ReportHandler = (report: WorkerReport, pid: number) => 'kill' | undefined;

const WORKER_PATH = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * Runs one worker with `config` until it stops after draining (resolves 'stopped') or the
 * handler asked for a kill (resolves 'killed'). Rejects if the worker failed or exited on
 * its own.
 */
export function runWorker(config: WorkerConfig, onReport: ReportHandler): Promise<WorkerOutcome> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER_PATH, [JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const pid = child.pid ?? -1;
    let killing = false;
    let last: WorkerProgress | undefined;
    let stopped: Extract<WorkerReport, { type: 'stopped' }> | undefined;
    let failure: string | undefined;
    child.on('message', (message: WorkerReport) => {
      if (killing) return;
      if (message.type === 'failed') failure = message.message;
      else last = message.progress;
      if (message.type === 'stopped') stopped = message;
      if (onReport(message, pid) === 'kill') {
        killing = true;
        child.kill('SIGKILL');
      } else if (message.type === 'drained') {
        child.send({ type: 'stop' } satisfies DriverCommand);
      }
    });
    child.on('error', (err) => {
      if (!killing) reject(err);
    });
    child.on('exit', (code, signal) => {
      if (killing && signal === 'SIGKILL') resolve({ kind: 'killed', pid, last });
      else if (stopped !== undefined && code === 0) resolve({ kind: 'stopped', report: stopped });
      else {
        const how = signal !== null ? `signal ${signal}` : `code ${String(code)}`;
        reject(
          new Error(
            `the worker (pid ${pid}) exited with ${how}${failure === undefined ? '' : `: ${failure}`}`,
          ),
        );
      }
    });
  });
}
