/**
 * fillsync: awaited single puts with sync: true, from one writer or from 64 concurrent ones.
 * Only acknowledged writes count. With 64 writers the store can share one fsync among the
 * writes waiting for it (group commit); that is what the 64-writer figure measures.
 */
import { LatencyRecorder } from '../measure/latency-recorder.js';
import { now } from '../measure/clock.js';
import { ENTRY_SIZE_BYTES } from './entry-size.js';
import type { Workload, WorkloadContext, WorkloadMeasurement } from './workload.js';

async function runFillSync(
  context: WorkloadContext,
  writers: number,
  total: number,
): Promise<WorkloadMeasurement> {
  const { store, keys, values, random } = context;
  const latency = new LatencyRecorder(total);
  const meter = context.meter(total);
  let issued = 0;
  let acknowledged = 0;

  const writer = async (): Promise<void> => {
    while (issued < total) {
      issued++;
      const key = keys.keyAt(keys.randomIndex(random));
      const putStart = now();
      await store.putOne(key, values.next(), { sync: true });
      latency.record(now() - putStart);
      acknowledged++;
      meter.tick(acknowledged);
    }
  };

  const start = now();
  await Promise.all(Array.from({ length: writers }, writer));
  const elapsedNs = Number(now() - start);

  return {
    ops: acknowledged,
    elapsedNs,
    bytes: acknowledged * ENTRY_SIZE_BYTES,
    latency: latency.summary(),
    notes: [],
  };
}

/** db_bench fillsync with one writer. */
export const FILL_SYNC: Workload = {
  name: 'fillsync',
  latencyUnit: 'one put, call to acknowledgement',
  method:
    'One writer awaits single puts with sync: true (fsync before acknowledgement) of random keys into an empty store, `sync-ops` of them.',
  requires: 'fresh',
  leaves: 'partial',
  run: (context) => runFillSync(context, 1, context.sizes.syncOps),
};

/** Writers in fillsync64. */
export const CONCURRENT_SYNC_WRITERS = 64;

/** fillsync with 64 concurrent writers (db_bench --threads=64). */
export const FILL_SYNC_64: Workload = {
  name: 'fillsync64',
  latencyUnit: 'one put, call to acknowledgement',
  method: `${CONCURRENT_SYNC_WRITERS} async writers in one process each await single puts with sync: true, \`sync64-ops\` in all; ops/s counts acknowledged writes.`,
  requires: 'fresh',
  leaves: 'partial',
  run: (context) => runFillSync(context, CONCURRENT_SYNC_WRITERS, context.sizes.sync64Ops),
};
