/** Console lines of the runtime workloads' results, printed as the run goes. */
import { ingressBatchOf } from './runtime-results.js';
import type { RuntimeWorkloadResult } from './runtime-results.js';
import { n } from './workload-env.js';

/** One line per result, for the console. */
export function resultLine(result: RuntimeWorkloadResult): string {
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  switch (result.kind) {
    case 'counter':
      return `${n(result.invocationsPerSec)} invocations/s (${n(result.invocations)} in ${result.seconds.toFixed(1)} s), p50 ${ms(result.latency.p50Ms)}, p99 ${ms(result.latency.p99Ms)}`;
    case 'fan-out':
    case 'ping-pong':
      return `${n(result.invocationsPerSec)} invocations/s (${n(result.invocations)} in ${result.seconds.toFixed(1)} s)`;
    case 'backlog-checkpoint': {
      const checkpoints = result.checkpointDurations;
      return `${n(result.sinkMessagesPerSec)} sink messages/s (${n(result.sinkMessages)} in ${result.seconds.toFixed(1)} s), egress p50 ${ms(result.latency.p50Ms)}, p99 ${ms(result.latency.p99Ms)}; ${checkpoints.samples} checkpoint${checkpoints.samples === 1 ? '' : 's'}, p50 ${ms(checkpoints.p50Ms)}, max ${ms(checkpoints.maxMs)}; ${n(result.barriersOvertaken)} barriers overtaken (${n(result.barrierTimeouts)} timed out), ${n(result.setAside)} set aside, ${n(result.inFlightMessages)} recorded in flight`;
    }
    case 'ingress':
      return `${n(result.messagesPerSec)} acknowledged messages/s (${n(result.messages)} in ${result.seconds.toFixed(1)} s${ingressBatchOf(result) === 1 ? '' : `, batches of ${n(ingressBatchOf(result))}`}), p50 ${ms(result.latency.p50Ms)}, p99 ${ms(result.latency.p99Ms)}`;
    case 'state-size':
      return `${n(result.instances)} instances: full ${n(result.full.bytesCopied)} bytes in ${result.full.wallSeconds.toFixed(2)} s, incremental (${n(result.changedInstances)} changed) ${n(result.incremental.bytesCopied)} bytes in ${result.incremental.wallSeconds.toFixed(2)} s`;
    case 'recovery':
      return `${n(result.instances)} instances: Runtime.start ${result.startSeconds.toFixed(2)} s, idle after ${result.startToIdleSeconds.toFixed(2)} s (${n(result.replayedMessages)} replayed)`;
  }
}
