/**
 * Child process of exactly-once.sigkill.test.ts (run as JavaScript, see transpile-for-child.ts):
 * the smoke app on a real directory, until the parent kills it with SIGKILL or tells it to
 * finish.
 *
 * argv[2] is a JSON {@link WorkerConfig}. Messages over the IPC channel:
 *   parent → child  send (a command tree, sent with idempotency key `m<i>`), finish
 *   child → parent  starting (Runtime.start called), ready (it resolved), ack (the send
 *                   resolved: the message is durable), checkpoint (one more committed),
 *                   threw (an attempt threw), result (after finish)
 * Finish: wait until processing has stood still for two windows longer than any delay (a
 * delayed message does not keep `idle()` waiting), send a verify message to every id, take
 * a checkpoint so the egress records are committed, report them, stop, exit.
 *
 * With `killInCapture` the worker kills itself with SIGKILL inside a checkpoint's capture:
 * at the nth file the checkpoint store is about to create (see {@link CaptureKiller}).
 */
import { writeFileSync } from 'node:fs';
import { NodeFileSystem } from '../../engine/index.js';
import type { WritableFile, WritableFileOptions } from '../../engine/env/file-system.js';
import { Runtime, DEAD_LETTER_EGRESS } from '../../runtime/runtime.js';
import type { Command } from './smoke-app.js';
import {
  DEAD_LETTER_VALUE,
  SMOKE_MAX_ATTEMPTS,
  SMOKE_OUT,
  SMOKE_VERIFY,
  commandsMessage,
  smokeApp,
  verifyMessage,
} from './smoke-app.js';

export interface WorkerConfig {
  dir: string;
  shards: number;
  checkpointIntervalMs: number;
  /** Longest delay of a delayed message or retry backoff: the wait for quiescence is longer. */
  maxDelayMs: number;
  ids: string[];
  /** Runtime option; undefined: the default. */
  mailboxMemoryBytes: number | undefined;
  /**
   * Kill this life inside a checkpoint: before the `nth` (from 0) step of the checkpoint
   * store's captures, write `marker` (the step) and SIGKILL itself.
   */
  killInCapture?: { nth: number; marker: string };
}

export type ToWorker = { type: 'send'; i: number; id: string; cmds: Command[] } | { type: 'finish' };

/** Committed egress records as the parent checks them. */
export interface WorkerResult {
  out: { offset: number; tag: string }[];
  verify: { offset: number; value: string }[];
  deadLetters: { offset: number; id: string; error: string; attempts: number }[];
  lastCheckpointError: string | undefined;
  checkpointMs: number[];
}

export type FromWorker =
  | { type: 'starting' }
  | { type: 'ready'; startMs: number }
  | { type: 'ack'; i: number; duplicate: boolean }
  | { type: 'checkpoint'; durationMs: number }
  | { type: 'threw'; op: 'throw' | 'poison' }
  | { type: 'result'; result: WorkerResult };

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const tell = (m: FromWorker): void => {
  if (process.connected) process.send!(m);
};
let finished = false;
// Orphaned (the parent died): go too.
process.on('disconnect', () => {
  if (!finished) process.exit(2);
});

/**
 * The machine's file system, which SIGKILLs the process before the nth step of a checkpoint's
 * capture: creating a file or link in the store's `shared/` or `checkpoints/tmp-<id>/`, or
 * the rename of `tmp-<id>` that commits it. Each step comes before the commit, so the kill
 * lands inside a checkpoint for certain, where the parent's timed kills only aim at one.
 * It still passes for NodeFileSystem, so the engines behave as on the default file system.
 */
class CaptureKiller extends NodeFileSystem {
  readonly #prefixes: string[];
  #left: number;
  readonly #marker: string;

  constructor(dir: string, kill: { nth: number; marker: string }) {
    super();
    const store = `${dir}/checkpoints`;
    this.#prefixes = [`${store}/shared/`, `${store}/checkpoints/tmp-`];
    this.#left = kill.nth;
    this.#marker = kill.marker;
  }

