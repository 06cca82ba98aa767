/**
 * Durable ingress: `senders` concurrent producers (the issue says 64), each awaiting its
 * `rt.send` — which resolves once the message is fsynced in the ingress log — before the
 * next, for `seconds`; with `batch` > 1, each awaits `rt.sendAll` of that many messages
 * instead. Messages go to a stateless function that does nothing, so the figure is the
 * ingress log's (its processing still runs meanwhile, on the same cores). Messages/s =
 * acknowledged messages over the wall time from the first call to the last
 * acknowledgement; latency: per call, from the call to its acknowledgement.
 *
 * Verified: every acknowledgement carries its own offset, the offsets are dense, and after
 * `rt.idle()` the function had run once per acknowledged message.
 */
import { Runtime, StateFun, messageBuilder } from '../../runtime/index.js';
import type { Message } from '../../runtime/index.js';
import { runConcurrentSenders } from './concurrent-senders.js';
import { GrowableFloat64Array, summarizeLatencyMs } from './latency-ms.js';
import type { IngressResult } from './runtime-results.js';
import { every, stopRuntime, untilIdle } from './runtime-waits.js';
import { verify } from './verification.js';
import { PROGRESS_INTERVAL_MS, fileSystemOption, n, perSecond, settingsOf } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';

const SINK = 'bench/sink';
/** Distinct sink ids the messages rotate over. */
const SINK_IDS = 1024;

/** Message `i` of a run: to one of the sink's ids in turn, carrying `i`. */
function sinkMessage(i: number): Message {
  return messageBuilder({ typename: SINK, id: `s${i % SINK_IDS}`, value: i });
}

/** The size of one durable-ingress run. */
export type IngressOptions = {
  readonly senders: number;
  /** Messages per call: 1 (the default) sends with `rt.send`, more with `rt.sendAll`. */
  readonly batch?: number | undefined;
  readonly seconds: number;
  readonly checkpointIntervalMs: number;
  /** Stop sending after this many messages even if time is left (tests). */
  readonly maxMessages?: number | undefined;
  /** Replaces {@link verifyIngress} (tests: a wrong count must fail the workload). */
  readonly verify?: typeof verifyIngress | undefined;
};

/**
 * Throws a VerificationError unless `offsets` (one per acknowledgement, in any order) are
 * distinct and dense, and the function ran once per acknowledged message.
 */
export function verifyIngress(sent: number, offsets: Float64Array, processed: number): void {
  verify(sent > 0, 'ingress: nothing was sent');
  verify(offsets.length === sent, `ingress: ${n(offsets.length)} acknowledgements for ${n(sent)} sends`);
  const sorted = Float64Array.from(offsets).sort();
  for (let i = 1; i < sorted.length; i++) {
    verify(
      sorted[i] === sorted[i - 1]! + 1,
      `ingress: acknowledged offsets are not dense (${sorted[i - 1]} is followed by ${sorted[i]})`,
    );
  }
  verify(processed === sent, `ingress: ${n(processed)} messages processed, ${n(sent)} acknowledged`);
}

/** Runs the durable-ingress senders against a fresh runtime under `env.dir`. */
export async function runIngress(env: WorkloadEnv, options: IngressOptions): Promise<IngressResult> {
  let processed = 0;
  const statefun = new StateFun();
  statefun.bind({ typename: SINK, fn: () => void processed++ });
  const rt = await Runtime.start({
    dir: env.dir,
    statefun,
    checkpointIntervalMs: options.checkpointIntervalMs,
    ...fileSystemOption(env),
  });
  try {
    const settings = settingsOf(rt);
    const maxMessages = options.maxMessages ?? Number.POSITIVE_INFINITY;
    const batch = options.batch ?? 1;
    const latencyMs = new GrowableFloat64Array();
    const offsets = new GrowableFloat64Array();
    let sent = 0;
    let firstSendMs = 0;
    let lastAckMs = 0;
    const acknowledged = (calledMs: number): void => {
      lastAckMs = performance.now();
      latencyMs.push(lastAckMs - calledMs);
    };
    const stopProgress = every(PROGRESS_INTERVAL_MS, () =>
      env.log(`ingress: ${n(offsets.length)} acknowledged, ${n(processed)} processed`),
    );
    try {
      const deadline = performance.now() + options.seconds * 1000;
      await runConcurrentSenders(options.senders, () => {
        if (sent >= maxMessages || performance.now() >= deadline) return undefined;
        const first = sent;
        const count = Math.min(batch, maxMessages - first);
        // Messages are built before the clock starts.
        const messages =
          batch === 1 ? undefined : Array.from({ length: count }, (_, i) => sinkMessage(first + i));
        const single = messages === undefined ? sinkMessage(first) : undefined;
        const calledMs = performance.now();
        if (first === 0) firstSendMs = calledMs;
        sent += count;
        // A send per message, as the send row measured before batches existed: no array.
        if (single !== undefined) {
          return rt.send(single).then((ack) => {
            acknowledged(calledMs);
            offsets.push(ack.offset);
          });
        }
        return rt.sendAll(messages!).then((acks) => {
          acknowledged(calledMs);
          for (const ack of acks) offsets.push(ack.offset);
        });
      });
      await untilIdle(rt, 'ingress');
    } finally {
      stopProgress();
    }
    (options.verify ?? verifyIngress)(sent, offsets.view(), processed);
    const seconds = (lastAckMs - firstSendMs) / 1000;
    return {
      kind: 'ingress',
      settings,
      senders: options.senders,
      batch,
      messages: sent,
      seconds,
      messagesPerSec: perSecond(sent, seconds),
      latency: summarizeLatencyMs(latencyMs.view()),
    };
  } finally {
    await stopRuntime(rt);
  }
}
