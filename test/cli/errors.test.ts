/**
 * Every error the read commands promise, each run as a child process: one line on stderr
 * naming the command and the problem, no stack trace, exit code 1 (2 for wrong arguments).
 * Covers a missing directory, a directory that is not statefn's, one written by a newer
 * statefn (runtime marker, engine MANIFEST, checkpoint store), and directories held by a
 * running process — a Runtime, an Engine and a CheckpointStore kept open in this process —
 * which the read commands read (read-only opens), except `checkpoints --verify`.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore, Engine, NodeFileSystem } from '../../engine/index.js';
import { initHashing } from '../../engine/util/checksum.js';
import { VersionEdit } from '../../engine/version/version-edit.js';
import { LogWriter } from '../../engine/wal/log-writer.js';
import type { CliRun } from './cli-fixture.js';
import { FN, OUT, buildEngineDir, buildRuntimeDir, runCli, startRuntime, tempRoot } from './cli-fixture.js';

let root: string;
let runtimeDir: string;
let engineDir: string;
let storeDir: string;

beforeAll(async () => {
  root = tempRoot();
  runtimeDir = join(root, 'app');
  engineDir = join(root, 'engine');
  storeDir = join(root, 'store');
  await buildRuntimeDir(runtimeDir);
  await buildEngineDir(engineDir, storeDir);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The read commands, each with DIR in place of the directory. */
const READ_COMMANDS = [
  ['inspect', 'DIR'],
  ['state', 'DIR', FN, 'ada'],
  ['checkpoints', 'DIR'],
  ['egress', 'DIR', OUT],
];

function withDir(command: string[], dir: string): string[] {
  return command.map((a) => (a === 'DIR' ? dir : a));
}

/** Exit code 1 and exactly one line on stderr, matching `line`, without a stack trace. */
function expectFailure(run: CliRun, line: RegExp, code = 1): void {
  const context = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  expect(run.code, context).toBe(code);
  expect(run.stderr.split('\n'), context).toHaveLength(2); // one line and its newline
  expect(run.stderr, context).toMatch(line);
  expect(run.stderr, context).not.toMatch(/^\s+at /m);
}

