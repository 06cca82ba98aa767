/**
 * The report's "Stateful functions runtime" section, rendered from one {@link RuntimeRun}.
 * Pure: every figure it prints comes from the run passed in.
 */
import { formatBytes, formatInteger, formatLatency, markdownTable, nestHeadings } from '../report/format.js';
import type { Align } from '../report/format.js';
import type { TargetCheck } from '../report/targets.js';
import { treeInvocations } from './fan-out-workload.js';
import type {
  BacklogCheckpointResult,
  CounterResult,
  FanOutResult,
  IngressResult,
  LargestInFlight,
  LatencyMs,
  PingPongResult,
  RecoveryResult,
  RuntimeRun,
  RuntimeSettings,
} from './runtime-results.js';
import { ingressBatchOf } from './runtime-results.js';
import { backlogRuns, counterRuns } from './runtime-plan.js';
import type { BacklogPlan } from './runtime-plan.js';
import { checkRuntimeTargets, incrementalShare, stateSizesOf } from './runtime-targets.js';

/** The section's title. */
export const RUNTIME_SECTION_TITLE = '## Stateful functions runtime';

const ms = (value: number): string => formatLatency(value * 1e6);
const seconds = (value: number): string =>
  value < 1 ? `${(value * 1000).toFixed(1)} ms` : `${value.toFixed(2)} s`;

/**
 * The whole section; `preamble` (the provenance line of a stored part) goes under the title.
 * Empty when the benchmark was not run.
 */
export function renderRuntimeSection(run: RuntimeRun | undefined, preamble = '', analysis = ''): string {
  if (run === undefined) return '';
  const parts = [RUNTIME_SECTION_TITLE];
  if (preamble.length > 0) parts.push(preamble);
  if (run.error !== undefined) parts.push(`**The runtime benchmark did not finish:** ${run.error}.`);
  parts.push(`### Targets\n\n${targetsTable(checkRuntimeTargets(run))}`);
  if (analysis.trim().length > 0) parts.push(nestHeadings(analysis.trim()));
  parts.push(counterSection(run));
  parts.push(messagingSection(run));
  // Absent from results stored before the workload existed.
  if (run.plan.backlog !== undefined) parts.push(backlogSection(run, run.plan.backlog));
  parts.push(ingressSection(run));
  parts.push(stateSizeSection(run));
  parts.push(recoverySection(run));
  if (run.failures.length > 0) {
    parts.push(
      `### Failed workloads\n\nNo figure is reported for these.\n\n${run.failures.map((f) => `- ${f.workload}: ${f.error}`).join('\n')}`,
    );
  }
  parts.push(`### Method\n\n${method(run)}`);
  return parts.join('\n\n');
}

function targetsTable(checks: readonly TargetCheck[]): string {
  const rows = checks.map((c) => [
    c.target,
    c.measured,
    c.status === 'met' ? '**met**' : c.status === 'not met' ? '**not met**' : c.status,
  ]);
  return markdownTable(['Target', 'Measured', 'Status'], rows);
}

/** The failure of the workload named `prefix` (or starting with it, unless `exact`). */
function failureOf(run: RuntimeRun, prefix: string, exact = false): string {
  const failure = run.failures.find((f) => (exact ? f.workload === prefix : f.workload.startsWith(prefix)));
  return failure !== undefined ? `failed: ${failure.error}` : 'not run';
}

function latencyCells(latency: LatencyMs): string[] {
  return [ms(latency.p50Ms), ms(latency.p99Ms), ms(latency.maxMs)];
}

function plural(count: number, noun: string): string {
  return `${formatInteger(count)} ${noun}${count === 1 ? '' : 's'}`;
}

function settingsText(settings: RuntimeSettings): string {
  return `${settings.shards} shards, ${settings.maxParallelism} key groups`;
}

