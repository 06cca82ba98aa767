import { FILL_SYNC, FILL_SYNC_64 } from './fill-sync.js';
import { FILL_RANDOM, FILL_SEQ, OVERWRITE } from './fill.js';
import { MULTI_READ_RANDOM, READ_RANDOM, READ_RANDOM_COMPACTED } from './point-reads.js';
import { READ_WHILE_WRITING } from './read-while-writing.js';
import { READ_REVERSE, READ_SEQ, SEEK_RANDOM } from './scans.js';
import type { Workload } from './workload.js';

/**
 * Every workload, in the order a run executes them. The order matters as it does in db_bench:
 * the reads after overwrite see the store as overwrite left it, compaction debt included, and
 * readrandom-compacted comes after every other workload that reads the loaded store, since it
 * leaves that store compacted.
 */
export const WORKLOADS: readonly Workload[] = [
  FILL_SEQ,
  FILL_RANDOM,
  OVERWRITE,
  READ_RANDOM,
  MULTI_READ_RANDOM,
  READ_SEQ,
  READ_REVERSE,
  SEEK_RANDOM,
  READ_WHILE_WRITING,
  READ_RANDOM_COMPACTED,
  FILL_SYNC,
  FILL_SYNC_64,
];

/** The workload called `name`, or undefined. */
export function findWorkload(name: string): Workload | undefined {
  return WORKLOADS.find((workload) => workload.name === name);
}
