/**
 * Exactly-once under SIGKILL, property-based: the smoke app of exactly-once.crash.test.ts in a
 * child process (test/support/sigkill-worker.ts) on the real file system, with a checkpoint
 * every few milliseconds, killed with SIGKILL at random moments — while it recovers, while it
 * processes, while a checkpoint runs — and started again with a random shard count. One life
 * of each run kills itself at a step of a checkpoint's capture, so every run has a kill
 * inside a checkpoint whatever the timing.
 *
 * The parent is the producer: it sends command trees with idempotency keys and, after every
 * kill, sends again each one whose acknowledgement it did not get (a message may have become
 * durable without the ack reaching it: the key must make the resend a duplicate). Some lives
 * resend the acknowledged ones too, and each of those must come back a duplicate; otherwise
 * an acknowledged message is not sent again, so losing it would show in the counters. After
 * the last life the worker waits until processing has stopped, sends a verify message to
 * every instance and commits a checkpoint; then every counter must equal the model's, every
 * egress record and every dead letter must appear once, at dense offsets.
 *
 * Unlike the deterministic crash test, a failing case does not replay exactly (kill moments
 * are wall-clock time), so fast-check does not shrink it: the counterexample is the case.
 */
import fc from 'fast-check';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FromWorker, ToWorker, WorkerConfig, WorkerResult } from '../support/sigkill-worker.js';
import type { Command } from '../support/smoke-app.js';
import { SMOKE_MAX_ATTEMPTS, SmokeModel, commandsArbitrary, tagTree } from '../support/smoke-app.js';
import { transpileForChild } from '../support/transpile-for-child.js';

/** `npm run test:soak` sets STATEFN_SIGKILL_RUNS to run the property far longer than CI does. */
const RUNS = Number(process.env.STATEFN_SIGKILL_RUNS ?? 4);
/** The property's test timeout; the property itself stops 10 s before it. */
const TIMEOUT_MS = Math.max(120_000, RUNS * 20_000);
const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];
const CHECKPOINT_INTERVAL_MS = 20;
const MAX_DELAY_MS = 50;
/** A life that has not been killed by then is a hung worker. */
const LIFE_TIMEOUT_MS = 30_000;

/** One life of the worker. */
interface Life {
  shards: number;
  /**
   * Send again the messages already acknowledged too, as a producer that lost its record of
   * the acks does: each must come back a duplicate.
   */
  resendAcked: boolean;
}

/**
 * A life that ends in SIGKILL, at `kill.after` from the event `kill.from`, or (`capture`) by
 * the worker's own hand inside a checkpoint.
 */
interface KilledLife extends Life {
  kill:
    | { from: 'starting'; afterMs: number } // after Runtime.start was called: often mid-recovery
    | { from: 'ready'; afterMs: number } // after it resolved
    | { from: 'sending'; afterMs: number } // after this life's last send: acks still to come
    // `percent` of the previous checkpoint's duration into the next one: aimed by the clock
    | { from: 'checkpoint'; percent: number }
    // before the `nth` step of the checkpoints' captures (see sigkill-worker.ts): certain
    | { from: 'capture'; nth: number };
  /** New messages sent in this life (after the resends), `paceMs` apart. */
  sends: number;
  paceMs: number;
}

/**
 * The last life always sends the acknowledged messages again too: it runs until every message
 * is acknowledged, so each of those resends is answered and must be a duplicate. Left to
 * chance (killed lives often die before their resends are answered), the coverage check
 * below (some duplicate was recognized) failed in CI once. Sending every message is a
 * superset of sending the unacknowledged ones, so the last life loses no case by it.
 */
const lastLifeArbitrary: fc.Arbitrary<Life> = fc.record({
  shards: fc.integer({ min: 1, max: 4 }),
  resendAcked: fc.constant(true),
});

const checkpointKillArbitrary = fc.record({
  from: fc.constant('checkpoint' as const),
  percent: fc.integer({ min: 0, max: 90 }),
});

