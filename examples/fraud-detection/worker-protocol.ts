/**
 * What the demo driver (run-demo.ts) and its worker process (worker.ts) say to each other
 * over the IPC channel of `child_process.fork`.
 *
 * The driver starts the worker with a {@link WorkerConfig} as its one argument. The worker
 * reports {@link WorkerReport}s: `started` once the runtime has recovered, `progress` every
 * PROGRESS_INTERVAL_MS and at once when the acknowledged prefix crosses `notifyAtAcked`,
 * `drained` when every event and report request was processed (it then waits for `stop`),
 * `stopped` after its graceful stop, `failed` if anything threw.
 */

/** How often a worker reports progress, ms. */
export const PROGRESS_INTERVAL_MS = 100;

/** The worker's one command-line argument, as JSON. */
export interface WorkerConfig {
  /** The runtime's data directory. */
  dir: string;
  events: number;
  seed: number;
  /** The first event to send: those before it are acknowledged (durable in the ingress). */
  from: number;
  /** Sends in flight at once. */
  concurrency: number;
  checkpointIntervalMs: number;
  /** Report progress at once when this many events are acknowledged (the kill point). */
  notifyAtAcked: number | undefined;
}

/** What the worker is doing. */
export type WorkerPhase = 'producing' | 'draining' | 'reporting' | 'drained' | 'stopping';

/** A worker's counters, since it started. */
export interface WorkerProgress {
  phase: WorkerPhase;
  /** Events 0..acked-1 are acknowledged: durable in the ingress log. */
  acked: number;
  /** Sends acknowledged as duplicates (already in the log before a crash). */
  duplicates: number;
  /** Invocations completed (RuntimeStats.messagesProcessed). */
  invocations: number;
  /** Ingress messages accepted but not processed yet. */
  backlog: number;
  /** Checkpoints completed. */
  checkpoints: number;
  /** Egress records committed by those checkpoints. */
  egressRecords: number;
  /** SST files per level of the state engine, L0 first (empty deeper levels left out). */
  levels: number[];
  /** Bytes of those files. */
  levelBytes: number[];
}

/** Worker to driver. */
export type WorkerReport =
  | {
      type: 'started';
      /** Time Runtime.start took, ms. */
      startMs: number;
      /** Ingress messages after the restored checkpoint, replayed now. */
      replay: number;
      /** In-flight messages and timers restored are not counted here. */
      progress: WorkerProgress;
    }
  | { type: 'progress'; progress: WorkerProgress }
  | { type: 'drained'; progress: WorkerProgress }
  | {
      type: 'stopped';
      progress: WorkerProgress;
      perFunction: Record<string, number>;
      deadLetters: number;
    }
  | { type: 'failed'; message: string };

/** Driver to worker. */
export type DriverCommand = { type: 'stop' };
