/**
 * Checkpoint over a backlog: `sources` ingress messages, sent at once, each make a source
 * function send `messagesPerSource` messages to a sink, round robin over `sinkIds` ids, so a
 * backlog of messages between functions forms in the shards' mailboxes (spilling to files
 * past their memory). The sink counts as the counter does: it reads its value state, adds
 * one, writes it and emits one exactly-once egress record `[sequence, count]`. A checkpoint
 * whose barrier enters a mailbox behind that backlog waits for it to run, unless
 * `barrierTimeoutMs` is set: past it, the shard overtakes the barrier and records the
 * messages ahead as in flight instead of running them first. The workload runs once per
 * setting, each in a fresh runtime, to show what the option costs and saves.
 *
 * Measured from the first ingress send until the last egress record reaches the reader:
 * sink messages/s; per sink message, the latency from its source's `send` call to its
 * egress record; the growth of the runtime's barrier, set-aside and spill counters; and the
 * checkpoints that committed from the first send through the one that published the last
 * record, with the runtime's own durations (`stats().checkpoints`, sampled while the run
 * goes, since it keeps only the last 20). The benchmark asks for no checkpoint: timed
 * `rt.checkpoint()` calls would add to the runtime's own, and one made while another runs
 * waits for it too.
 *
 * Verified as the counter is (verifyCounter): every sink message's egress record was seen
 * exactly once, and every sink id's highest count equals the messages sent to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime, StateFun, egressMessageBuilder, messageBuilder } from '../../runtime/index.js';
import type { CommittedCheckpoint, Context, Message, RuntimeStats } from '../../runtime/index.js';
import { runConcurrentSenders } from './concurrent-senders.js';
import { verifyCounter } from './counter-workload.js';
import type { CounterObservation } from './counter-workload.js';
import { summarizeLatencyMs } from './latency-ms.js';
import { backlogRunName } from './runtime-plan.js';
import type { BacklogCheckpointResult } from './runtime-results.js';
import { CheckpointTally, every, stopRuntime, withStallGuard } from './runtime-waits.js';
import { U32_TUPLE_TYPE } from './u32-tuple-type.js';
import { verify } from './verification.js';
import { PROGRESS_INTERVAL_MS, fileSystemOption, n, perSecond, settingsOf } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';

const SOURCE = 'bench/backlog-source';
const SINK = 'bench/backlog-sink';
const SUNK = 'bench/backlog-sunk';
/** Ingress messages sent at the same time (each is one durable ingress append). */
const SOURCE_SENDERS = 64;
/**
 * How often the checkpoint tally reads `stats().checkpoints`: well under 20 checkpoints,
 * even counting those the shards start early when their staged egress fills its share.
 */
const TALLY_SAMPLE_MS = 250;
/** How often the workload looks for the checkpoint that published the last record. */
const LISTED_POLL_MS = 5;

/** The shape of one run. */
export type BacklogCheckpointOptions = {
  readonly sources: number;
  readonly messagesPerSource: number;
  readonly sinkIds: number;
  readonly barrierTimeoutMs: number;
  readonly checkpointIntervalMs: number;
  /** Replaces the check by {@link verifyCounter} (tests: a wrong count must fail the workload). */
  readonly verify?: ((observation: CounterObservation) => void) | undefined;
};

function backlogApp(messagesPerSource: number, sinkIds: number): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: SOURCE,
    fn(context: Context, message: Message) {
      const [source] = message.as(U32_TUPLE_TYPE) as [number];
      const first = source * messagesPerSource;
      for (let seq = first; seq < first + messagesPerSource; seq++) {
        context.send(
          messageBuilder({
            typename: SINK,
            id: `c${seq % sinkIds}`,
            value: [seq],
            valueType: U32_TUPLE_TYPE,
          }),
        );
      }
    },
  });
  statefun.bind({
    typename: SINK,
    specs: [{ name: 'count', type: StateFun.intType() }],
    fn(context: Context, message: Message) {
      const count = ((context.storage.count as number | null | undefined) ?? 0) + 1;
      context.storage.count = count;
      const [seq] = message.as(U32_TUPLE_TYPE) as [number];
      context.send(egressMessageBuilder({ typename: SUNK, value: [seq, count], valueType: U32_TUPLE_TYPE }));
    },
  });
  return statefun;
}

type CounterGrowth = Pick<
  BacklogCheckpointResult,
  'barriersOvertaken' | 'barrierTimeouts' | 'setAside' | 'spilled'
>;

/** How much each of the runtime's counters grew from `before` to `after`. */
function growth(before: RuntimeStats, after: RuntimeStats): CounterGrowth {
  return {
    barriersOvertaken: after.barriersOvertaken - before.barriersOvertaken,
    barrierTimeouts: after.barrierTimeouts - before.barrierTimeouts,
    setAside: after.setAsideTotal - before.setAsideTotal,
    spilled: after.spilledTotal - before.spilledTotal,
  };
}

/**
 * The checkpoints `tally` counts, through the one that published the `records`-th egress
 * record. A checkpoint publishes its records before `stats()` lists it, so that one may be
 * missing when the reader has seen every record: this waits for it (untimed).
 */
