/**
 * The demo's options: defaults, validation (InvalidArgumentError naming runDemo and the
 * option), and the command line (`--events N`, `--seed N`, `--dir PATH`, `--no-crash`, ...).
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError } from '../../index.js';
import type { DisplayOutput } from './progress-display.js';

/**
 * Events of a run by default: a million, which this 2-core machine processes in under a
 * minute (see README.md in this folder, "Speed").
 */
export const DEFAULT_EVENTS = 1_000_000;
/** Seed of the event stream by default. */
export const DEFAULT_SEED = 42;
/** Sends in flight at once by default. */
export const DEFAULT_CONCURRENCY = 1024;
/** Time between checkpoints by default, ms. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;
/** The worker is killed once this share of the events is acknowledged. */
export const KILL_FRACTION = 0.4;

const MIN_EVENTS = 100;
const MAX_EVENTS = 100_000_000;

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Events in the stream (default DEFAULT_EVENTS; 100 to 100,000,000). */
  events?: number;
  /** Seed of the event stream (default 42; 0 to 2^32 - 1). */
  seed?: number;
  /** Data directory: empty or missing (default: a fresh one in the OS temp dir, kept). */
  dir?: string;
  /** Kill the worker with SIGKILL part-way and recover (default true). */
  crash?: boolean;
  /** Sends in flight at once (default 1024; 1 to 65536). */
  concurrency?: number;
  /** Time between checkpoints, ms (default 1000; 10 to 60000). */
  checkpointIntervalMs?: number;
  /** Where to print (default process.stdout). */
  output?: DisplayOutput;
}

/** Options with every default filled in; `dir` exists and is empty. */
export interface ResolvedDemoOptions {
  events: number;
  seed: number;
  dir: string;
  crash: boolean;
  concurrency: number;
  checkpointIntervalMs: number;
  output: DisplayOutput;
}

function describe(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? typeof v);
}

function int(o: DemoOptions, name: keyof DemoOptions, fallback: number, min: number, max: number): number {
  const v = o[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(
      `runDemo: ${name} must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got ${describe(v)}`,
    );
  }
  return v;
}

/**
 * Checks `options` and fills in defaults; makes the data directory if none was given.
 *
 * @throws InvalidArgumentError naming runDemo and the option, or if `dir` is not empty (the
 *   verification assumes that the run starts from no data).
 */
export function resolveDemoOptions(options: DemoOptions = {}): ResolvedDemoOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('runDemo: options must be an object');
  }
  const events = int(options, 'events', DEFAULT_EVENTS, MIN_EVENTS, MAX_EVENTS);
  const seed = int(options, 'seed', DEFAULT_SEED, 0, 0xffff_ffff);
  const concurrency = int(options, 'concurrency', DEFAULT_CONCURRENCY, 1, 65_536);
  const checkpointIntervalMs = int(
    options,
    'checkpointIntervalMs',
    DEFAULT_CHECKPOINT_INTERVAL_MS,
    10,
    60_000,
  );
  if (options.crash !== undefined && typeof options.crash !== 'boolean') {
    throw new InvalidArgumentError(`runDemo: crash must be a boolean, got ${describe(options.crash)}`);
  }
  let dir: string;
  if (options.dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), 'statefn-demo-'));
  } else {
    if (typeof options.dir !== 'string' || options.dir.length === 0) {
      throw new InvalidArgumentError('runDemo: dir must be a non-empty string');
    }
    dir = resolve(options.dir);
    if (existsSync(dir) && readdirSync(dir).length > 0) {
      throw new InvalidArgumentError(
        `runDemo: dir ${dir} is not empty; the demo needs an empty or missing directory, since its verification assumes a run from no data`,
      );
    }
  }
  return {
    events,
    seed,
    dir,
    crash: options.crash ?? true,
    concurrency,
    checkpointIntervalMs,
    output: options.output ?? process.stdout,
  };
}

/** The command line's help. */
export const DEMO_USAGE = `Usage: npm start -- [options]    (or: node dist/examples/fraud-detection/main.js [options])

Card-fraud detection on statefn: generates a stream of card transactions, processes it
with three stateful functions, kills the worker process with SIGKILL part-way, recovers,
and verifies exactly-once processing against an independent model.

Options:
  --events N                  events in the stream (default ${DEFAULT_EVENTS.toLocaleString('en-US')})
  --seed N                    seed of the stream (default ${DEFAULT_SEED})
  --dir PATH                  data directory, empty or missing (default: a new temp dir, kept)
  --no-crash                  do not kill the worker
  --concurrency N             sends in flight at once (default ${DEFAULT_CONCURRENCY})
  --checkpoint-interval-ms N  time between checkpoints (default ${DEFAULT_CHECKPOINT_INTERVAL_MS})
  --help                      print this help

Exit code: 0 if the verification passed, 1 if it failed, 2 for bad options.`;

/** What the command line asks for. */
export type DemoCommand = { help: true } | { help: false; options: DemoOptions };

const NUMERIC: Record<string, 'events' | 'seed' | 'concurrency' | 'checkpointIntervalMs'> = {
  '--events': 'events',
  '--seed': 'seed',
  '--concurrency': 'concurrency',
  '--checkpoint-interval-ms': 'checkpointIntervalMs',
};

/**
 * Parses command-line arguments (without node and the script). Values are checked later by
 * {@link resolveDemoOptions}; here only their form.
 *
 * @throws InvalidArgumentError on an unknown option or a missing or non-numeric value.
 */
export function parseDemoArgs(args: readonly string[]): DemoCommand {
  const options: DemoOptions = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v.length === 0)
        throw new InvalidArgumentError(`statefn demo: ${name} needs a value`);
      return v;
    };
    if (name === '--help' || name === '-h') return { help: true };
    if (name === '--no-crash') options.crash = false;
    else if (name === '--dir') options.dir = value();
    else if (name in NUMERIC) {
      const text = value().replaceAll('_', '');
      const v = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(v)) {
        throw new InvalidArgumentError(`statefn demo: ${name} must be a whole number, got '${text}'`);
      }
      options[NUMERIC[name]!] = v;
    } else {
      throw new InvalidArgumentError(`statefn demo: unknown option '${arg}' (see --help)`);
    }
  }
  return { help: false, options };
}
