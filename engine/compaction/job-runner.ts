/**
 * Where background jobs run. The engine hands a JobSpec to a runner and awaits the result.
 * InlineJobRunner runs it on the calling thread (tests, in-memory file systems, and any
 * setup without the compiled worker script); WorkerJobRunner (worker-job-runner.ts) runs it
 * on a worker thread so the event loop keeps serving reads and writes.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FileSystem } from '../env/file-system.js';
import type { JobResult, JobSpec } from './job-spec.js';
import { runJob } from './run-job.js';
import { loadFilter } from './compaction-filter.js';

export interface JobRunner {
  run(spec: JobSpec): Promise<JobResult>;
  close(): Promise<void>;
}

export class InlineJobRunner implements JobRunner {
  readonly #fs: FileSystem;

  constructor(fs: FileSystem) {
    this.#fs = fs;
  }

  async run(spec: JobSpec): Promise<JobResult> {
    // Yield once so a job never runs inside the caller's synchronous section.
    await nextTurn();
    const isExpired =
      spec.kind === 'compaction' && spec.filter !== undefined
        ? await loadFilter(spec.filter.module)
        : undefined;
    return runJob(this.#fs, spec, isExpired);
  }

  async close(): Promise<void> {}
}