function killedLifeOf(kill: fc.Arbitrary<KilledLife['kill']>, minSends = 0): fc.Arbitrary<KilledLife> {
  return fc.record({
    shards: fc.integer({ min: 1, max: 4 }),
    resendAcked: fc.boolean(),
    kill,
    sends: fc.integer({ min: minSends, max: 12 }),
    paceMs: fc.integer({ min: 0, max: 10 }),
  });
}

const killedLifeArbitrary: fc.Arbitrary<KilledLife> = killedLifeOf(
  fc.oneof(
    fc.record({ from: fc.constant('starting' as const), afterMs: fc.integer({ min: 0, max: 60 }) }),
    fc.record({ from: fc.constant('ready' as const), afterMs: fc.integer({ min: 0, max: 300 }) }),
    fc.record({ from: fc.constant('sending' as const), afterMs: fc.integer({ min: 0, max: 10 }) }),
    // Weighted: whatever the speed of the disk, most runs aim a kill inside a checkpoint.
    { arbitrary: checkpointKillArbitrary, weight: 2 },
  ),
);

/**
 * Two to four killed lives, one of them (at any place) killed inside a checkpoint for certain:
 * the worker kills itself at a step of the capture. Kills aimed by the clock missed their
 * checkpoint about half the time (a checkpoint shorter than the last one commits first, or
 * the kill lands before it starts), and CI failed twice on the coverage check that some kill
 * landed mid-checkpoint, the second time even with a kill that moved on to the next
 * checkpoint when it would miss.
 */
const killedLivesArbitrary: fc.Arbitrary<KilledLife[]> = fc
  .tuple(
    // It sends at least one message, acknowledged long before its kill in a checkpoint, so
    // the last life has an acknowledged message to send again.
    killedLifeOf(
      fc.record({ from: fc.constant('capture' as const), nth: fc.integer({ min: 0, max: 5 }) }),
      1,
    ),
    fc.array(killedLifeArbitrary, { minLength: 1, maxLength: 3 }),
    fc.nat(),
  )
  .map(([aimed, others, at]) => {
    const lives = [...others];
    lives.splice(at % (others.length + 1), 0, aimed);
    return lives;
  });

/** Coverage over all runs. */
const seen = {
  lives: 0,
  kills: 0,
  /** Killed after Runtime.start was called, before it resolved. */
  killsRecovering: 0,
  /**
   * Killed by the parent past the time the next periodic checkpoint was due (an interval
   * after the last one started, or the start), with no commit since: it had started and not
   * committed.
   */
  killsMidCheckpoint: 0,
  /** Killed by its own hand inside a checkpoint's capture, as the marker it left shows. */
  killsInCapture: 0,
  /** Killed with an uncommitted checkpoint directory (checkpoints/tmp-*) on disk. */
  killsMidCapture: 0,
  /** Messages sent and not acknowledged when their life was killed. */
  unackedAtKill: 0,
  /** Acks that say duplicate, of resent messages whose first ack had been lost. */
  durableUnacked: 0,
  /** Acks that say duplicate, of resent acknowledged messages. */
  duplicateAcks: 0,
  throws: 0,
  poisons: 0,
  retried: 0,
  deadLetters: 0,
  checkpointMs: [] as number[],
  startMs: [] as number[],
};

let workerJs = '';
let jsDir = '';
const children = new Set<ChildProcess>();

beforeAll(() => {
  jsDir = mkdtempSync(join(tmpdir(), 'statefn-sigkill-js-'));
  transpileForChild(
    ['runtime', 'engine', 'test/support/smoke-app.ts', 'test/support/sigkill-worker.ts'],
    jsDir,
  );
  workerJs = join(jsDir, 'test/support/sigkill-worker.js');
});

