/**
 * Fan-out: `trees` binary trees of `depth`, started at once by one ingress message each. The
 * invocation of node k (heap numbering, root 1) sends to nodes 2k and 2k+1 until the leaves
 * at `depth`, so a tree is 2^(depth+1) - 1 invocations, each of a distinct, stateless instance.
 * Invocations/s = invocations over the wall time from the first root's send until `rt.idle()`.
 *
 * Verified: the function counted exactly trees x (2^(depth+1) - 1) invocations, and so did
 * the runtime (`stats().perFunction`): every message down every tree arrived exactly once.
 */
import { Runtime, StateFun, messageBuilder } from '../../runtime/index.js';
import type { Context, Message } from '../../runtime/index.js';
import type { FanOutResult } from './runtime-results.js';
import { sendRootsUntilIdle, stopRuntime } from './runtime-waits.js';
import { U32_TUPLE_TYPE } from './u32-tuple-type.js';
import { verify } from './verification.js';
import { fileSystemOption, n, perSecond, settingsOf } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';

const TREE = 'bench/tree';
/** Roots sent at the same time (each is one durable ingress append). */
const ROOT_SENDERS = 64;

/** The shape of one fan-out run. */
export type FanOutOptions = {
  readonly depth: number;
  readonly trees: number;
  readonly checkpointIntervalMs: number;
  /** Replaces {@link verifyFanOut} (tests: a wrong count must fail the workload). */
  readonly verify?: typeof verifyFanOut | undefined;
};

/** Invocations of one tree of `depth`. */
export function treeInvocations(depth: number): number {
  return 2 ** (depth + 1) - 1;
}

/** Throws a VerificationError unless both counts are exactly the trees' size. */
export function verifyFanOut(
  options: Pick<FanOutOptions, 'depth' | 'trees'>,
  counted: number,
  runtimeCounted: number,
): void {
  const expected = options.trees * treeInvocations(options.depth);
  verify(counted === expected, `fan-out: the function ran ${n(counted)} times, expected ${n(expected)}`);
  verify(
    runtimeCounted === expected,
    `fan-out: the runtime counted ${n(runtimeCounted)} invocations, expected ${n(expected)}`,
  );
}

function treeApp(depth: number, onInvoke: () => void): StateFun {
  const firstLeaf = 2 ** depth;
  const statefun = new StateFun();
  statefun.bind({
    typename: TREE,
    fn(context: Context, message: Message) {
      onInvoke();
      const [tree, node] = message.as(U32_TUPLE_TYPE) as [number, number];
      if (node >= firstLeaf) return;
      for (const child of [2 * node, 2 * node + 1]) {
        context.send(
          messageBuilder({
            typename: TREE,
            id: `t${tree}.${child}`,
            value: [tree, child],
            valueType: U32_TUPLE_TYPE,
          }),
        );
      }
    },
  });
  return statefun;
}

/** Runs the fan-out trees in a fresh runtime under `env.dir`; throws if verification fails. */
export async function runFanOut(env: WorkloadEnv, options: FanOutOptions): Promise<FanOutResult> {
  let counted = 0;
  const rt = await Runtime.start({
    dir: env.dir,
    statefun: treeApp(options.depth, () => counted++),
    checkpointIntervalMs: options.checkpointIntervalMs,
    ...fileSystemOption(env),
  });
  try {
    const settings = settingsOf(rt);
    const { seconds, checkpoints, largestInFlight } = await sendRootsUntilIdle(rt, env, {
      label: 'fan-out',
      roots: options.trees,
      senders: ROOT_SENDERS,
      send: (tree) =>
        rt.send(
          messageBuilder({ typename: TREE, id: `t${tree}.1`, value: [tree, 1], valueType: U32_TUPLE_TYPE }),
        ),
      counted: () => counted,
    });
    (options.verify ?? verifyFanOut)(options, counted, rt.stats().perFunction[TREE] ?? 0);
    return {
      kind: 'fan-out',
      settings,
      depth: options.depth,
      trees: options.trees,
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
