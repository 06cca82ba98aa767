/**
 * Entry point of the background worker thread: receives JobSpecs, runs them against the
 * real file system, posts back results or errors. One job at a time, in arrival order.
 */
import { parentPort } from 'node:worker_threads';
import { NodeFileSystem } from '../env/node-file-system.js';
import { initHashing } from '../util/checksum.js';
import { loadFilter } from './compaction-filter.js';
import type { JobSpec } from './job-spec.js';
import { runJob } from './run-job.js';
import type { WorkerError } from './worker-job-runner.js';
import { warmTransferList } from '../sstable/warm-blocks.js';

interface Request {
  id: number;
  spec: JobSpec;
}

const port = parentPort;
if (port) {
  const fs = new NodeFileSystem();
  const ready = initHashing();
  port.on('message', (req: Request) => {
    ready
      .then(async () => {
        const spec = req.spec;
        const isExpired =
          spec.kind === 'compaction' && spec.filter !== undefined
            ? await loadFilter(spec.filter.module)
            : undefined;
        const result = runJob(fs, spec, isExpired);
        // The chunks of a flush's warm blocks move to the main thread rather than being copied.
        port.postMessage({ id: req.id, result }, warmTransferList(result.warm));
      })
      .catch((err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        const error: WorkerError = {
          name: e.name,
          message: e.message,
          stack: e.stack,
          file: (e as { file?: string }).file,
          offset: (e as { offset?: number }).offset,
        };
        port.postMessage({ id: req.id, error });
      });
  });
}
