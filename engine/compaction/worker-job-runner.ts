/**
 * Runs jobs on a worker thread (job-worker.ts compiled to JavaScript). Errors thrown in the
 * worker come back with their class name; CorruptionError, IncompatibleFormatError and
 * InvariantError are rebuilt as such, so callers can tell bad data and bugs from I/O errors
 * (the engine tries a job again only after an I/O error).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CorruptionError, EngineError, IncompatibleFormatError } from '../errors.js';
import { InvariantError } from '../util/invariant.js';
import type { JobResult, JobSpec } from './job-spec.js';
import type { JobRunner } from './job-runner.js';

/** An error thrown in the worker, as it crosses to the main thread (see rebuild). */
export interface WorkerError {
  name: string;
  message: string;
  stack?: string | undefined;
  /** CorruptionError's file and offset. */
  file?: string | undefined;
  offset?: number | undefined;
}

interface Reply {
  id: number;
  result?: JobResult;
  error?: WorkerError;
}

const WORKER_URL = new URL('./job-worker.js', import.meta.url);

/** Whether the compiled worker script is present (false when running from TypeScript sources). */
export function workerAvailable(): boolean {
  return existsSync(fileURLToPath(WORKER_URL));
}

export class WorkerJobRunner implements JobRunner {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: JobResult) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #dead: Error | undefined;

  constructor() {
    this.#worker = new Worker(WORKER_URL);
    this.#worker.unref();
    this.#worker.on('message', (reply: Reply) => {
      const waiter = this.#pending.get(reply.id);
      if (!waiter) return;
      this.#pending.delete(reply.id);
      if (reply.result) waiter.resolve(reply.result);
      else waiter.reject(rebuild(reply.error!));
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => {
      if (this.#pending.size > 0) this.#fail(new EngineError(`background worker exited with code ${code}`));
    });
  }

  #fail(err: Error): void {
    this.#dead = err;
    for (const w of this.#pending.values()) w.reject(err);
    this.#pending.clear();
  }

  run(spec: JobSpec): Promise<JobResult> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ id, spec });
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker.unref();
    }) as Promise<JobResult>;
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

function rebuild(e: WorkerError): Error {
  let err: Error;
  if (e.name === 'CorruptionError') {
    // The message already names the file and offset; they are kept as fields too.
    err = new CorruptionError(e.file ?? 'unknown', e.offset, e.message);
    err.message = e.message;
  } else if (e.name === 'IncompatibleFormatError') {
    // Damaged or foreign input, as CorruptionError: the engine does not try such a job again.
    err = new IncompatibleFormatError(e.message);
  } else if (e.name === 'InvariantError') {
    err = new InvariantError(e.message.replace(/^statefn invariant violated: /, ''));
  } else {
    err = new EngineError(`background job failed: ${e.name}: ${e.message}`);
  }
  if (e.stack) err.stack = e.stack;
  return err;
}
