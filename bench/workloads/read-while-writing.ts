/**
 * readwhilewriting in one Node process. db_bench runs readers on threads beside a writer
 * thread; here the reader is the main thread and the writer an async loop on the same event
 * loop, which is how a Node application reads while it writes. The two take turns: the reader
 * does READ_SLICE synchronous gets, then yields (setImmediate) so the writer and I/O callbacks
 * run; each writer turn issues WRITES_PER_TURN single puts together, awaits them all, then
 * yields. Issuing them together gives every store the same write demand per turn whether its
 * puts complete on the calling thread (RocksDB), on the libuv pool (LevelDB) or in a commit
 * thread (LMDB). A sequential writer (one put in flight) was tried and rejected: it got one
 * put per turn from the pool-based stores and many from the synchronous one. Reads/s counts the whole wall time, so main-thread
 * time a store spends on writes (including flush or compaction work done there) shows up as
 * fewer reads — the cost the target is about.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SeededRandom } from '../data/seeded-random.js';
import { KEY_SIZE_BYTES } from '../data/key-generator.js';
import { LatencyRecorder } from '../measure/latency-recorder.js';
import { now } from '../measure/clock.js';
import type { Workload, WorkloadContext, WorkloadMeasurement } from './workload.js';

/** Synchronous gets between two yields of the reader. */
export const READ_SLICE = 256;
/** Single puts the writer issues together in each of its turns. */
export const WRITES_PER_TURN = 64;

async function runReadWhileWriting(context: WorkloadContext): Promise<WorkloadMeasurement> {
  const { store, keys, values, random, sizes } = context;
  const total = sizes.reads;
  const latency = new LatencyRecorder(total);
  const meter = context.meter(total);
  const writerRandom = new SeededRandom(random.nextUint32());
  let stopped = false;
  let writes = 0;

  const putOne = async (): Promise<void> => {
    await store.putOne(keys.keyAt(keys.randomIndex(writerRandom)), values.next(), { sync: false });
    writes++;
  };
  const writer = (async (): Promise<void> => {
    while (!stopped) {
      await Promise.all(Array.from({ length: WRITES_PER_TURN }, putOne));
      await yieldToEventLoop();
    }
  })();
  // If the writer fails, the reader still finishes its slice; the failure surfaces below.
  writer.catch(() => {
    stopped = true;
  });

  let found = 0;
  let bytes = 0;
  const start = now();
  for (let done = 0; done < total && !stopped; done++) {
    const key = keys.keyAt(keys.randomIndex(random));
    const getStart = now();
    const value = store.getSync(key);
    latency.record(now() - getStart);
    if (value !== undefined) {
      found++;
      bytes += KEY_SIZE_BYTES + value.length;
    }
    if (done % READ_SLICE === READ_SLICE - 1) {
      meter.check(done);
      await yieldToEventLoop();
    }
  }
  const elapsedNs = Number(now() - start);
  const writesDuringReads = writes;
  stopped = true;
  await writer;

  const seconds = elapsedNs / 1e9;
  const notes = [
    `writer: ${writesDuringReads.toLocaleString('en-US')} acknowledged puts during the reads, ` +
      `${Math.round(writesDuringReads / seconds).toLocaleString('en-US')} puts/s`,
  ];
  if (found !== total)
    notes.push(
      `${(total - found).toLocaleString('en-US')} of ${total.toLocaleString('en-US')} keys NOT FOUND`,
    );
  return { ops: total, elapsedNs, bytes, latency: latency.summary(), notes };
}

/** db_bench readwhilewriting: random reads on the main thread while an async writer overwrites. */
export const READ_WHILE_WRITING: Workload = {
  name: 'readwhilewriting',
  latencyUnit: 'one get (reads only)',
  method:
    `Reads \`reads\` random present keys with synchronous gets on the main thread while, in the same process, an async writer loop overwrites random keys with awaited single puts (no fsync). ` +
    `Reader and writer share the event loop: the reader yields (setImmediate) after every ${READ_SLICE} gets; each writer turn issues ${WRITES_PER_TURN} single puts together, awaits them all, then yields. ` +
    `ops/s counts reads over the whole wall time, so a store's main-thread write work lowers it; the writer's rate is in the notes.`,
  requires: 'loaded',
  leaves: 'loaded',
  run: runReadWhileWriting,
};
