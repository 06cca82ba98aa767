/**
 * Counter: one ingress message per invocation; the function reads its value state, adds one,
 * writes it back and emits one egress record `[sequence, count]`. Messages go to ids drawn
 * uniformly from `ids` distinct ones, from `concurrency` senders each awaiting its `rt.send`,
 * for `seconds`; then the run waits until every message's egress record has been read.
 *
 * Invocations/s = messages processed end to end (sent, processed, egress committed) over the
 * wall time from the first send to the last egress record seen through `rt.egress`. Latency:
 * per message, from the `send` call to its egress record reaching the reader; in exactly-once
 * mode that includes waiting for the checkpoint that commits it.
 *
 * Verified before anything is reported: every sequence number was seen exactly once on the
 * egress, and every id's highest count equals the number of messages sent to it.
 */
import { Runtime, StateFun, egressMessageBuilder, messageBuilder } from '../../runtime/index.js';
import type { Context, Message } from '../../runtime/index.js';
import { SeededRandom } from '../data/seeded-random.js';
import { runConcurrentSenders } from './concurrent-senders.js';
import { GrowableFloat64Array, summarizeLatencyMs } from './latency-ms.js';
import type { CounterResult, RuntimeMode } from './runtime-results.js';
import { CheckpointTally, every, stopRuntime, withStallGuard } from './runtime-waits.js';
import { U32_TUPLE_TYPE } from './u32-tuple-type.js';
import { verify } from './verification.js';
import { PROGRESS_INTERVAL_MS, fileSystemOption, n, perSecond, settingsOf } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';

const COUNTER = 'bench/counter';
const COUNTED = 'bench/counted';

/** Sizes of one counter run. */
export type CounterOptions = {
  readonly mode: RuntimeMode;
  readonly seconds: number;
  readonly concurrency: number;
  readonly ids: number;
  readonly checkpointIntervalMs: number;
  /** Stop sending after this many messages even if time is left (tests). */
  readonly maxInvocations?: number | undefined;
  /** Replaces {@link verifyCounter} (tests: a wrong count must fail the workload). */
  readonly verify?: ((observation: CounterObservation) => void) | undefined;
};

/** What the counter saw, checked by {@link verifyCounter}. */
export type CounterObservation = {
  readonly sent: number;
  /** Sequence numbers seen on the egress for the first time. */
  readonly seen: number;
  /** Egress records of a sequence number seen before. */
  readonly duplicates: number;
  /** Egress records of a sequence number never sent. */
  readonly unknown: number;
  /** Messages sent to each id. */
  readonly sentPerId: Uint32Array;
  /** Highest count each id reported on the egress. */
  readonly maxCountPerId: Uint32Array;
};

/**
 * Throws a VerificationError unless the egress accounts for every message exactly once;
 * `workload` starts its message (other workloads count with ids `c<id>` the same way).
 */
export function verifyCounter(o: CounterObservation, workload = 'counter'): void {
  verify(o.sent > 0, `${workload}: nothing was sent`);
  verify(o.unknown === 0, `${workload}: ${n(o.unknown)} egress records of messages never sent`);
  verify(o.duplicates === 0, `${workload}: ${n(o.duplicates)} messages seen twice on the egress`);
  verify(o.seen === o.sent, `${workload}: ${n(o.seen)} egress records for ${n(o.sent)} messages sent`);
  let wrong = 0;
  let example = '';
  for (let id = 0; id < o.sentPerId.length; id++) {
    if (o.sentPerId[id] === o.maxCountPerId[id]) continue;
    if (wrong++ === 0) example = `c${id} got ${o.sentPerId[id]} messages, counted ${o.maxCountPerId[id]}`;
  }
  verify(wrong === 0, `${workload}: ${n(wrong)} ids end with a count other than their messages (${example})`);
}

function counterApp(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: COUNTER,
    specs: [{ name: 'count', type: StateFun.intType() }],
    fn(context: Context, message: Message) {
      const count = ((context.storage.count as number | null | undefined) ?? 0) + 1;
      context.storage.count = count;
      context.send(
        egressMessageBuilder({
          typename: COUNTED,
          value: [message.asInt(), count],
          valueType: U32_TUPLE_TYPE,
        }),
      );
    },
  });
  return statefun;
}