  #step(op: string, path: string): void {
    if (!this.#prefixes.some((p) => path.startsWith(p)) || this.#left-- > 0) return;
    // Written synchronously, so it is in the page cache before the kill: the parent's proof.
    writeFileSync(this.#marker, `${op} ${path}\n`);
    process.kill(process.pid, 'SIGKILL');
  }

  override mkdirp(dir: string): void {
    this.#step('mkdirp', dir);
    super.mkdirp(dir);
  }

  override openWritable(
    path: string,
    mode: 'create' | 'append',
    options?: WritableFileOptions,
  ): WritableFile {
    this.#step('openWritable', path);
    return super.openWritable(path, mode, options);
  }

  override linkOrCopy(existing: string, link: string): boolean {
    this.#step('linkOrCopy', link);
    return super.linkOrCopy(existing, link);
  }

  override rename(from: string, to: string): void {
    this.#step('rename', from);
    super.rename(from, to);
  }
}

tell({ type: 'starting' });
const startedAt = performance.now();
const rt = await Runtime.start({
  dir: config.dir,
  statefun: smokeApp({ onThrow: (op) => tell({ type: 'threw', op }) }),
  shards: config.shards,
  maxParallelism: 16,
  checkpointIntervalMs: config.checkpointIntervalMs,
  retainedCheckpoints: 2,
  maxAttempts: SMOKE_MAX_ATTEMPTS,
  retryBackoffMs: 5,
  ...(config.mailboxMemoryBytes === undefined ? {} : { mailboxMemoryBytes: config.mailboxMemoryBytes }),
  ...(config.killInCapture === undefined
    ? {}
    : { fileSystem: new CaptureKiller(config.dir, config.killInCapture) }),
});
tell({ type: 'ready', startMs: performance.now() - startedAt });

// Committed checkpoints, reported as they appear (the parent tells kills mid-checkpoint by them).
const checkpointMs: number[] = [];
let lastCheckpoint = rt.stats().checkpoints.at(-1)?.id;
const poll = setInterval(() => {
  const latest = rt.stats().checkpoints.at(-1);
  if (latest === undefined || latest.id === lastCheckpoint) return;
  lastCheckpoint = latest.id;
  checkpointMs.push(latest.durationMs);
  tell({ type: 'checkpoint', durationMs: latest.durationMs });
}, 1);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function settle(): Promise<void> {
  for (let still = 0; still < 2;) {
    await rt.idle();
    const before = rt.stats().messagesProcessed;
    await sleep(3 * config.maxDelayMs);
    await rt.idle();
    still = rt.stats().messagesProcessed === before ? still + 1 : 0;
  }
}

async function finish(): Promise<void> {
  await settle();
  for (const id of config.ids) await rt.send(verifyMessage(id));
  await rt.idle();
  await rt.checkpoint();
  clearInterval(poll);
  const result: WorkerResult = {
    out: [],
    verify: [],
    deadLetters: [],
    lastCheckpointError: rt.stats().lastCheckpointError,
    checkpointMs,
  };
  for await (const r of rt.egress(SMOKE_OUT, { follow: false }))
    result.out.push({ offset: r.offset, tag: r.value.asString() });
  for await (const r of rt.egress(SMOKE_VERIFY, { follow: false }))
    result.verify.push({ offset: r.offset, value: r.value.asString() });
  for await (const r of rt.egress(DEAD_LETTER_EGRESS, { follow: false })) {
    const d = r.value.as(DEAD_LETTER_VALUE);
    result.deadLetters.push({ offset: r.offset, id: d.target.id, error: d.error, attempts: d.attempts });
  }
  await rt.stop();
  finished = true;
  process.send!({ type: 'result', result } satisfies FromWorker, () => process.disconnect());
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'finish') {
    void finish();
    return;
  }
  void rt
    .send(commandsMessage(m.id, m.cmds), { idempotencyKey: `m${m.i}` })
    .then((r) => tell({ type: 'ack', i: m.i, duplicate: r.duplicate }));
});
