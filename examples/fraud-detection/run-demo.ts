/**
 * The demo driver: `runDemo` runs the fraud-detection application in a worker process on a
 * fresh data directory, shows live progress, kills the worker with SIGKILL part-way (once
 * KILL_FRACTION of the events are acknowledged), starts a new worker on the same
 * directory that recovers and resumes, then reads the committed egress and verifies it
 * against the model computed from the same seed (verify.ts).
 *
 * The driver knows which events are durable from the workers' reports only: after the kill
 * it resumes from the last acknowledged prefix it heard of, which may be behind what the
 * killed worker had really made durable; the idempotency keys make that harmless.
 */
import { Runtime } from '../../index.js';
import type { Type } from '../../index.js';
import { createFraudApp } from './app.js';
import { KILL_FRACTION, resolveDemoOptions } from './demo-options.js';
import type { DemoOptions, ResolvedDemoOptions } from './demo-options.js';
import {
  ALERTS_EGRESS,
  ALERT_RECORD,
  CHALLENGES_EGRESS,
  CHALLENGE_RECORD,
  REPORTS_EGRESS,
  REPORT_RECORD,
} from './messages.js';
import type { AlertKind } from './messages.js';
import { computeExpectedGradually } from './model.js';
import type { ExpectedOutcome } from './model.js';
import { ProgressDisplay, renderLevels } from './progress-display.js';
import { verifyRun } from './verify.js';
import type { ObservedOutput, ObservedRecord, Verification } from './verify.js';
import { runWorker } from './worker-process.js';
import type { WorkerConfig, WorkerProgress, WorkerReport } from './worker-protocol.js';

