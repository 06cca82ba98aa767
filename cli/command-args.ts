/**
 * A small argument parser, one spec per command: `--flag`, `--name value`, `--name=value`,
 * `-h`/`--help` anywhere, `--` ending the options. Every mistake is a UsageError saying
 * which option or argument is wrong (exit code 2).
 *
 * Hand-written rather than node:util's parseArgs: its messages ("Unknown option '--x'. To
 * specify a positional argument starting with a '-', place it at the end …") are written for
 * developers, and required positionals would need a second pass anyway.
 */
import { UsageError } from './cli-errors.js';

/** One option of a command. */
export interface OptionSpec {
  /** Long name without the dashes, e.g. `json`. */
  readonly name: string;
  /** A flag takes no value; a value option takes one (`--from 3` or `--from=3`). */
  readonly kind: 'flag' | 'value';
}

/** What a command accepts. */
export interface ArgsSpec {
  readonly options: readonly OptionSpec[];
  /** Names of the required positional arguments, in order (e.g. `DIR`). */
  readonly positionals: readonly string[];
}

/** Parsed arguments. */
export interface ParsedArgs {
  /** `--help` or `-h` was given: the rest was not checked. */
  readonly help: boolean;
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  readonly positionals: readonly string[];
}

/** Parses `argv` (the arguments after the command's name) against `spec`. */
export function parseCommandArgs(argv: readonly string[], spec: ArgsSpec): ParsedArgs {
  if (argv.includes('--help') || argv.includes('-h')) {
    return { help: true, flags: new Set(), values: new Map(), positionals: [] };
  }
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positionals: string[] = [];
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (optionsEnded || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option '${arg}'`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const option = byName.get(name);
    if (option === undefined) throw new UsageError(`unknown option '--${name}'`);
    if (option.kind === 'flag') {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      flags.add(name);
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value.length === 0) throw new UsageError(`option --${name} needs a value`);
    if (values.has(name)) throw new UsageError(`option --${name} is given twice`);
    values.set(name, value);
  }
  if (positionals.length < spec.positionals.length) {
    const missing = spec.positionals.slice(positionals.length).join(' ');
    throw new UsageError(`missing ${missing}`);
  }
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument '${positionals[spec.positionals.length]!}'`);
  }
  return { help: false, flags, values, positionals };
}

/** The value of option `name` as a whole number ≥ 0, or undefined when absent. */
export function wholeNumberOption(args: ParsedArgs, name: string): number | undefined {
  const text = args.values.get(name);
  if (text === undefined) return undefined;
  const n = Number(text.replaceAll('_', ''));
  if (!/^\d[\d_]*$/.test(text) || !Number.isSafeInteger(n)) {
    throw new UsageError(`option --${name} must be a whole number, got '${text}'`);
  }
  return n;
}
