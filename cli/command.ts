/**
 * What every `statefn` command is: a name, a one-line summary for the top-level help, and
 * `run`, which resolves to the exit code (and prints its own help for `--help`). Output goes through
 * `CommandIo` so the entry point decides where it ends up.
 */

/** Where a command writes: process.stdout and process.stderr in the real program. */
export interface OutputStream {
  write(text: string): unknown;
  /** True on a terminal: progress is then redrawn in place. */
  readonly isTTY?: boolean | undefined;
  /** Terminal width, when known. */
  readonly columns?: number | undefined;
}

/** A command's two streams: results on stdout; progress, notes and errors on stderr. */
export interface CommandIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

/** One `statefn` command. */
export interface Command {
  /** As typed: `inspect`. */
  readonly name: string;
  /** One line for `statefn --help`. */
  readonly summary: string;
  /**
   * Runs with the arguments after the command's name; resolves to the exit code. Throws
   * CliError / UsageError (or an engine error) for the entry point to report.
   */
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}
