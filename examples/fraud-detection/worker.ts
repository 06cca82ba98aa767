/**
 * The demo's worker process: runs the runtime with the fraud-detection functions on the data
 * directory, produces the event stream from `config.from` on, waits until everything was
 * processed (delayed messages included), asks every card, merchant and account for its
 * report, and stops gracefully when the driver says so. The driver may SIGKILL it at any
 * moment; a new worker on the same directory then recovers (Runtime.start restores the
 * latest checkpoint and replays the ingress log after it) and resumes producing from the
 * first event that was not acknowledged. Events already durable are sent again with the same
 * idempotency key, and the ingress acknowledges them as duplicates without processing them.
 *
 * Started by run-demo.ts with `child_process.fork`; see worker-protocol.ts.
 */
import { Runtime } from '../../index.js';
import type { Message } from '../../index.js';
import { createFraudApp } from './app.js';
import { toAccount, toCard, toMerchant } from './emit.js';
import { generateEvents } from './events.js';
import type { CardEvent } from './events.js';
import { Producer } from './producer.js';
import { CHALLENGE_TIMEOUT_MS } from './rules.js';
import { accountId, cardId, merchantId, worldOf } from './world.js';
import { PROGRESS_INTERVAL_MS } from './worker-protocol.js';
import type {
  DriverCommand,
  WorkerConfig,
  WorkerPhase,
  WorkerProgress,
  WorkerReport,
} from './worker-protocol.js';

/** How long the runtime must stay idle before every delayed message is known to have fired. */
const QUIET_MS = CHALLENGE_TIMEOUT_MS + 100;

/**
 * The runtime's hot state: a million events make about 20,000 cards with a dozen map entries
 * each, which overflow the default 64 MiB; the record cache then misses and reads go to the
 * engine. Measured at a million events: with 64 MiB, the worker's main thread spends about a
 * sixth more time.
 */
const STATE_CACHE_BYTES = 128 * 1024 * 1024;

function report(message: WorkerReport): void {
  process.send?.(message);
}

/** Sends the last report, then exits (engine worker threads must not keep a failed worker alive). */
function finish(message: WorkerReport, code: number): void {
  const exit = (): never => process.exit(code);
  if (process.send === undefined) exit();
  else process.send(message, undefined, {}, exit);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function eventMessage(e: CardEvent): Message {
  return e.kind === 'tx'
    ? toCard(e.card, { k: 'tx', s: e.seq, m: e.merchant, a: e.amountCents })
    : toCard(e.card, { k: 'confirm', s: e.seq, r: e.ref });
}

async function run(config: WorkerConfig): Promise<WorkerReport> {
  const t0 = performance.now();
  const rt = await Runtime.start({
    dir: config.dir,
    statefun: createFraudApp(),
    checkpointIntervalMs: config.checkpointIntervalMs,
    stateCacheBytes: STATE_CACHE_BYTES,
  });
  const startMs = performance.now() - t0;
  const replay = rt.stats().ingressBacklog;
  const events = new Producer(rt, config.concurrency, config.from);
  let phase: WorkerPhase = 'producing';
  const seen = new Set<string>();
  let checkpoints = 0;
  let egressRecords = 0;
  const progress = (): WorkerProgress => {
    const stats = rt.stats();
    const levels = stats.engines.state.levels;
    const depth = Math.max(1, levels.findLastIndex((l) => l.files > 0) + 1);
    for (const c of stats.checkpoints) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      checkpoints++;
      egressRecords += c.egressRecords;
    }
    return {
      phase,
      acked: events.acked,
      duplicates: events.duplicates,
      invocations: stats.messagesProcessed,
      backlog: stats.ingressBacklog,
      checkpoints,
      egressRecords,
      levels: levels.slice(0, depth).map((l) => l.files),
      levelBytes: levels.slice(0, depth).map((l) => l.bytes),
    };
  };
  report({ type: 'started', startMs, replay, progress: progress() });
  const ticker = setInterval(() => report({ type: 'progress', progress: progress() }), PROGRESS_INTERVAL_MS);
  let notified = config.notifyAtAcked === undefined;

  for (const e of generateEvents(config.events, config.seed)) {
    if (e.index < config.from) continue;
    if (events.full) await events.room();
    events.start(eventMessage(e), `e${e.index}`);
    if (!notified && events.acked >= config.notifyAtAcked!) {
      notified = true;
      report({ type: 'progress', progress: progress() });
    }
  }
  await events.flush();

  // Wait until nothing ran for longer than any delayed message can wait: then every
  // challenge has ended, and the reports see final state.
  phase = 'draining';
  await rt.idle();
  for (;;) {
    const before = rt.stats().messagesProcessed;
    await sleep(QUIET_MS);
    await rt.idle();
    if (rt.stats().messagesProcessed === before) break;
  }

  phase = 'reporting';
  const world = worldOf(config.events);
  const reports = new Producer(rt, config.concurrency, 0);
  for (let c = 0; c < world.cards; c++) {
    await reports.send(toCard(cardId(c), { k: 'report' }), `report-c${c}`);
  }
  for (let m = 0; m < world.merchants; m++) {
    await reports.send(toMerchant(merchantId(m), { k: 'report' }), `report-m${m}`);
  }
  for (let a = 0; a < world.accounts; a++) {
    await reports.send(toAccount(accountId(a), { k: 'report' }), `report-a${a}`);
  }
  await reports.flush();
  await rt.idle();

  phase = 'drained';
  // Without a driver (run by hand, e.g. to profile it) there is no one to wait for.
  if (process.send !== undefined) {
    await new Promise<void>((resolve) => {
      process.on('message', (command: DriverCommand) => {
        if (command.type === 'stop') resolve();
      });
      report({ type: 'drained', progress: progress() });
    });
  }
  phase = 'stopping';
  const stats = rt.stats();
  await rt.stop();
  clearInterval(ticker);
  return {
    type: 'stopped',
    progress: progress(),
    perFunction: stats.perFunction,
    deadLetters: stats.deadLetters,
  };
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
run(config).then(
  (last) => finish(last, 0),
  (err: unknown) => {
    finish({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 1);
  },
);
