/**
 * `statefn bench [options]`: the benchmark suite, run as `npm run bench` runs it (the built
 * bench/run.js in a child process, options passed through). Its output is passed on as it
 * comes; when it is silent for a second (a store loading, a long workload), a progress line
 * on stderr says how long it has been running, so nothing is silent for more than a second.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CliError } from '../cli-errors.js';
import type { Command, CommandIo } from '../command.js';
import { Progress } from '../output/progress.js';

const RUN_SCRIPT = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
const SILENCE_MS = 1000;

const USAGE_HEAD = `Usage: statefn bench [--quick | --large] [options]

Runs the benchmark suite (statefn against LevelDB, RocksDB and LMDB, then its checkpoints
and runtime), as \`npm run bench\` does; a run at the default size rewrites BENCHMARKS.md.
The peers are development dependencies: run it from a clone after \`npm ci\`.
--quick is a smoke run of a few minutes.

Options (passed through to bench/run.js):`;

/** `statefn bench`. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'run the benchmark suite (--quick for a short run)',
  async run(argv: readonly string[], io: CommandIo): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      // The options are the suite's own: its usage, without its first line (`npm run bench`).
      const { USAGE } = await import('../../bench/cli/bench-options.js');
      io.stdout.write(`${USAGE_HEAD}\n${USAGE.split('\n').slice(1).join('\n').replace(/^\n/, '')}`);
      return 0;
    }
    if (!existsSync(RUN_SCRIPT)) throw new CliError(`the benchmark suite is missing (${RUN_SCRIPT})`);
    return runShowingProgress(RUN_SCRIPT, argv, io, 'statefn bench: running; no output for');
  },
};

/**
 * Runs `node script ...argv`, passing its output on as it comes; after a second without
 * output, a progress line labelled `label` (on stderr) shows the time since, until output
 * resumes. Resolves to the child's exit code (128 + the signal number if killed).
 */
export function runShowingProgress(
  script: string,
  argv: readonly string[],
  io: CommandIo,
  label: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...argv], { stdio: ['inherit', 'pipe', 'pipe'] });
    let progress: Progress | undefined;
    let lastOutput = performance.now();
    const quiet = (): void => {
      progress?.finish();
      progress = undefined;
      lastOutput = performance.now();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      quiet();
      io.stdout.write(chunk.toString());
    });
    child.stderr.on('data', (chunk: Buffer) => {
      quiet();
      io.stderr.write(chunk.toString());
    });
    const watch = setInterval(() => {
      if (progress === undefined && performance.now() - lastOutput >= SILENCE_MS) {
        progress = new Progress(io.stderr, label, { unit: 'count', startMs: lastOutput });
      }
    }, SILENCE_MS / 4);
    // Ctrl-C reaches the child through the terminal's process group: wait for it to exit.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    child.on('error', (err) => {
      clearInterval(watch);
      progress?.finish();
      process.off('SIGINT', ignore);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearInterval(watch);
      progress?.finish();
      process.off('SIGINT', ignore);
      resolve(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}
