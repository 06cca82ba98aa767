/**
 * Ping-pong (cycles): `pairs` pairs of instances (pNa, pNb) pass one message back and forth
 * until `bounces` invocations have run per pair, all pairs at once. Each invocation reads its
 * value state, adds one and writes it, and passes its count on with the message; the last one
 * emits `[pair, own count, partner's count]` to the egress. Invocations/s = invocations over
 * the wall time from the first serve's send until `rt.idle()`; the egress is read afterwards
 * (after a checkpoint commits it), untimed, to verify.
 *
 * Verified: one egress record per pair, each with the counts a rally of `bounces` leaves in
 * state (ceil and floor of bounces / 2), and the function ran pairs x bounces times.
 */
import { Runtime, StateFun, egressMessageBuilder, messageBuilder } from '../../runtime/index.js';
import type { Context, Message } from '../../runtime/index.js';
import type { PingPongResult } from './runtime-results.js';
import { sendRootsUntilIdle, stopRuntime } from './runtime-waits.js';
import { U32_TUPLE_TYPE } from './u32-tuple-type.js';
import type { U32Tuple } from './u32-tuple-type.js';
import { verify } from './verification.js';
import { fileSystemOption, n, perSecond, settingsOf } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';

const PLAYER = 'bench/player';
const RALLIES = 'bench/rallies';
const SERVE_SENDERS = 64;

/** The shape of one ping-pong run. */
export type PingPongOptions = {
  readonly pairs: number;
  readonly bounces: number;
  readonly checkpointIntervalMs: number;
  /** Replaces {@link verifyPingPong} (tests: a wrong count must fail the workload). */
  readonly verify?: typeof verifyPingPong | undefined;
};

/**
 * Throws a VerificationError unless `rallies` (the egress records `[pair, count, partner's
 * count]`) hold one correct record per pair and the function ran pairs x bounces times.
 */
export function verifyPingPong(
  options: Pick<PingPongOptions, 'pairs' | 'bounces'>,
  rallies: readonly U32Tuple[],
  counted: number,
): void {
  const { pairs, bounces } = options;
  const expected = pairs * bounces;
  verify(counted === expected, `ping-pong: the function ran ${n(counted)} times, expected ${n(expected)}`);
  verify(rallies.length === pairs, `ping-pong: ${n(rallies.length)} rallies ended, expected ${n(pairs)}`);
  const ended = new Uint8Array(pairs);
  for (const [pair, own, partner] of rallies as [number, number, number][]) {
    verify(pair < pairs && ended[pair] === 0, `ping-pong: pair ${pair} ended twice or does not exist`);
    ended[pair] = 1;
    verify(
      own === Math.ceil(bounces / 2) && partner === Math.floor(bounces / 2),
      `ping-pong: pair ${pair} ended with counts ${own} and ${partner} after ${bounces} bounces`,
    );
  }
}

function pingPongApp(onInvoke: () => void): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: PLAYER,
    specs: [{ name: 'count', type: StateFun.intType() }],
    fn(context: Context, message: Message) {
      onInvoke();
      const count = ((context.storage.count as number | null | undefined) ?? 0) + 1;
      context.storage.count = count;
      const [pair, left, partnerCount] = message.as(U32_TUPLE_TYPE) as [number, number, number];
      if (left > 1) {
        const partner = context.self.id.endsWith('a') ? 'b' : 'a';
        context.send(
          messageBuilder({
            typename: PLAYER,
            id: `p${pair}${partner}`,
            value: [pair, left - 1, count],
            valueType: U32_TUPLE_TYPE,
          }),
        );
      } else {
        context.send(
          egressMessageBuilder({
            typename: RALLIES,
            value: [pair, count, partnerCount],
            valueType: U32_TUPLE_TYPE,
          }),
        );
      }
    },
  });
  return statefun;
}

/** Runs the rallies in a fresh runtime under `env.dir`; throws if verification fails. */
export async function runPingPong(env: WorkloadEnv, options: PingPongOptions): Promise<PingPongResult> {
  let counted = 0;
  const rt = await Runtime.start({
    dir: env.dir,
    statefun: pingPongApp(() => counted++),
    checkpointIntervalMs: options.checkpointIntervalMs,
    ...fileSystemOption(env),
  });
  try {
    const settings = settingsOf(rt);
    const { seconds, checkpoints, largestInFlight } = await sendRootsUntilIdle(rt, env, {
      label: 'ping-pong',
      roots: options.pairs,
      senders: SERVE_SENDERS,
      send: (pair) =>
        rt.send(
          messageBuilder({
            typename: PLAYER,
            id: `p${pair}a`,
            value: [pair, options.bounces, 0],
            valueType: U32_TUPLE_TYPE,
          }),
        ),
      counted: () => counted,
    });
    // Untimed: commit the rallies' egress records and read them back.
    await rt.checkpoint();
    const rallies: U32Tuple[] = [];
    for await (const record of rt.egress(RALLIES, { follow: false }))
      rallies.push(record.value.as(U32_TUPLE_TYPE));
    (options.verify ?? verifyPingPong)(options, rallies, counted);
    return {
      kind: 'ping-pong',
      settings,
      pairs: options.pairs,
      bounces: options.bounces,
      invocations: counted,
      seconds,
      invocationsPerSec: perSecond(counted, seconds),
      checkpoints,
      largestInFlight,
    };
  } finally {
    await stopRuntime(rt);
  }
}
