/**
 * The command line's errors and how any error becomes one line on stderr.
 *
 * A command fails with a `CliError` (exit code 1: the data or the directory is not what the
 * command needs) or a `UsageError` (exit code 2: the arguments are wrong). The engine's and
 * the runtime's own errors are turned into one line here, naming the command; anything else
 * is a bug and keeps its stack.
 */
import {
  ClosedError,
  CorruptionError,
  IncompatibleFormatError,
  InvalidArgumentError,
  LockedError,
} from '../engine/index.js';

/** A failure the user can act on: exit code 1, one line on stderr, no stack. */
export class CliError extends Error {
  readonly exitCode: number = 1;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Wrong arguments: exit code 2, with a pointer to `--help`. */
export class UsageError extends CliError {
  override readonly exitCode: number = 2;
}

/**
 * The line to print for `err` raised by command `command` (e.g. `statefn state`), and the
 * exit code. Errors of unknown kind come back with their stack: they are bugs.
 */
export function describeFailure(command: string, err: unknown): { line: string; exitCode: number } {
  if (err instanceof UsageError) {
    return { line: `${command}: ${err.message} (see ${command} --help)`, exitCode: err.exitCode };
  }
  if (err instanceof CliError) return { line: `${command}: ${err.message}`, exitCode: err.exitCode };
  if (err instanceof IncompatibleFormatError) {
    return { line: `${command}: ${withoutApi(err.message)}`, exitCode: 1 };
  }
  if (err instanceof CorruptionError) {
    return { line: `${command}: damaged data: ${withoutApi(err.message)}`, exitCode: 1 };
  }
  if (err instanceof LockedError || err instanceof InvalidArgumentError || err instanceof ClosedError) {
    return { line: `${command}: ${withoutApi(err.message)}`, exitCode: 1 };
  }
  if (isNodeError(err) && typeof err.path === 'string') {
    return { line: `${command}: ${err.code ?? 'I/O error'}: ${err.message}`, exitCode: 1 };
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { line: `${command}: internal error (please report): ${text}`, exitCode: 1 };
}

/** "Engine.open: x is locked" → "x is locked": the user ran a command, not that API. */
function withoutApi(message: string): string {
  return message.replace(/^[A-Z][A-Za-z]*\.[a-zA-Z]+: /, '');
}

function isNodeError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}