function counterSection(run: RuntimeRun): string {
  const { plan } = run;
  const rows: string[][] = [];
  for (const { name, mode, checkpointIntervalMs: interval } of counterRuns(plan)) {
    const label = `statefn ${run.statefnVersion}`;
    const r = run.results.find(
      (x): x is CounterResult =>
        x.kind === 'counter' && x.mode === mode && x.checkpointIntervalMs === interval,
    );
    if (r === undefined) {
      rows.push([label, name, failureOf(run, `counter (${name})`), '', '', '', '', '', '']);
      continue;
    }
    rows.push([
      label,
      `${mode}, checkpoints every ${r.checkpointIntervalMs} ms`,
      formatInteger(r.invocations),
      formatInteger(r.concurrency),
      formatInteger(r.invocationsPerSec),
      ...latencyCells(r.latency),
      `${formatInteger(r.ids)} ids; ${seconds(r.seconds)}; ${plural(r.checkpoints, 'checkpoint')}; ${settingsText(r.settings)}`,
    ]);
  }
  const restate = run.restate;
  if (restate.result !== undefined) {
    const r = restate.result;
    rows.push([
      `Restate server ${r.serverVersion}, TypeScript SDK ${r.sdkVersion}`,
      'virtual object, over loopback',
      formatInteger(r.invocations),
      formatInteger(r.concurrency),
      formatInteger(r.invocationsPerSec),
      ms(r.p50Ms),
      ms(r.p99Ms),
      ms(r.maxMs),
      [
        `${formatInteger(r.ids)} ids`,
        seconds(r.seconds),
        ...(r.checkedKeys !== undefined && r.checkedCalls !== undefined
          ? [`checked ${formatInteger(r.checkedKeys)} counters and ${formatInteger(r.checkedCalls)} replies`]
          : []),
      ].join('; '),
    ]);
  } else {
    rows.push([
      'Restate',
      'virtual object, over loopback',
      restate.error !== undefined ? `failed: ${restate.error}` : 'not run (--no-restate)',
      '',
      '',
      '',
      '',
      '',
      '',
    ]);
  }
  const align: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'];
  return [
    '### Counter, side by side with Restate',
    '',
    `One message per invocation to one of ${formatInteger(plan.counterIds)} ids drawn at random; the function reads its value state, adds one, writes it and emits one egress record. ` +
      `statefn's senders keep sending for ${plan.counterSeconds} s per mode, each awaiting its \`rt.send\`` +
      (plan.shortCheckpointIntervalMs === undefined
        ? ''
        : `, and once more in exactly-once mode with checkpoints every ${plan.shortCheckpointIntervalMs} ms, for the latency a shorter interval gives`) +
      '; Restate runs the same counter as a virtual object (its figures and versions are those its runner reported).',
    '',
    markdownTable(
      ['System', 'Guarantee', 'Invocations', 'In flight', 'Invocations/s', 'p50', 'p99', 'max', 'Notes'],
      rows,
      align,
    ),
    '',
    "statefn: invocations/s = messages sent, processed and seen on the egress, over the wall time from the first send to the last egress record read through `rt.egress`; latency = per message, from the `send` call to its egress record reaching the reader. In exactly-once mode an egress record becomes visible only when the checkpoint covering it commits, so its latency includes waiting for the next checkpoint (up to the interval, plus the checkpoint's own time); in at-least-once mode egress is visible at once. Every message's egress record was seen exactly once and every id's final count equalled the messages sent to it, or the row would say failed. Restate: per call, from sending the request to its response over loopback HTTP, as its runner measures them; the counters it checked after its run are in the notes.",
  ].join('\n');
}

/** `largest` as a table cell; empty for results stored before it was measured. */
function largestInFlightCell(largest: LargestInFlight | undefined): string {
  if (largest === undefined) return '';
  return `${formatInteger(largest.messages)} messages, metadata ${formatInteger(largest.metadataBytes)} bytes`;
}