/** Runs the counter in a fresh runtime under `env.dir`; throws if verification fails. */
export async function runCounter(env: WorkloadEnv, options: CounterOptions): Promise<CounterResult> {
  const { mode, concurrency, ids } = options;
  const maxInvocations = options.maxInvocations ?? Number.POSITIVE_INFINITY;
  const rt = await Runtime.start({
    dir: env.dir,
    statefun: counterApp(),
    mode,
    checkpointIntervalMs: options.checkpointIntervalMs,
    ...fileSystemOption(env),
  });
  try {
    const settings = settingsOf(rt);
    const random = SeededRandom.derive(env.seed, `runtime-counter-${mode}`);
    // Indexed by sequence number: when the send was called, its id, its latency (NaN until seen).
    const sentAtMs = new GrowableFloat64Array();
    const idOf = new GrowableFloat64Array();
    const latencyMs = new GrowableFloat64Array();
    const sentPerId = new Uint32Array(ids);
    const maxCountPerId = new Uint32Array(ids);
    let seen = 0;
    let duplicates = 0;
    let unknown = 0;
    let lastSeenMs = 0;
    let sendingDone = false;
    let drained!: () => void;
    const allSeen = new Promise<void>((resolve) => (drained = resolve));

    const reader = (async () => {
      for await (const record of rt.egress(COUNTED)) {
        const now = performance.now();
        const [seq, count] = record.value.as(U32_TUPLE_TYPE) as [number, number];
        if (seq >= latencyMs.length) unknown++;
        else if (!Number.isNaN(latencyMs.get(seq))) duplicates++;
        else {
          latencyMs.set(seq, now - sentAtMs.get(seq));
          seen++;
          lastSeenMs = now;
          const id = idOf.get(seq);
          if (count > maxCountPerId[id]!) maxCountPerId[id] = count;
        }
        if (sendingDone && seen === latencyMs.length) drained();
      }
    })();
    // The reader ending before every record was seen fails the run; ending later (the runtime
    // stops) is moot, so that outcome is observed here and only raced below.
    const readerEnded = reader.then(
      () => verify(false, 'counter: the egress reader ended before every record was seen'),
      (error: unknown) => verify(false, `counter: the egress reader failed: ${String(error)}`),
    );
    readerEnded.catch(() => undefined);

    const checkpoints = new CheckpointTally(rt);
    const stopProgress = every(PROGRESS_INTERVAL_MS, () => {
      checkpoints.sample();
      env.log(
        `counter (${mode}): ${n(latencyMs.length)} sent, ${n(seen)} seen on the egress, ${checkpoints.count} checkpoints`,
      );
    });
    try {
      const deadline = performance.now() + options.seconds * 1000;
      await runConcurrentSenders(concurrency, () => {
        if (latencyMs.length >= maxInvocations || performance.now() >= deadline) return undefined;
        const id = random.nextInt(ids);
        const seq = idOf.push(id);
        latencyMs.push(Number.NaN);
        sentPerId[id]!++;
        const message = messageBuilder({ typename: COUNTER, id: `c${id}`, value: seq });
        sentAtMs.push(performance.now());
        return rt.send(message);
      });
      sendingDone = true;
      if (seen === latencyMs.length) drained();
      await withStallGuard(
        Promise.race([allSeen, readerEnded]),
        () => seen,
        () => `counter (${mode}): ${n(seen)} of ${n(latencyMs.length)} egress records seen`,
      );
    } finally {
      stopProgress();
    }
    checkpoints.sample();

    const sent = latencyMs.length;
    (options.verify ?? verifyCounter)({ sent, seen, duplicates, unknown, sentPerId, maxCountPerId });
    const seconds = (lastSeenMs - sentAtMs.get(0)) / 1000;
    return {
      kind: 'counter',
      mode,
      settings,
      checkpointIntervalMs: options.checkpointIntervalMs,
      ids,
      concurrency,
      invocations: sent,
      seconds,
      invocationsPerSec: perSecond(sent, seconds),
      latency: summarizeLatencyMs(latencyMs.view()),
      checkpoints: checkpoints.count,
    };
  } finally {
    await stopRuntime(rt);
  }
}
