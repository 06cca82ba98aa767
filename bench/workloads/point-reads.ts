/**
 * readrandom and multireadrandom: lookups of keys that are all present. Both count misses and
 * report them, because a miss in a loaded store means lost data, not a slow read.
 *
 * The loops yield to the event loop every {@link YIELD_EVERY_KEYS} keys, as a server does
 * between requests. The native stores' flushes and compactions run on their own threads
 * whatever the main thread does; statefn's finish on worker threads too, but their results
 * are installed by the main thread, so a loop that never yields would read a state frozen at
 * its start (every memtable still in memory, no level-0 file compacted), which no
 * application that serves requests would see.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { LatencyRecorder } from '../measure/latency-recorder.js';
import { KEY_SIZE_BYTES } from '../data/key-generator.js';
import { now } from '../measure/clock.js';
import type { Workload, WorkloadContext, WorkloadMeasurement } from './workload.js';

/** Keys per multi-get in multireadrandom. */
export const MULTI_GET_KEYS = 100;
/** Keys read between two yields to the event loop (a multiple of MULTI_GET_KEYS). */
export const YIELD_EVERY_KEYS = 1000;

async function runReadRandom(context: WorkloadContext): Promise<WorkloadMeasurement> {
  const { store, keys, random, sizes } = context;
  const total = sizes.reads;
  const latency = new LatencyRecorder(total);
  const meter = context.meter(total);
  let found = 0;
  let bytes = 0;

  const start = now();
  for (let done = 0; done < total; done++) {
    const key = keys.keyAt(keys.randomIndex(random));
    const getStart = now();
    const value = store.getSync(key);
    latency.record(now() - getStart);
    if (value !== undefined) {
      found++;
      bytes += KEY_SIZE_BYTES + value.length;
    }
    meter.tick(done);
    if ((done + 1) % YIELD_EVERY_KEYS === 0) await yieldToEventLoop();
  }
  const elapsedNs = Number(now() - start);

  return { ops: total, elapsedNs, bytes, latency: latency.summary(), notes: missNotes(total, found) };
}

/**
 * readrandom after a whole-range manual compaction (db_bench's `compact` then `readrandom`):
 * the compaction is not timed, its wall time is a note.
 */
async function runReadRandomCompacted(context: WorkloadContext): Promise<WorkloadMeasurement> {
  const compactStart = now();
  await context.store.compact();
  const compactNs = Number(now() - compactStart);
  const reads = await runReadRandom(context);
  return {
    ...reads,
    notes: [`compacted in ${(compactNs / 1e9).toFixed(2)} s before the reads (not timed)`, ...reads.notes],
  };
}

async function runMultiReadRandom(context: WorkloadContext): Promise<WorkloadMeasurement> {
  const { store, keys, random, sizes } = context;
  const total = sizes.reads;
  const latency = new LatencyRecorder(Math.ceil(total / MULTI_GET_KEYS));
  const meter = context.meter(total);
  let found = 0;
  let bytes = 0;

  const start = now();
  for (let done = 0; done < total;) {
    const size = Math.min(MULTI_GET_KEYS, total - done);
    const batch = new Array<Buffer>(size);
    for (let i = 0; i < size; i++) batch[i] = keys.keyAt(keys.randomIndex(random));
    const getStart = now();
    const pending = store.getMany(batch);
    const values = pending instanceof Promise ? await pending : pending;
    latency.record(now() - getStart);
    for (const value of values) {
      if (value === undefined) continue;
      found++;
      bytes += KEY_SIZE_BYTES + value.length;
    }
    done += size;
    meter.check(done);
    if (done % YIELD_EVERY_KEYS === 0) await yieldToEventLoop();
  }
  const elapsedNs = Number(now() - start);

  return { ops: total, elapsedNs, bytes, latency: latency.summary(), notes: missNotes(total, found) };
}

function missNotes(total: number, found: number): string[] {
  return found === total
    ? []
    : [`${(total - found).toLocaleString('en-US')} of ${total.toLocaleString('en-US')} keys NOT FOUND`];
}

/** db_bench readrandom: synchronous point reads of random present keys. */
export const READ_RANDOM: Workload = {
  name: 'readrandom',
  latencyUnit: 'one get',
  method: `Reads \`reads\` keys drawn at random (with replacement) from a store that holds every key, one at a time through each store's synchronous get, yielding to the event loop every ${YIELD_EVERY_KEYS} keys.`,
  requires: 'loaded',
  leaves: 'loaded',
  run: runReadRandom,
};

/** db_bench multireadrandom: random present keys read through multi-gets. */
export const MULTI_READ_RANDOM: Workload = {
  name: 'multireadrandom',
  latencyUnit: `a multi-get of ${MULTI_GET_KEYS} keys`,
  method: `Reads \`reads\` random keys in multi-gets of ${MULTI_GET_KEYS} (getMany); ops/s counts keys, not calls; yields to the event loop every ${YIELD_EVERY_KEYS} keys.`,
  requires: 'loaded',
  leaves: 'loaded',
  run: runMultiReadRandom,
};

/**
 * readrandom over a settled store: every store first compacts its whole key space (LevelDB's
 * and statefn's manual compaction; LMDB and the Map have nothing to compact), so the reads see
 * no memtable, no level-0 file and no compaction under way, only the store's final shape.
 */
export const READ_RANDOM_COMPACTED: Workload = {
  name: 'readrandom-compacted',
  latencyUnit: 'one get',
  method: `Compacts the whole key space and waits for it (untimed; the Notes give its wall time), then reads as readrandom does. statefn splits each of those compactions into up to one part per core, run at the same time (compactRange's maxSubcompactions); LevelDB compacts on one thread. RocksDB is left out: @nxtedition/rocksdb binds no manual compaction.`,
  requires: 'loaded',
  leaves: 'loaded',
  run: runReadRandomCompacted,
};