function messagingSection(run: RuntimeRun): string {
  const fanOut = run.results.find((r): r is FanOutResult => r.kind === 'fan-out');
  const pingPong = run.results.find((r): r is PingPongResult => r.kind === 'ping-pong');
  const { plan } = run;
  const rows = [
    fanOut === undefined
      ? [
          'fan-out',
          `${plan.fanOutTrees} trees of depth ${plan.fanOutDepth}`,
          failureOf(run, 'fan-out'),
          '',
          '',
          '',
          '',
        ]
      : [
          'fan-out',
          `${fanOut.trees} trees of depth ${fanOut.depth} (${formatInteger(treeInvocations(fanOut.depth))} invocations each); stateless`,
          formatInteger(fanOut.invocations),
          seconds(fanOut.seconds),
          formatInteger(fanOut.invocationsPerSec),
          formatInteger(fanOut.checkpoints),
          largestInFlightCell(fanOut.largestInFlight),
        ],
    pingPong === undefined
      ? [
          'ping-pong',
          `${plan.pingPongPairs} pairs x ${plan.pingPongBounces}`,
          failureOf(run, 'ping-pong'),
          '',
          '',
          '',
          '',
        ]
      : [
          'ping-pong',
          `${formatInteger(pingPong.pairs)} pairs, ${formatInteger(pingPong.bounces)} invocations each, at once; value state read and written`,
          formatInteger(pingPong.invocations),
          seconds(pingPong.seconds),
          formatInteger(pingPong.invocationsPerSec),
          formatInteger(pingPong.checkpoints),
          largestInFlightCell(pingPong.largestInFlight),
        ],
  ];
  return [
    '### Fan-out and cycles (statefn)',
    '',
    `Messages between functions: each fan-out invocation sends to two children down a binary tree; each ping-pong invocation sends to its partner, a cycle of two. Exactly-once, checkpoints every ${plan.checkpointIntervalMs} ms. Time: from the first ingress send until \`rt.idle()\`.`,
    '',
    markdownTable(
      ['Workload', 'Shape', 'Invocations', 'Time', 'Invocations/s', 'Checkpoints', 'Most in flight'],
      rows,
      ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
    'Fan-out: the function and the runtime each counted exactly trees x (2^(depth+1) - 1) invocations. Ping-pong: every pair ended once, with the counts its rally leaves in state, read back through the egress after the timed part.',
    '',
    "Most in flight: of the run's checkpoints, the one that recorded the most messages in flight between functions (they go to the state engine as they are recorded), and the size of its metadata file, which holds their count instead of the messages.",
  ].join('\n');
}

function backlogSection(run: RuntimeRun, backlog: BacklogPlan): string {
  const { plan } = run;
  const { sources, messagesPerSource, sinkIds } = backlog;
  const rows = backlogRuns(plan).map(({ name, barrierTimeoutMs }) => {
    const setting = barrierTimeoutMs === 0 ? '0 (off)' : `${formatInteger(barrierTimeoutMs)} ms`;
    const r = run.results.find(
      (x): x is BacklogCheckpointResult =>
        x.kind === 'backlog-checkpoint' && x.barrierTimeoutMs === barrierTimeoutMs,
    );
    if (r === undefined) return [setting, failureOf(run, name), '', '', '', '', '', '', '', '', '', ''];
    const checkpoints = r.checkpointDurations;
    const none = checkpoints.samples === 0;
    return [
      setting,
      seconds(r.seconds),
      formatInteger(r.sinkMessagesPerSec),
      ms(r.latency.p50Ms),
      ms(r.latency.p99Ms),
      formatInteger(checkpoints.samples),
      none ? '—' : ms(checkpoints.p50Ms),
      none ? '—' : ms(checkpoints.maxMs),
      `${formatInteger(r.barriersOvertaken)} (${formatInteger(r.barrierTimeouts)})`,
      formatInteger(r.setAside),
      formatInteger(r.inFlightMessages),
      formatInteger(r.spilled),
    ];
  });
  return [
    '### Checkpoints over a backlog (statefn)',
    '',
    `Messages between functions queued ahead of a checkpoint's barrier: ${formatInteger(sources)} ingress messages, sent at once, each make a source function send ${formatInteger(messagesPerSource)} messages to a sink, round robin over ${formatInteger(sinkIds)} ids (${formatInteger(sources * messagesPerSource)} sink messages, which queue in the shards' mailboxes, spilling to files past their memory); the sink reads its value state, adds one, writes it and emits one egress record. ` +
      `Exactly-once, checkpoints every ${plan.checkpointIntervalMs} ms, a fresh runtime per \`barrierTimeoutMs\`: with 0 (the default) a barrier waits in its mailbox until the messages ahead of it have run; past the timeout the shard snapshots without it and records those messages as in flight (written to the state engine) instead of running them first. ` +
      'Time: from the first ingress send until the last egress record was read.',
    '',
    markdownTable(
      [
        'barrierTimeoutMs',
        'Time',
        'Sink messages/s',
        'Egress p50',
        'Egress p99',
        'Checkpoints',
        'Checkpoint p50',
        'Checkpoint max',
        'Barriers overtaken (timed out)',
        'Set aside',
        'Recorded in flight',
        'Spilled',
      ],
      rows,
      ['left', ...new Array<Align>(11).fill('right')],
    ),
    '',
    "Egress p50, p99: per sink message, from its source's `send` call to its egress record reaching the reader. Checkpoints: those that committed from the first send through the one that published the last egress record, and their durations. Barriers overtaken (of which timed out), set aside, spilled: what `rt.stats()`'s `barriersOvertaken` (`barrierTimeouts`), `setAsideTotal` and `spilledTotal` grew by during the run, summed over the shards, so a checkpoint counts once per shard that overtook its barrier (a shard whose staged egress fills its share overtakes barriers without a timeout too). Recorded in flight: the messages those checkpoints recorded (`CommittedCheckpoint.inFlightMessages`). Every sink message's egress record was seen exactly once and every sink id's final count equalled the messages sent to it, or the row would say failed.",
  ].join('\n');
}

function ingressSection(run: RuntimeRun): string {
  const ingress = run.results.filter((x): x is IngressResult => x.kind === 'ingress');
  const row = (batch: number): string[] => {
    const call = batch === 1 ? '`send`' : `\`sendAll\` of ${formatInteger(batch)}`;
    const r = ingress.find((x) => ingressBatchOf(x) === batch);
    if (r === undefined) {
      const name = batch === 1 ? 'durable ingress' : `durable ingress, batches of ${formatInteger(batch)}`;
      return [call, String(run.plan.ingressSenders), failureOf(run, name, true), '', '', '', '', ''];
    }
    return [
      call,
      formatInteger(r.senders),
      formatInteger(r.messages),
      seconds(r.seconds),
      formatInteger(r.messagesPerSec),
      ...latencyCells(r.latency),
    ];
  };
  const batch = run.plan.ingressBatch;
  const rows = batch === undefined ? [row(1)] : [row(1), row(batch)];
  return [
    '### Durable ingress (statefn)',
    '',
    `Each sender awaits its call, which resolves once its messages are fsynced in the ingress log, before its next, for ${run.plan.ingressSeconds} s: \`rt.send\` of one message${batch === undefined ? '' : `, then, in a run of its own, \`rt.sendAll\` of ${formatInteger(batch)} messages (one write, all or none)`}. The messages go to a function that does nothing; it runs meanwhile on the same cores. Messages/s counts messages acknowledged. Latency: per call, from the call to its acknowledgement.`,
    '',
    markdownTable(['Call', 'Senders', 'Acknowledged', 'Time', 'Messages/s', 'p50', 'p99', 'max'], rows, [
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
    ]),
  ].join('\n');
}

function stateSizeSection(run: RuntimeRun): string {
  const measured = stateSizesOf(run);
  const rows: string[][] = [];
  for (const instances of run.plan.stateInstances) {
    const r = measured.find((x) => x.instances === instances);
    if (r === undefined) {
      rows.push([
        formatInteger(instances),
        failureOf(run, `checkpoints at ${formatInteger(instances)}`),
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ]);
      continue;
    }
    const share = incrementalShare(r);
    rows.push([
      formatInteger(r.instances),
      formatBytes(r.instances * r.stateValueBytes),
      seconds(r.loadSeconds),
      seconds(r.full.wallSeconds),
      formatInteger(r.full.bytesCopied),
      formatInteger(r.changedInstances),
      seconds(r.incremental.wallSeconds),
      formatInteger(r.incremental.bytesCopied),
      Number.isNaN(share) ? '—' : `${(share * 100).toFixed(2)}%`,
      formatBytes(r.incremental.totalBytes),
    ]);
  }
  return [
    '### Checkpoints against state size (statefn)',
    '',
    `A fresh runtime per size, periodic checkpoints off: load the instances (one invocation each, ${run.plan.stateValueBytes}-byte value state), take a checkpoint (full: the store is empty), change ${(run.plan.changedShare * 100).toFixed(0)}% of the instances at random (one invocation each), take another (incremental). Before each checkpoint the run waits, untimed, until the state engine has no flush or compaction due and none finished for a second: the load leaves compaction debt, whose outputs an incremental checkpoint taken while it runs would copy too, whatever changed. Times are the wall time of \`rt.checkpoint()\`; bytes copied are the runtime's \`CommittedCheckpoint.bytesCopied\` (files and WAL segments the store did not hold, and the metadata).`,
    '',
    markdownTable(
      [
        'Instances',
        'Value state held',
        'Load',
        'Full: time',
        'Full: bytes copied',
        'Changed',
        'Incremental: time',
        'Incremental: bytes copied',
        'Incremental / full',
        'Checkpoint size',
      ],
      rows,
      ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  ].join('\n');
}

function recoverySection(run: RuntimeRun): string {
  const r = run.results.find((x): x is RecoveryResult => x.kind === 'recovery');
  const largest = run.plan.stateInstances.at(-1) ?? 0;
  const row =
    r === undefined
      ? [formatInteger(largest), failureOf(run, 'recovery'), '', '', '', '']
      : [
          formatInteger(r.instances),
          formatBytes(r.checkpointBytes),
          formatInteger(r.replayedMessages),
          seconds(r.startSeconds),
          seconds(r.startToIdleSeconds),
          formatInteger(r.probedInstances),
        ];
  return [
    '### Recovery (statefn)',
    '',
    "The checkpoint-size workload's largest runtime, after its incremental checkpoint and as many more updates (not checkpointed), is abandoned with `rt.abandon()` and its process killed (SIGKILL): a process crash (the kernel keeps what was written; the page cache is warm). A new process then runs `Runtime.start` on its directory, which restores the checkpoint, and waits for `rt.idle()`, by which the updates after the checkpoint have been replayed from the ingress log.",
    '',
    markdownTable(
      [
        'Instances',
        'Checkpoint size',
        'Replayed messages',
        'Runtime.start',
        'Start until idle',
        'Probed instances',
      ],
      [row],
      ['right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
    'Verified: the restart ran exactly the updates after the checkpoint, and the probed instances (read back through the egress, untimed) held the counts they had before the crash.',
  ].join('\n');
}

function method(run: RuntimeRun): string {
  const notes = [
    'Each workload runs in a fresh runtime directory under the data directory, in one child process (`node --expose-gc`) for every workload and a second one for the recovery; the Restate peer runs afterwards in a child process of its own, alone.',
    `Runtimes run with their default options (the shard layout each reported is in the counter's notes) on the data directory's file system, except the checkpoint interval: every ${run.plan.checkpointIntervalMs} ms, and none in the checkpoint-size and recovery workloads, which checkpoint on demand` +
      (run.plan.backlog === undefined
        ? '.'
        : '; and `barrierTimeoutMs` in the checkpoint-over-a-backlog runs.'),
    "Senders are async loops in the runtime's own process, each awaiting its `rt.send` before the next: the number of senders is the number of sends in flight. Egress is read in that process too, through `rt.egress`.",
    ...(run.plan.backlog === undefined
      ? []
      : [
          "Checkpoint over a backlog: the benchmark asks for no checkpoint. The checkpoints counted are those the runtime took on its own (periodic, or started early when a shard's staged egress filled its share) that committed from the first send through the one that published the last egress record, taken from `rt.stats().checkpoints` as the run goes. Their duration is the runtime's `CommittedCheckpoint.durationMs`: from the injection of its barriers until it has committed and published its egress records. Timing `rt.checkpoint()` calls instead would add checkpoints to the runtime's own, and a call made while one runs waits for it too. The time and the rate include the wait for the checkpoint that publishes the last records.",
        ]),
    'A workload whose counts do not match what it sent is reported as failed, with no figure. Percentiles are nearest-rank over every message.',
    `Peak RSS of the main runtime runner (getrusage maxRSS): ${run.peakRssBytes > 0 ? formatBytes(run.peakRssBytes) : 'not reported'}.`,
  ];
  return notes.map((note) => `- ${note}`).join('\n');
}

/** Console lines of the runtime benchmark's outcome. */
export function runtimeSummaryLines(run: RuntimeRun): string[] {
  const lines: string[] = [];
  if (run.error !== undefined) lines.push(`runtime benchmark failed: ${run.error}`);
  for (const failure of run.failures) lines.push(`FAILED ${failure.workload}: ${failure.error}`);
  return lines;
}
