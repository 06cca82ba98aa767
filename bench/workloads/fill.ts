/**
 * fillseq, fillrandom and overwrite: batched writes without fsync, as db_bench runs them with
 * --batch_size=1000. One latency sample is one batch.
 */
import type { KeyValue } from '../stores/store.js';
import { LatencyRecorder } from '../measure/latency-recorder.js';
import { now } from '../measure/clock.js';
import { ENTRY_SIZE_BYTES } from './entry-size.js';
import type { DbRequirement, Workload, WorkloadContext, WorkloadMeasurement } from './workload.js';

/** Puts per batch in the batched fills. */
export const WRITE_BATCH_SIZE = 1000;

/** Which key a fill writes at step `i`. */
type KeyOrder = 'sequential' | 'shuffled' | 'random';

function fillWorkload(name: string, order: KeyOrder, requires: DbRequirement, method: string): Workload {
  return {
    name,
    latencyUnit: `a batch of ${WRITE_BATCH_SIZE} puts`,
    method,
    requires,
    leaves: 'loaded',
    run: (context) => runFill(context, order),
  };
}

async function runFill(context: WorkloadContext, order: KeyOrder): Promise<WorkloadMeasurement> {
  const { store, keys, values, random, sizes } = context;
  const total = sizes.num;
  const shuffled = order === 'shuffled' ? keys.shuffledIndices(random) : undefined;
  const indexAt = (step: number): number =>
    order === 'sequential' ? step : shuffled !== undefined ? shuffled[step]! : keys.randomIndex(random);
  const latency = new LatencyRecorder(Math.ceil(total / WRITE_BATCH_SIZE));
  const meter = context.meter(total);

  const start = now();
  for (let done = 0; done < total;) {
    const size = Math.min(WRITE_BATCH_SIZE, total - done);
    const pairs = new Array<KeyValue>(size);
    for (let i = 0; i < size; i++) pairs[i] = [keys.keyAt(indexAt(done + i)), values.next()];
    const batchStart = now();
    await store.putBatch(pairs);
    latency.record(now() - batchStart);
    done += size;
    meter.check(done);
  }
  const elapsedNs = Number(now() - start);

  return { ops: total, elapsedNs, bytes: total * ENTRY_SIZE_BYTES, latency: latency.summary(), notes: [] };
}

/** db_bench fillseq: every key once, in key order, into an empty store. */
export const FILL_SEQ = fillWorkload(
  'fillseq',
  'sequential',
  'fresh',
  `Writes every key once in ascending order into an empty store, in batches of ${WRITE_BATCH_SIZE}, no fsync.`,
);

/** db_bench fillrandom: every key once, in a seeded random order, into an empty store. */
export const FILL_RANDOM = fillWorkload(
  'fillrandom',
  'shuffled',
  'fresh',
  `Writes every key once in a seeded random order (a shuffle, so all keys end up present) into an empty store, in batches of ${WRITE_BATCH_SIZE}, no fsync.`,
);

/** db_bench overwrite: `num` random keys, drawn with replacement, over a loaded store. */
export const OVERWRITE = fillWorkload(
  'overwrite',
  'random',
  'loaded',
  `Writes num random keys (drawn with replacement, as db_bench does) over a store that holds every key, in batches of ${WRITE_BATCH_SIZE}, no fsync.`,
);
