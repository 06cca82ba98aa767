#!/usr/bin/env node
/**
 * `statefn`, the package's command line: looks at statefn's directories (inspect, state,
 * checkpoints, egress) and runs the benchmark suite and the demo.
 *
 * Exit codes: 0 success; 1 the command failed (a missing, foreign, newer, locked or damaged
 * directory, an unknown typename or checkpoint id); 2 wrong arguments. A failure is one line
 * on stderr naming the command and the problem, without a stack trace (except for a bug).
 */
import { describeFailure } from './cli-errors.js';
import type { Command, CommandIo } from './command.js';
import { benchCommand } from './commands/bench-command.js';
import { checkpointsCommand } from './commands/checkpoints-command.js';
import { demoCommand } from './commands/demo-command.js';
import { egressCommand } from './commands/egress-command.js';
import { inspectCommand } from './commands/inspect-command.js';
import { stateCommand } from './commands/state-command.js';

const COMMANDS: readonly Command[] = [
  inspectCommand,
  stateCommand,
  checkpointsCommand,
  egressCommand,
  benchCommand,
  demoCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: statefn <command> [arguments] [--json] [--help]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Read commands take a runtime directory (made by Runtime.start), an engine directory',
    '(Engine.open) or a checkpoint store; --json prints one JSON document for scripts.',
    'They also read directories that a running process holds, except where --help says not.',
    "Run 'statefn <command> --help' for a command's arguments.",
    '',
    'Exit codes: 0 success, 1 failure, 2 wrong arguments.',
  ].join('\n');
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const about = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (about !== undefined) return main([about.name, '--help'], io);
    io.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.stderr.write(`statefn: unknown command '${name}' (see statefn --help)\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const { line, exitCode } = describeFailure(`statefn ${command.name}`, err);
    io.stderr.write(`${line}\n`);
    return exitCode;
  }
}

// Piped into `head` and the like: stop quietly when the reader goes away.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
