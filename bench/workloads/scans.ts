/**
 * readseq, readreverse and seekrandom: ordered reads through each store's cursor. A scan is
 * timed per chunk of entries (one native call for the stores that fetch in chunks), a seek
 * per seek-plus-reads.
 */
import { LatencyRecorder } from '../measure/latency-recorder.js';
import type { EntryVisitor } from '../stores/store.js';
import { now } from '../measure/clock.js';
import type { Workload, WorkloadContext, WorkloadMeasurement } from './workload.js';

/** Entries per timed cursor read in readseq and readreverse. */
export const SCAN_CHUNK_ENTRIES = 1000;
/** Entries read after each seek in seekrandom (db_bench's --seek_nexts). */
export const SEEK_NEXT_ENTRIES = 10;

async function runScan(context: WorkloadContext, reverse: boolean): Promise<WorkloadMeasurement> {
  const { store, sizes } = context;
  const total = Math.min(sizes.reads, sizes.num);
  const latency = new LatencyRecorder(Math.ceil(total / SCAN_CHUNK_ENTRIES));
  const meter = context.meter(total);
  let bytes = 0;
  const visit: EntryVisitor = (key, value) => {
    bytes += key.length + value.length;
  };

  const cursor = store.cursor({ reverse });
  let done = 0;
  const start = now();
  while (done < total) {
    const chunkStart = now();
    const pending = cursor.read(Math.min(SCAN_CHUNK_ENTRIES, total - done), visit);
    const read = typeof pending === 'number' ? pending : await pending;
    latency.record(now() - chunkStart);
    if (read === 0) break;
    done += read;
    meter.check(done);
  }
  const elapsedNs = Number(now() - start);
  await cursor.close();

  const notes =
    done < total
      ? [`scan ended after ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} entries`]
      : [];
  return { ops: done, elapsedNs, bytes, latency: latency.summary(), notes };
}

async function runSeekRandom(context: WorkloadContext): Promise<WorkloadMeasurement> {
  const { store, keys, random, sizes } = context;
  const total = sizes.seeks;
  const latency = new LatencyRecorder(total);
  const meter = context.meter(total);
  let bytes = 0;
  let entries = 0;
  const visit: EntryVisitor = (key, value) => {
    bytes += key.length + value.length;
  };

  const cursor = store.cursor({ reverse: false });
  const start = now();
  for (let done = 0; done < total; done++) {
    const key = keys.keyAt(keys.randomIndex(random));
    const seekStart = now();
    cursor.seek(key);
    const pending = cursor.read(SEEK_NEXT_ENTRIES, visit);
    entries += typeof pending === 'number' ? pending : await pending;
    latency.record(now() - seekStart);
    meter.tick(done);
  }
  const elapsedNs = Number(now() - start);
  await cursor.close();

  const notes = [`${(entries / total).toFixed(2)} entries read per seek`];
  return { ops: total, elapsedNs, bytes, latency: latency.summary(), notes };
}

/** db_bench readseq: a forward scan from the first key. */
export const READ_SEQ: Workload = {
  name: 'readseq',
  latencyUnit: `a cursor read of ${SCAN_CHUNK_ENTRIES} entries`,
  method: `Scans min(reads, num) entries forward from the first key through one cursor, ${SCAN_CHUNK_ENTRIES} entries per cursor read; ops/s counts entries.`,
  requires: 'loaded',
  leaves: 'loaded',
  run: (context) => runScan(context, false),
};

/** db_bench readreverse: a reverse scan from the last key. */
export const READ_REVERSE: Workload = {
  name: 'readreverse',
  latencyUnit: `a cursor read of ${SCAN_CHUNK_ENTRIES} entries`,
  method: `As readseq, backwards from the last key.`,
  requires: 'loaded',
  leaves: 'loaded',
  run: (context) => runScan(context, true),
};

/** db_bench seekrandom: seek to a random key, then read the next 10 entries. */
export const SEEK_RANDOM: Workload = {
  name: 'seekrandom',
  latencyUnit: `one seek plus ${SEEK_NEXT_ENTRIES} entries`,
  method: `Seeks one reused forward cursor to a random key and reads the next ${SEEK_NEXT_ENTRIES} entries, \`seeks\` times; ops/s counts seeks, MB/s the entries read.`,
  requires: 'loaded',
  leaves: 'loaded',
  run: runSeekRandom,
};
