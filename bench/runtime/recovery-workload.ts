/**
 * Recovery: `Runtime.start` on the directory of a runtime that was abandoned (a crash) after
 * the checkpoint-size workload's largest run, holding `instances` instances, a checkpoint,
 * and updates no checkpoint covers. Timed: until `Runtime.start` resolves (the checkpoint is
 * restored), and until `rt.idle()` after it (the updates are replayed from the ingress log).
 *
 * Verified: the replay ran exactly the updates after the checkpoint, and probed instances
 * (read back through the egress, untimed) hold the counts they had before the crash.
 */
import { Runtime } from '../../runtime/index.js';
import { runConcurrentSenders } from './concurrent-senders.js';
import { PROBED, instanceApp, instanceMessage } from './instance-app.js';
import type { RecoveryResult } from './runtime-results.js';
import { every, stopRuntime, untilIdle } from './runtime-waits.js';
import type { CrashInfo } from './state-size-workload.js';
import { verifyInvocations } from './state-size-workload.js';
import { U32_TUPLE_TYPE } from './u32-tuple-type.js';
import type { U32Tuple } from './u32-tuple-type.js';
import { verify } from './verification.js';
import { PROGRESS_INTERVAL_MS, fileSystemOption, n, settingsOf } from './workload-env.js';
import type { WorkloadEnv } from './workload-env.js';

const PROBE_SENDERS = 64;

/**
 * Throws a VerificationError unless every probe answered once (`answers` are `[index,
 * count]`), with the count it held before the crash plus the probe itself.
 */
export function verifyProbes(
  info: Pick<CrashInfo, 'probes' | 'expectedCounts'>,
  answers: readonly U32Tuple[],
): void {
  verify(
    answers.length === info.probes.length,
    `recovery: ${answers.length} probe answers for ${info.probes.length} probes`,
  );
  const counts = new Map<number, number>();
  for (const [index, count] of answers as [number, number][]) {
    verify(!counts.has(index), `recovery: instance ${index} answered twice`);
    counts.set(index, count);
  }
  info.probes.forEach((index, i) => {
    const expected = info.expectedCounts[i]! + 1;
    const count = counts.get(index);
    verify(
      count === expected,
      `recovery: instance ${index} counted ${String(count)} after the restart, expected ${expected}`,
    );
  });
}

/**
 * Restarts the crashed runtime described by `info` (its files in `env.dir`) and measures it.
 * `check` replaces {@link verifyProbes} (tests: a wrong count must fail the workload).
 */
export async function runRecovery(
  env: WorkloadEnv,
  info: CrashInfo,
  check: typeof verifyProbes = verifyProbes,
): Promise<RecoveryResult> {
  let counted = 0;
  const stopProgress = every(PROGRESS_INTERVAL_MS, () =>
    env.log(`recovery: ${n(counted)} invocations replayed so far`),
  );
  try {
    const startMs = performance.now();
    const rt = await Runtime.start({
      dir: env.dir,
      statefun: instanceApp(info.stateValueBytes, () => counted++),
      checkpointIntervalMs: 0,
      ...fileSystemOption(env),
    });
    try {
      const startSeconds = (performance.now() - startMs) / 1000;
      await untilIdle(rt, 'recovery');
      const startToIdleSeconds = (performance.now() - startMs) / 1000;
      verifyInvocations('recovery: replay', counted, info.replayedMessages);

      // Untimed: read the probed instances' counts back through the egress.
      let next = 0;
      await runConcurrentSenders(PROBE_SENDERS, () =>
        next < info.probes.length ? rt.send(instanceMessage(info.probes[next++]!, true)) : undefined,
      );
      await untilIdle(rt, 'recovery: probes');
      await rt.checkpoint();
      const answers: U32Tuple[] = [];
      for await (const record of rt.egress(PROBED, { follow: false }))
        answers.push(record.value.as(U32_TUPLE_TYPE));
      check(info, answers);
      return {
        kind: 'recovery',
        settings: settingsOf(rt),
        instances: info.instances,
        checkpointBytes: info.checkpointBytes,
        replayedMessages: info.replayedMessages,
        startSeconds,
        startToIdleSeconds,
        probedInstances: info.probes.length,
      };
    } finally {
      await stopRuntime(rt);
    }
  } finally {
    stopProgress();
  }
}