/** What a demo run did and found. */
export interface DemoResult {
  /** True only if the verification passed. */
  passed: boolean;
  /** The data directory, kept for inspection. */
  dir: string;
  events: number;
  seed: number;
  /** From the first worker's start to the last worker's stop, ms. */
  runMs: number;
  /** Events per second over `runMs`. */
  eventsPerSecond: number;
  /** Invocations over all workers, replayed ones included. */
  invocations: number;
  checkpoints: number;
  /** The kill, if there was one. */
  crash: { atEvent: number; recoveryMs: number; replayed: number; resentDuplicates: number } | undefined;
  /** Alerts committed, by kind. */
  alerts: Record<AlertKind, number>;
  verification: Verification;
  /** Time the verification took (model, reading the egress, comparing), ms. */
  verifyMs: number;
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Reads every committed record of the three egresses (the runtime must not be running elsewhere). */
async function readEgress(dir: string): Promise<ObservedOutput> {
  const rt = await Runtime.start({ dir, statefun: createFraudApp(), checkpointIntervalMs: 0 });
  try {
    const read = async <T>(typename: string, type: Type<T>): Promise<ObservedRecord<T>[]> => {
      const out: ObservedRecord<T>[] = [];
      for await (const r of rt.egress(typename, { from: 0, follow: false })) {
        out.push({ offset: r.offset, value: r.value.as(type) });
      }
      return out;
    };
    return {
      alerts: await read(ALERTS_EGRESS, ALERT_RECORD),
      challenges: await read(CHALLENGES_EGRESS, CHALLENGE_RECORD),
      reports: await read(REPORTS_EGRESS, REPORT_RECORD),
    };
  } finally {
    await rt.stop();
  }
}

/** Runs the workers: the first one (killed part-way, if crash) and, after a kill, the second. */
async function runWorkers(
  o: ResolvedDemoOptions,
  display: ProgressDisplay,
): Promise<{
  invocations: number;
  checkpoints: number;
  crash: DemoResult['crash'];
  final: WorkerProgress | undefined;
}> {
  const killAt = o.crash ? Math.max(1, Math.floor(o.events * KILL_FRACTION)) : undefined;
  // Counters of the workers that ended, added to the running worker's own.
  let base = { invocations: 0, checkpoints: 0, egressRecords: 0 };
  let acked = 0;
  let crash: DemoResult['crash'];
  let killedAt = 0;
  let restartMs = 0;
  let recoveryMs = 0;
  let replayed = 0;
  let killed = false;
  const show = (p: WorkerProgress): void => {
    acked = Math.max(acked, p.acked);
    display.update({
      phase: p.phase,
      acked,
      checkpoints: base.checkpoints + p.checkpoints,
      egressRecords: base.egressRecords + p.egressRecords,
      levels: p.levels,
    });
  };
  const onReport = (r: WorkerReport, pid: number): 'kill' | undefined => {
    if (r.type === 'failed') return undefined;
    show(r.progress);
    if (r.type === 'started' && !killed) {
      display.log(`  worker pid ${pid} started the runtime in ${seconds(r.startMs)}; producing events`);
    }
    if (r.type === 'started' && killed) {
      replayed = r.replay;
      recoveryMs = performance.now() - restartMs;
      const restored =
        base.checkpoints > 0
          ? 'latest complete checkpoint restored'
          : 'no checkpoint was complete: state rebuilt from the log';
      display.log(
        `  recovered in ${seconds(recoveryMs)} (Runtime.start: ${seconds(r.startMs)}): ` +
          `${restored}, ${n(r.replay)} ingress messages to replay; ` +
          `producing again from event ${n(acked)} — events already in the log come back as duplicates and are not processed twice`,
      );
    }
    const p = r.progress;
    // The worker reports at once when it crosses killAt; 'drained' is a fallback for a
    // stream so short that the report came too late.
    const due = killAt !== undefined && !killed && (p.acked >= killAt || r.type === 'drained');
    if (!due) return undefined;
    killed = true;
    killedAt = p.acked;
    display.log(
      `  SIGKILL: worker pid ${pid} killed with ${n(p.acked)} of ${n(o.events)} events acknowledged ` +
        `(${Math.floor((p.acked / o.events) * 100)}%), ${n(base.checkpoints + p.checkpoints)} checkpoints taken; ` +
        `its memory (mailboxes, timers, unflushed state) is gone`,
    );
    return 'kill';
  };
  const config = (from: number): WorkerConfig => ({
    dir: o.dir,
    events: o.events,
    seed: o.seed,
    from,
    concurrency: o.concurrency,
    checkpointIntervalMs: o.checkpointIntervalMs,
    notifyAtAcked: killed ? undefined : killAt,
  });

  let outcome = await runWorker(config(0), onReport);
  if (outcome.kind === 'killed') {
    const last = outcome.last;
    if (last !== undefined) {
      base = {
        invocations: last.invocations,
        checkpoints: last.checkpoints,
        egressRecords: last.egressRecords,
      };
    }
    display.update({ phase: 'recovering' });
    display.log(`  restarting the worker on ${o.dir} ...`);
    restartMs = performance.now();
    outcome = await runWorker(config(acked), onReport);
    if (outcome.kind !== 'stopped') throw new Error('runDemo: the restarted worker was killed');
    crash = {
      atEvent: killedAt,
      recoveryMs,
      replayed,
      resentDuplicates: outcome.report.progress.duplicates,
    };
  }
  const final = outcome.kind === 'stopped' ? outcome.report.progress : undefined;
  return {
    invocations: base.invocations + (final?.invocations ?? 0),
    checkpoints: base.checkpoints + (final?.checkpoints ?? 0),
    crash,
    final,
  };
}

function countAlerts(observed: ObservedOutput): Record<AlertKind, number> {
  const counts: Record<AlertKind, number> = {
    'large-amount': 0,
    velocity: 0,
    'merchant-compromised': 0,
    'card-exposed': 0,
    'account-frozen': 0,
  };
  for (const { value } of observed.alerts) counts[value.kind] = (counts[value.kind] ?? 0) + 1;
  return counts;
}

/**
 * Runs the demo: see the file comment. Resolves with what it found (`passed` is the
 * verification's verdict); rejects if a worker failed or options are bad.
 *
 * @throws InvalidArgumentError naming runDemo for a bad option.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const o = resolveDemoOptions(options);
  const out = o.output;
  const print = (line = ''): void => void out.write(`${line}\n`);
  print(`statefn demo: card-fraud detection with stateful functions`);
  print(
    `  ${n(o.events)} events (seed ${o.seed}), checkpoints every ${o.checkpointIntervalMs} ms, ` +
      `${o.crash ? `worker killed with SIGKILL at ${Math.round(KILL_FRACTION * 100)}%` : 'no crash'}`,
  );
  print(`  data directory: ${o.dir}`);
  print();

  // The model runs here, in slices, while the worker runs in its own process.
  const expected: Promise<ExpectedOutcome> = computeExpectedGradually(o.events, o.seed);
  const display = new ProgressDisplay(out, {
    phase: 'starting',
    acked: 0,
    events: o.events,
    checkpoints: 0,
    egressRecords: 0,
    levels: [],
  });
  display.start();
  const t0 = performance.now();
  let run: Awaited<ReturnType<typeof runWorkers>>;
  try {
    run = await runWorkers(o, display);
  } finally {
    display.stop();
  }
  const runMs = performance.now() - t0;
  const eventsPerSecond = o.events / (runMs / 1000);
  print(
    `  processed ${n(o.events)} events in ${seconds(runMs)} (${n(Math.round(eventsPerSecond))} events/s, ` +
      `${n(run.invocations)} invocations, ${n(run.checkpoints)} checkpoints); workers stopped gracefully`,
  );

  print();
  print('Verification against an independent model of the same event stream');
  const v0 = performance.now();
  const model = await expected;
  print(
    `  model:  ${n(model.transactions)} transactions + ${n(model.confirmations)} confirmations -> ` +
      `${n(model.alerts.size)} alerts, ${n(model.challenges.size)} challenges, ${n(model.reports.size)} reports`,
  );
  const observed = await readEgress(o.dir);
  print(
    `  egress: ${n(observed.alerts.length)} alerts, ${n(observed.challenges.length)} challenges, ` +
      `${n(observed.reports.length)} reports committed`,
  );
  const verification = verifyRun(model, observed);
  const verifyMs = performance.now() - v0;
  for (const c of verification.checks) print(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);

  const alerts = countAlerts(observed);
  const crash = run.crash;
  print();
  print('Summary');
  print(`  events        ${n(o.events)} in ${seconds(runMs)}: ${n(Math.round(eventsPerSecond))} events/s`);
  print(
    `  invocations   ${n(run.invocations)} (${(run.invocations / o.events).toFixed(2)} per event, replay included)`,
  );
  if (crash !== undefined) {
    print(
      `  crash         worker killed at event ${n(crash.atEvent)}; recovered with ${n(crash.replayed)} ingress messages replayed ` +
        `in ${seconds(crash.recoveryMs)}, ${n(crash.resentDuplicates)} re-sent events acknowledged as duplicates`,
    );
  }
  print(`  checkpoints   ${n(run.checkpoints)}`);
  if (run.final !== undefined) {
    const bytes = run.final.levelBytes.reduce((sum, b) => sum + b, 0);
    print(
      `  state engine  ${renderLevels(run.final.levels)} (SST files per level), ${megabytes(bytes)} after the last checkpoint`,
    );
  }
  print(
    `  alerts        ${n(observed.alerts.length)}: ` +
      Object.entries(alerts)
        .map(([kind, count]) => `${n(count)} ${kind}`)
        .join(', '),
  );
  print(
    `  challenges    ${n(observed.challenges.length)}: ${n(verification.confirmed)} confirmed, ` +
      `${n(verification.expired)} expired (the split depends on timing and is not verified)`,
  );
  print(`  verification  ${verification.passed ? 'PASS' : 'FAIL'} (${seconds(verifyMs)})`);
  print(`  data          ${o.dir} (kept)`);
  print(`  inspect       statefn inspect ${o.dir}`);
  return {
    passed: verification.passed,
    dir: o.dir,
    events: o.events,
    seed: o.seed,
    runMs,
    eventsPerSecond,
    invocations: run.invocations,
    checkpoints: run.checkpoints,
    crash,
    alerts,
    verification,
    verifyMs,
  };
}
