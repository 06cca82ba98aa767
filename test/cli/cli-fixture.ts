/**
 * What the command-line tests share: directories made the way users make them (a runtime
 * directory by Runtime.start, an engine directory and a checkpoint store by the engine
 * alone), and a runner for the built command line (dist/cli/main.js) as a child process.
 *
 * The runtime directory holds one instance with every kind of state — value states of a
 * built-in, a JSON and a custom (raw) type, one already expired, a list with a time to live,
 * a map — plus a pending delayed message, four committed egress records and three
 * checkpoints (two taken by hand, one by the stop).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointStore, Engine } from '../../engine/index.js';
import { Runtime, StateFun } from '../../runtime/index.js';
import type { PersistedList, PersistedTable } from '../../runtime/index.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';

/** The built command line. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const FN = 'cli/counter';
export const OUT = 'cli/out';
export const HOUR_MS = 3_600_000;
/** Bytes of the custom type's every value: not UTF-8, so shown raw. */
export const BLOB = Uint8Array.from([0xde, 0xad, 0xbe, 0xef]);

/** What a run of the command line printed and returned. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ...args` with pipes (not a terminal). */
export function runCli(args: readonly string[]): Promise<CliRun> {
  if (!existsSync(CLI)) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` (npm test does) first');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh temporary directory. */
export function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'statefn-cli-test-'));
}

/** The test application: one function type with every kind of state. */
export function cliApp(): StateFun {
  const statefun = new StateFun();
  const profile = StateFun.jsonType<{ last: string }>('cli/profile');
  const blob = StateFun.customType<string>(
    'cli/blob',
    () => BLOB,
    () => 'blob',
  );
  statefun.bind({
    typename: FN,
    specs: [
      { name: 'count', type: StateFun.intType() },
      { name: 'profile', type: profile },
      { name: 'blob', type: blob },
      { name: 'token', type: StateFun.stringType(), expireAfterWrite: 1 },
      { name: 'seen', type: StateFun.stringType(), kind: 'list', expireAfterWrite: HOUR_MS },
      { name: 'scores', type: StateFun.intType(), kind: 'map' },
    ],
    fn(context, message) {
      const word = message.asString();
      const storage = context.storage as Record<string, unknown>;
      storage.count = ((storage.count as number | null) ?? 0) + 1;
      storage.profile = { last: word };
      storage.blob = 'blob';
      (storage.seen as PersistedList<string>).append(word);
      (storage.scores as PersistedTable<number>).set(word, word.length);
      context.send(
        egressMessageBuilder({
          typename: OUT,
          value: `${context.self.id}:${word}`,
          valueType: StateFun.stringType(),
        }),
      );
      if (word === 'later') {
        storage.token = 'secret';
        context.sendAfter(HOUR_MS, messageBuilder({ typename: FN, id: 'bob', value: 'ping' }), 'tok-1');
      }
    },
  });
  return statefun;
}

/**
 * Makes the runtime directory `dir`: 'hello' and 'world' to ada, checkpoint, 'later' to ada
 * (which sets the expiring state and sends the delayed message) and 'hi' to bob,
 * checkpoint, stop (a third checkpoint). Checkpoints leave the state in the memtable (they
 * carry its WAL), so the state engine is then flushed by hand, as the next start would after
 * restoring, for the level tables to show its keys.
 */
export async function buildRuntimeDir(dir: string): Promise<void> {
  const rt = await Runtime.start({ dir, statefun: cliApp(), checkpointIntervalMs: 0 });
  try {
    for (const w of ['hello', 'world']) await rt.send(messageBuilder({ typename: FN, id: 'ada', value: w }));
    await rt.checkpoint();
    await rt.send(messageBuilder({ typename: FN, id: 'ada', value: 'later' }));
    await rt.send(messageBuilder({ typename: FN, id: 'bob', value: 'hi' }));
    await rt.checkpoint();
  } finally {
    await rt.stop();
  }
  const state = await Engine.open(join(dir, 'state'));
  await state.flush();
  await state.close();
}

/** Starts a runtime of the test application on `dir` (to hold its lock). */
export function startRuntime(dir: string): Promise<Runtime> {
  return Runtime.start({ dir, statefun: cliApp(), checkpointIntervalMs: 0 });
}

/**
 * Makes the engine directory `dir` — keys key:0000 … key:0149 in two SSTs (a flush after
 * 100 keys, another after the rest) — and one checkpoint of it in the store `storeDir`.
 * Resolves to the checkpoint's id.
 */
export async function buildEngineDir(dir: string, storeDir: string): Promise<string> {
  const db = await Engine.open(dir);
  try {
    for (let i = 0; i < 150; i++) {
      await db.put(`key:${String(i).padStart(4, '0')}`, `value ${i}`);
      if (i === 99) await db.flush();
    }
    await db.flush();
    const store = await CheckpointStore.open(storeDir);
    try {
      return (await db.checkpoint(store, { metadata: { note: 'by hand' } })).id;
    } finally {
      await store.close();
    }
  } finally {
    await db.close();
  }
}
