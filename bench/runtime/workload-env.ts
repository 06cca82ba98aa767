/**
 * What every runtime workload is given, and the small pieces they share: where its runtime
 * keeps its files, the seed of its random choices, and where its progress lines go.
 */
import type { FileSystem } from '../../engine/index.js';
import type { Runtime } from '../../runtime/index.js';
import type { RuntimeSettings } from './runtime-results.js';

/** A workload's surroundings. */
export type WorkloadEnv = {
  /** The runtime's directory; the workload may create it. */
  readonly dir: string;
  readonly seed: number;
  /** The runtime's file system; the machine's by default. Tests pass a MemoryFileSystem. */
  readonly fileSystem?: FileSystem | undefined;
  /** Progress lines; the runner turns each into a heartbeat for the coordinator's watchdog. */
  readonly log: (line: string) => void;
};

/** Progress lines of a running workload come this often. */
export const PROGRESS_INTERVAL_MS = 5_000;

/** `fileSystem` as a Runtime.start option, or nothing for the default. */
export function fileSystemOption(env: WorkloadEnv): { fileSystem?: FileSystem } {
  return env.fileSystem === undefined ? {} : { fileSystem: env.fileSystem };
}

/** The shard layout `rt` runs with. */
export function settingsOf(rt: Runtime): RuntimeSettings {
  const stats = rt.stats();
  return { shards: stats.shards, maxParallelism: stats.maxParallelism };
}

/** `count` per second over `seconds`, 0 for an empty interval. */
export function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

/** `n` with thousands separators, for progress lines and messages. */
export function n(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