describe('statefn read commands refuse what they cannot read', () => {
  it('a missing directory', async () => {
    const missing = join(root, 'no-such-dir');
    for (const command of READ_COMMANDS) {
      const run = await runCli(withDir(command, missing));
      expectFailure(run, new RegExp(`^statefn ${command[0]!}: ${missing} does not exist\\n$`));
    }
  });

  it('a directory that is not statefn’s, an empty one, and a file', async () => {
    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'hello');
    const empty = join(root, 'empty');
    mkdirSync(empty);
    for (const command of READ_COMMANDS) {
      expectFailure(
        await runCli(withDir(command, foreign)),
        new RegExp(
          `^statefn ${command[0]!}: ${foreign} is not a statefn directory \\(no RUNTIME, CURRENT or checkpoint store FORMAT file\\)\\n$`,
        ),
      );
    }
    expectFailure(
      await runCli(['inspect', empty]),
      /^statefn inspect: .* is not a statefn directory \(it is empty\)\n$/,
    );
    expectFailure(
      await runCli(['inspect', join(foreign, 'notes.txt')]),
      /^statefn inspect: .*notes\.txt is not a directory\n$/,
    );
  });

  it('a runtime directory written by a newer statefn', async () => {
    const newer = join(root, 'newer-runtime');
    cpSync(runtimeDir, newer, { recursive: true });
    writeFileSync(
      join(newer, 'RUNTIME'),
      Buffer.concat([Buffer.from('statefn-runtime'), Buffer.from([3, 0x80, 0x01])]),
    );
    for (const command of READ_COMMANDS) {
      expectFailure(
        await runCli(withDir(command, newer)),
        new RegExp(
          `^statefn ${command[0]!}: ${newer} was written by a newer statefn \\(runtime format 3; this version reads up to 2\\)\\n$`,
        ),
      );
    }
  });

  it('an engine directory whose MANIFEST has a newer format version', async () => {
    const newer = join(root, 'newer-engine');
    cpSync(engineDir, newer, { recursive: true });
    await initHashing();
    const fs = new NodeFileSystem();
    const manifest = join(newer, 'MANIFEST-000099');
    const writer = new LogWriter(fs.openWritable(manifest, 'create'), 99);
    const edit = new VersionEdit();
    edit.formatVersion = 3;
    writer.addRecord(edit.encode());
    writer.close();
    writeFileSync(join(newer, 'CURRENT'), 'MANIFEST-000099\n');
    expectFailure(
      await runCli(['inspect', newer]),
      new RegExp(`^statefn inspect: ${manifest} has MANIFEST format version 3; this build reads up to 2\\n$`),
    );
  });

  it('a checkpoint store written by a newer statefn', async () => {
    const newer = join(root, 'newer-store');
    cpSync(storeDir, newer, { recursive: true });
    writeFileSync(join(newer, 'FORMAT'), 'statefn-checkpoint-store 2\n');
    for (const command of [
      ['inspect', newer],
      ['checkpoints', newer],
    ]) {
      expectFailure(
        await runCli(command),
        /: .* was written by a newer statefn \(checkpoint store format 2; this version reads up to 1\)\n$/,
      );
    }
  });

  it('a runtime directory in use: state and egress read it read-only; inspect and listing work; verify names the process', async () => {
    const busy = join(root, 'busy');
    await buildRuntimeDir(busy);
    const rt = await startRuntime(busy);
    try {
      const inUse = `in use by process ${process.pid}`;
      const state = await runCli(['state', busy, FN, 'ada']);
      expect(state.stderr).toBe('');
      expect(state.code).toBe(0);
      expect(state.stdout).toContain(
        `source: ${join(busy, 'state')} — the working copy of the runtime running as process ${process.pid}, as of this read`,
      );
      expect(state.stdout).toMatch(/^ {2}count +value +io\.statefun\.types\/int +3 +never$/m);
      const stateJson = JSON.parse((await runCli(['state', busy, FN, 'ada', '--json'])).stdout) as {
        source: { inUseBy: number | null };
      };
      expect(stateJson.source.inUseBy).toBe(process.pid);
      const egress = await runCli(['egress', busy, OUT]);
      expect(egress.stderr).toBe('');
      expect(egress.code).toBe(0);
      expect(egress.stdout).toMatch(/^egress cli\/out: committed offsets 0–3; showing 4 from offset 0$/m);
      // Nothing of the runtime's directory was written: its lock is still the runtime's.
      expect(readFileSync(join(busy, 'ingress', 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);

      // The checkpoint store is opened read-only: verify and a checkpoint's state work too.
      const verify = await runCli(['checkpoints', busy, '--verify', 'latest']);
      expect(verify.stderr).toMatch(/^verifying /);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toMatch(/every checksum matches/);
      const fromCheckpoint = await runCli(['state', busy, FN, 'ada', '--checkpoint', 'latest']);
      expect(fromCheckpoint.code).toBe(0);
      expect(fromCheckpoint.stdout).toMatch(/^ {2}count +value +io\.statefun\.types\/int +\d+ +never$/m);
      expect(readFileSync(join(busy, 'ingress', 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);

      const inspect = await runCli(['inspect', busy]);
      expect(inspect.code).toBe(0);
      expect(inspect.stdout).toContain(`format 2, maxParallelism 128, ${inUse}`);
      const list = await runCli(['checkpoints', busy, '--json']);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout)).toMatchObject({ lock: { pid: process.pid, alive: true } });
    } finally {
      await rt.stop();
    }
    // Stopped: read as of the stop.
    const stopped = await runCli(['state', busy, FN, 'ada']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain("the runtime's working copy as of its last stop or crash");
  });

  it('an engine directory and a checkpoint store in use: inspect names the process, verify reads the store read-only', async () => {
    const db = await Engine.open(engineDir);
    const store = await CheckpointStore.open(storeDir);
    try {
      const inspect = await runCli(['inspect', engineDir, '--json']);
      expect(inspect.code).toBe(0);
      expect(JSON.parse(inspect.stdout)).toMatchObject({
        engine: { lock: { pid: process.pid, alive: true } },
      });
      const verify = await runCli(['checkpoints', storeDir, '--verify', 'latest']);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toMatch(/every checksum matches/);
    } finally {
      await Promise.all([db.close(), store.close()]);
    }
  });

  it('an engine directory or a checkpoint store where a runtime directory is needed', async () => {
    expectFailure(
      await runCli(['state', engineDir, FN, 'ada']),
      /^statefn state: .* is an engine directory, not a runtime directory \(one made by Runtime\.start\)\n$/,
    );
    expectFailure(
      await runCli(['egress', storeDir, OUT]),
      /^statefn egress: .* is a checkpoint store, not a runtime directory \(one made by Runtime\.start\)\n$/,
    );
  });
});

describe('statefn arguments', () => {
  it('wrong arguments exit with code 2 and point at --help', async () => {
    expectFailure(
      await runCli(['inspect']),
      /^statefn inspect: missing DIR \(see statefn inspect --help\)\n$/,
      2,
    );
    expectFailure(
      await runCli(['state', runtimeDir, FN]),
      /^statefn state: missing ID \(see statefn state --help\)\n$/,
      2,
    );
    expectFailure(
      await runCli(['inspect', runtimeDir, '--bogus']),
      /^statefn inspect: unknown option '--bogus' \(see statefn inspect --help\)\n$/,
      2,
    );
    expectFailure(
      await runCli(['inspect', runtimeDir, 'extra']),
      /^statefn inspect: unexpected argument 'extra' \(see statefn inspect --help\)\n$/,
      2,
    );
    expectFailure(
      await runCli(['inspect', runtimeDir, '--json=yes']),
      /^statefn inspect: option --json takes no value \(see statefn inspect --help\)\n$/,
      2,
    );
    expectFailure(
      await runCli(['frobnicate']),
      /^statefn: unknown command 'frobnicate' \(see statefn --help\)\n$/,
      2,
    );
  });

  it('--help lists every command; no arguments print it with code 2', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['inspect', 'state', 'checkpoints', 'egress', 'bench', 'demo']) {
      expect(help.stdout).toMatch(new RegExp(`^ {2}${name} +\\S`, 'm'));
    }
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe(help.stdout);
    const about = await runCli(['help', 'egress']);
    expect(about.code).toBe(0);
    expect(about.stdout).toMatch(/^Usage: statefn egress /);
  });
});