afterEach(() => {
  // A failed run leaves no worker behind.
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

afterAll(() => {
  if (jsDir !== '') rmSync(jsDir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The producer's side: the messages, how far it got, which ones were acknowledged. */
class Producer {
  readonly messages: { id: string; cmds: Command[] }[];
  /** Messages [0, sent) were sent at least once. */
  sent = 0;
  readonly acked = new Set<number>();

  constructor(messages: { id: string; cmds: Command[] }[]) {
    this.messages = messages;
  }
}

/** A worker process and what it printed (for the failure message). */
class WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';

  constructor(config: WorkerConfig, onMessage: (m: FromWorker) => void) {
    this.child = fork(workerJs, [JSON.stringify(config)], {
      execArgv: ['--enable-source-maps'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.add(this.child);
    const collect = (d: Buffer): void => {
      this.output += d.toString();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.child.on('message', onMessage);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        children.delete(this.child);
        resolve({ code, signal });
      });
    });
  }

  /** Sends `m` unless the channel is gone (a kill): then the message counts as not delivered. */
  send(m: ToWorker): void {
    if (this.child.connected) this.child.send(m, () => undefined);
  }
}

function workerConfig(
  dir: string,
  shards: number,
  killInCapture?: WorkerConfig['killInCapture'],
): WorkerConfig {
  return {
    dir,
    shards,
    checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
    maxDelayMs: MAX_DELAY_MS,
    ids: IDS,
    // Runs with an even shard count spill all but a message or two per mailbox to files,
    // which a kill leaves behind for the next start to remove.
    mailboxMemoryBytes: shards % 2 === 0 ? 1024 : undefined,
    ...(killInCapture === undefined ? {} : { killInCapture }),
  };
}

function onCommon(p: Producer, m: FromWorker): void {
  if (m.type === 'ack') {
    // Acknowledged means durable: a resend of it must be recognized by its key.
    if (p.acked.has(m.i)) {
      expect(m.duplicate, `the resend of acknowledged message m${m.i}`).toBe(true);
      seen.duplicateAcks++;
    } else if (m.duplicate) {
      seen.durableUnacked++;
    }
    p.acked.add(m.i);
  } else if (m.type === 'ready') {
    seen.startMs.push(m.startMs);
  } else if (m.type === 'threw') {
    if (m.op === 'throw') seen.throws++;
    else seen.poisons++;
  } else if (m.type === 'checkpoint') {
    seen.checkpointMs.push(m.durationMs);
  }
}

/** After a start: sends again what was sent before and not acknowledged (or everything). */
function resend(p: Producer, w: WorkerProcess, life: Life): number[] {
  const sent: number[] = [];
  for (let i = 0; i < p.sent; i++) {
    if (!life.resendAcked && p.acked.has(i)) continue;
    w.send({ type: 'send', i, ...p.messages[i]! });
    sent.push(i);
  }
  return sent;
}

/** Runs one life of the worker that ends in SIGKILL. */
async function killedLife(p: Producer, dir: string, life: KilledLife): Promise<void> {
  let ready = false;
  let killed = false;
  let lastCommitAt = 0;
  /** When, after lastCommitAt, the next periodic checkpoint starts, ms. */
  let nextStartIn = CHECKPOINT_INTERVAL_MS;
  let killedBy: Error | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let fallback: NodeJS.Timeout | undefined;
  /** Whether the next periodic checkpoint is due and has not committed. */
  const midCheckpoint = (): boolean => ready && performance.now() - lastCommitAt > nextStartIn + 2;
  /** Counts a kill: the parent's (`by` 'parent') or the worker's own in a capture. */
  const counted = (by: 'parent' | 'capture'): void => {
    killed = true;
    seen.kills++;
    for (let i = 0; i < p.sent; i++) if (!p.acked.has(i)) seen.unackedAtKill++;
    if (by === 'capture') seen.killsInCapture++;
    else if (!ready) seen.killsRecovering++;
    else if (midCheckpoint()) seen.killsMidCheckpoint++;
  };
  const kill = (): void => {
    if (killed) return;
    counted('parent');
    w.child.kill('SIGKILL');
  };
  const killIn = (ms: number): void => {
    killTimer ??= setTimeout(kill, ms);
  };
  const marker = `${dir}.capture-kill`;
  const sendNew = async (): Promise<void> => {
    for (let n = 0; n < life.sends && p.sent < p.messages.length && !killed; n++) {
      const i = p.sent++;
      w.send({ type: 'send', i, ...p.messages[i]! });
      if (life.paceMs > 0) await sleep(life.paceMs);
    }
    if (life.kill.from === 'sending') killIn(life.kill.afterMs);
  };
  const killInCapture = life.kill.from === 'capture' ? { nth: life.kill.nth, marker } : undefined;
  const w = new WorkerProcess(workerConfig(dir, life.shards, killInCapture), (m) => {
    try {
      onCommon(p, m);
    } catch (err) {
      killedBy ??= err as Error;
      kill();
    }
    if (m.type === 'starting') {
      if (life.kill.from === 'starting') killIn(life.kill.afterMs);
    } else if (m.type === 'ready') {
      ready = true;
      lastCommitAt = performance.now();
      resend(p, w, life);
      void sendNew();
      if (life.kill.from === 'ready') killIn(life.kill.afterMs);
      // A checkpoint that never commits must not keep the life going (nor one that never
      // reaches its capture step: then the coverage check fails, as it should).
      else fallback = setTimeout(kill, life.kill.from === 'capture' ? 10_000 : 1000);
    } else if (m.type === 'checkpoint') {
      lastCommitAt = performance.now();
      // Periodic checkpoints start an interval apart, start to start: the next one starts
      // an interval after this one started, or at once if that time has passed.
      nextStartIn = Math.max(0, CHECKPOINT_INTERVAL_MS - m.durationMs);
      if (life.kill.from === 'checkpoint') {
        killIn(nextStartIn + (life.kill.percent / 100) * m.durationMs);
      }
    }
  });
  const watchdog = setTimeout(kill, LIFE_TIMEOUT_MS);
  seen.lives++;
  const exit = await w.exited;
  clearTimeout(killTimer);
  clearTimeout(fallback);
  clearTimeout(watchdog);
  if (!killed && exit.signal === 'SIGKILL' && existsSync(marker)) {
    counted('capture');
    const step = readFileSync(marker, 'utf8');
    rmSync(marker);
    expect(step, 'the step the worker killed itself at').toMatch(
      /^(mkdirp|openWritable|linkOrCopy|rename) \//,
    );
  }
  if (killedBy !== undefined) throw killedBy;
  if (exit.signal !== 'SIGKILL' || !killed) {
    throw new Error(`the worker exited by itself (code ${exit.code}, ${exit.signal}):\n${w.output}`);
  }
  const building = join(dir, 'checkpoints', 'checkpoints');
  if (existsSync(building) && readdirSync(building).some((n) => n.startsWith('tmp-'))) seen.killsMidCapture++;
}

/**
 * Runs the last life: sends what was not acknowledged and what was never sent, and once
 * that is acknowledged lets the worker finish; returns its egress.
 */
async function finalLife(p: Producer, dir: string, life: Life): Promise<WorkerResult> {
  let result: WorkerResult | undefined;
  let failure: Error | undefined;
  let finishing = false;
  const waiting = new Set<number>();
  const finishIfAllAcked = (): void => {
    if (finishing || waiting.size > 0) return;
    finishing = true;
    w.send({ type: 'finish' });
  };
  const w = new WorkerProcess(workerConfig(dir, life.shards), (m) => {
    try {
      onCommon(p, m);
    } catch (err) {
      failure ??= err as Error;
      w.child.kill('SIGKILL');
    }
    if (m.type === 'ready') {
      for (const i of resend(p, w, life)) waiting.add(i);
      while (p.sent < p.messages.length) {
        const i = p.sent++;
        waiting.add(i);
        w.send({ type: 'send', i, ...p.messages[i]! });
      }
      finishIfAllAcked();
    } else if (m.type === 'ack') {
      waiting.delete(m.i);
      finishIfAllAcked();
    } else if (m.type === 'result') {
      result = m.result;
    }
  });
  seen.lives++;
  const watchdog = setTimeout(() => w.child.kill('SIGKILL'), LIFE_TIMEOUT_MS);
  const exit = await w.exited;
  clearTimeout(watchdog);
  if (failure !== undefined) throw failure;
  if (exit.code !== 0 || result === undefined) {
    throw new Error(`the last life did not finish (code ${exit.code}, ${exit.signal}):\n${w.output}`);
  }
  return result;
}

async function checkExactlyOnce(trees: Command[][], lives: KilledLife[], last: Life): Promise<void> {
  const messages = trees.map((cmds, i) => ({ id: IDS[i % IDS.length]!, cmds: tagTree(cmds, `m${i}`) }));
  const model = new SmokeModel(SMOKE_MAX_ATTEMPTS);
  for (const m of messages) model.apply(m.id, m.cmds);
  const p = new Producer(messages);
  const dir = mkdtempSync(join(tmpdir(), 'statefn-sigkill-'));
  try {
    for (const life of lives) await killedLife(p, dir, life);
    const result = await finalLife(p, dir, last);

    expect(result.lastCheckpointError).toBeUndefined();
    expect(result.out.map((r) => r.offset)).toEqual(result.out.map((_, i) => i));
    expect(result.out.map((r) => r.tag).sort()).toEqual([...model.tags].sort());
    expect(result.verify.map((r) => r.offset)).toEqual(result.verify.map((_, i) => i));
    expect(result.verify.map((r) => r.value).sort()).toEqual(
      IDS.map((id) => `${id}=${model.counters.get(id) ?? 0}`).sort(),
    );
    expect(result.deadLetters.map((r) => r.offset)).toEqual(result.deadLetters.map((_, i) => i));
    expect(result.deadLetters.map((r) => `${r.id} ${r.error}`).sort()).toEqual(
      model.deadLetters.map((d) => `${d.id} ${d.error}`).sort(),
    );
    for (const d of result.deadLetters) expect(d.attempts).toBe(SMOKE_MAX_ATTEMPTS);
    expect(p.acked.size).toBe(messages.length);
    seen.retried += model.retried;
    seen.deadLetters += result.deadLetters.length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.capture-kill`, { force: true });
  }
}

/** The coverage counters, for a soak run's log. */
function summary(): string {
  const mean = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
  const { checkpointMs, startMs, ...counts } = seen;
  return `sigkill coverage: ${JSON.stringify(counts)}, mean checkpoint ${mean(checkpointMs)} ms, mean start ${mean(startMs)} ms`;
}

describe('exactly-once processing under SIGKILL', () => {
  it(
    'every counter equals the model and every egress record appears once, across kills and rescaling',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(commandsArbitrary(IDS, { failures: true, maxDelayMs: MAX_DELAY_MS }), {
            minLength: 10,
            maxLength: 40,
            size: 'max',
          }),
          killedLivesArbitrary,
          lastLifeArbitrary,
          checkExactlyOnce,
        ),
        // Kill moments are wall-clock time: a failing case does not replay, so no shrinking.
        {
          numRuns: RUNS,
          endOnFailure: true,
          interruptAfterTimeLimit: TIMEOUT_MS - 10_000,
          markInterruptAsFailure: true,
        },
      );
      if (process.env.STATEFN_SIGKILL_RUNS !== undefined) console.log(summary());
      // The property is only as good as the kills: every planned one happened, one per run
      // inside a checkpoint's capture; resends were recognized; and functions failed. (Timed
      // kills mid-checkpoint, kills during recovery and lost acks are likely, not certain, in
      // a few runs: the soak prints them.)
      expect(seen.kills).toBe(seen.lives - RUNS);
      expect(seen.kills).toBeGreaterThanOrEqual(2 * RUNS);
      expect(seen.killsInCapture).toBe(RUNS);
      expect(seen.duplicateAcks).toBeGreaterThan(0);
      expect(seen.throws).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