async function checkpointsPublishing(
  tally: CheckpointTally,
  records: number,
  label: string,
): Promise<CommittedCheckpoint[]> {
  const through = (): CommittedCheckpoint[] | undefined => {
    tally.sample();
    const committed = tally.committed;
    let published = 0;
    for (let i = 0; i < committed.length; i++) {
      published += committed[i]!.egressRecords;
      if (published >= records) return committed.slice(0, i + 1);
    }
    return undefined;
  };
  let waiting = true;
  const listed = (async () => {
    for (;;) {
      const found = through();
      if (found !== undefined || !waiting) return found ?? [];
      await sleep(LISTED_POLL_MS);
    }
  })();
  try {
    return await withStallGuard(
      listed,
      () => tally.count,
      () => `${label}: the checkpoint that published the last egress record is not in stats().checkpoints`,
    );
  } finally {
    // Once the guard gave up, the poll stops at its next turn.
    waiting = false;
  }
}

/** Runs the backlog in a fresh runtime under `env.dir`; throws if verification fails. */
export async function runBacklogCheckpoint(
  env: WorkloadEnv,
  options: BacklogCheckpointOptions,
): Promise<BacklogCheckpointResult> {
  const { sources, messagesPerSource, sinkIds, barrierTimeoutMs } = options;
  const label = backlogRunName(barrierTimeoutMs);
  const total = sources * messagesPerSource;
  // Sequence numbers travel as uint32; a bad size is the caller's bug, not a failed run.
  if (!(total >= 1 && total <= 0xffff_ffff && sinkIds >= 1)) {
    throw new RangeError(
      `runBacklogCheckpoint: sources x messagesPerSource must be from 1 to 2^32 - 1 and sinkIds at least 1, got ${total} and ${sinkIds}`,
    );
  }
  const rt = await Runtime.start({
    dir: env.dir,
    statefun: backlogApp(messagesPerSource, sinkIds),
    checkpointIntervalMs: options.checkpointIntervalMs,
    barrierTimeoutMs,
    ...fileSystemOption(env),
  });
  try {
    const settings = settingsOf(rt);
    const sentAtMs = new Float64Array(sources);
    // Indexed by sequence number; NaN until its egress record is seen.
    const latencyMs = new Float64Array(total).fill(Number.NaN);
    const sentPerId = new Uint32Array(sinkIds);
    for (let seq = 0; seq < total; seq++) sentPerId[seq % sinkIds]!++;
    const maxCountPerId = new Uint32Array(sinkIds);
    let seen = 0;
    let duplicates = 0;
    let unknown = 0;
    let lastSeenMs = 0;
    let drained!: () => void;
    const allSeen = new Promise<void>((resolve) => (drained = resolve));

    const reader = (async () => {
      for await (const record of rt.egress(SUNK)) {
        const now = performance.now();
        const [seq, count] = record.value.as(U32_TUPLE_TYPE) as [number, number];
        if (seq >= total) unknown++;
        else if (!Number.isNaN(latencyMs[seq]!)) duplicates++;
        else {
          latencyMs[seq] = now - sentAtMs[Math.floor(seq / messagesPerSource)]!;
          seen++;
          lastSeenMs = now;
          const id = seq % sinkIds;
          if (count > maxCountPerId[id]!) maxCountPerId[id] = count;
        }
        if (seen === total) drained();
      }
    })();
    // As in the counter: ending early fails the run; ending once the runtime stops is moot.
    const readerEnded = reader.then(
      () => verify(false, `${label}: the egress reader ended before every record was seen`),
      (error: unknown) => verify(false, `${label}: the egress reader failed: ${String(error)}`),
    );
    readerEnded.catch(() => undefined);

    const before = rt.stats();
    const checkpoints = new CheckpointTally(rt);
    const stopSampling = every(TALLY_SAMPLE_MS, () => checkpoints.sample());
    const stopProgress = every(PROGRESS_INTERVAL_MS, () => {
      const stats = rt.stats();
      env.log(
        `${label}: ${n(seen)} of ${n(total)} egress records seen, ${n(stats.inFlight)} messages queued, ${checkpoints.count} checkpoints`,
      );
    });
    try {
      let next = 0;
      await runConcurrentSenders(Math.min(SOURCE_SENDERS, sources), () => {
        if (next === sources) return undefined;
        const source = next++;
        const message = messageBuilder({
          typename: SOURCE,
          id: `s${source}`,
          value: [source],
          valueType: U32_TUPLE_TYPE,
        });
        sentAtMs[source] = performance.now();
        return rt.send(message);
      });
      await withStallGuard(
        Promise.race([allSeen, readerEnded]),
        () => seen,
        () => `${label}: ${n(seen)} of ${n(total)} egress records seen`,
      );
    } finally {
      stopSampling();
      stopProgress();
    }
    const counters = growth(before, rt.stats());

    (options.verify ?? ((o: CounterObservation) => verifyCounter(o, label)))({
      sent: total,
      seen,
      duplicates,
      unknown,
      sentPerId,
      maxCountPerId,
    });
    const committed = await checkpointsPublishing(checkpoints, total, label);
    const seconds = (lastSeenMs - sentAtMs[0]!) / 1000;
    return {
      kind: 'backlog-checkpoint',
      settings,
      barrierTimeoutMs,
      checkpointIntervalMs: options.checkpointIntervalMs,
      sources,
      messagesPerSource,
      sinkIds,
      sinkMessages: total,
      seconds,
      sinkMessagesPerSec: perSecond(total, seconds),
      latency: summarizeLatencyMs(latencyMs),
      checkpointDurations: summarizeLatencyMs(Float64Array.from(committed, (cp) => cp.durationMs)),
      inFlightMessages: committed.reduce((sum, cp) => sum + cp.inFlightMessages, 0),
      ...counters,
    };
  } finally {
    await stopRuntime(rt);
  }
}
