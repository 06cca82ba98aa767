/**
 * A runtime on a MemoryFileSystem for feature tests, with the chores every test repeats:
 * sending string commands, waiting until processing has settled, reading the egress records
 * committed since the last read, and restarting after a graceful stop or a simulated crash.
 *
 * `scripted` binds a function whose message is the name of an operation: the operation runs
 * with the invocation's context, and whatever it returns (unless undefined) is sent to the
 * egress OUT as `<id> <operation> <JSON of the result>`, so tests assert exact strings.
 */
import { expect } from 'vitest';
import { MemoryFileSystem } from '../../engine/index.js';
import {
  DEAD_LETTER_EGRESS,
  DEAD_LETTER_TYPENAME,
  ManualClock,
  Runtime,
  StateFun,
} from '../../runtime/index.js';
import type { Context, RuntimeOptions, SendOptions, SendResult, ValueSpecOpts } from '../../runtime/index.js';
import type { SeededScheduler } from '../../runtime/clock.js';
import { abandonRuntime } from '../../runtime/runtime.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';

/** The egress scripted functions write their results to. */
export const OUT = 'test/out';

/** `context.storage` as scripted operations see it: reads are `unknown` until asserted. */
export type Storage = Record<string, unknown>;

/** One operation of a scripted function: its result goes to OUT unless undefined. */
export type Op = (context: Context<Storage>) => unknown;

/** Binds `typename` to a function that runs the operation its (string) message names. */
export function scripted(
  statefun: StateFun,
  typename: string,
  specs: ValueSpecOpts[],
  ops: Record<string, Op>,
): void {
  statefun.bind({
    typename,
    specs,
    fn(context, message) {
      const name = message.asString();
      const op = ops[name];
      if (op === undefined) throw new Error(`no operation '${name}'`);
      const emit = (result: unknown): void => {
        if (result === undefined) return;
        context.send(
          egressMessageBuilder({
            typename: OUT,
            value: `${context.self.id} ${name} ${JSON.stringify(result)}`,
            valueType: StateFun.stringType(),
          }),
        );
      };
      const result = op(context);
      if (result instanceof Promise) return result.then(emit);
      emit(result);
    },
  });
}

/** A dead-letter record's value, as the runtime writes it. */
export interface DeadLetter {
  target: { typename: string; id: string };
  caller: { typename: string; id: string } | null;
  valueTypename: string;
  valueBase64: string;
  error: string;
  attempts: number;
}

/** Waits `n` rounds of setImmediate: lets scheduled shard turns and fired timers run. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits until `condition` holds, polling with setImmediate; fails after `maxTurns`. */
export async function until(condition: () => boolean, what: string, maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/**
 * Steps a SeededScheduler's tasks (shard turns, the ingress pump) until `done`, or
 * `maxSteps` steps; when none is ready, lets I/O and timers run for a turn.
 */
export async function stepUntil(
  scheduler: SeededScheduler,
  done: () => boolean,
  maxSteps = 1_000_000,
): Promise<void> {
  for (let i = 0; i < maxSteps && !done(); i++) {
    if (!scheduler.step()) await turns(1);
  }
}

/** Asserts that `promise` rejects with an instance of `errorClass` and exactly `message`. */
export async function expectRejection(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => Error,
  message: string | RegExp,
): Promise<Error> {
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(errorClass);
  const error = thrown as Error;
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  return error;
}

/**
 * What calling `fn` throws, as `Name: message`, or 'no error'. For scripted operations that
 * report an error in their output instead of failing the invocation.
 */
export function describeError(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

/**
 * An app of one scripted function, `typename`, whose operation `inc` adds one to its value
 * state `n` and reports the new count.
 */
export function counterApp(typename: string): StateFun {
  const statefun = new StateFun();
  scripted(statefun, typename, [{ name: 'n', type: StateFun.intType() }], {
    inc: (c) => {
      c.storage.n = ((c.storage.n as number | null) ?? 0) + 1;
      return c.storage.n;
    },
  });
  return statefun;
}

export type HarnessOptions = Omit<RuntimeOptions, 'dir' | 'statefun' | 'fileSystem'>;

export class TestRuntime {
  rt: Runtime;
  fs: MemoryFileSystem;
  statefun: StateFun;
  readonly clock: ManualClock;
  readonly #extra: HarnessOptions;
  /** Next offset to read, per egress. */
  readonly #read = new Map<string, number>();

  private constructor(
    rt: Runtime,
    fs: MemoryFileSystem,
    statefun: StateFun,
    clock: ManualClock,
    extra: HarnessOptions,
  ) {
    this.rt = rt;
    this.fs = fs;
    this.statefun = statefun;
    this.clock = clock;
    this.#extra = extra;
  }

  /** Starts a runtime in `/app` with checkpoints on demand only and a ManualClock. */
  static async start(statefun: StateFun, extra: HarnessOptions = {}): Promise<TestRuntime> {
    const fs = new MemoryFileSystem();
    const clock = extra.clock instanceof ManualClock ? extra.clock : new ManualClock();
    const options = { checkpointIntervalMs: 0, shards: 2, ...extra, clock };
    const rt = await Runtime.start({ ...options, dir: '/app', statefun, fileSystem: fs });
    return new TestRuntime(rt, fs, statefun, clock, options);
  }

  /** Sends the string `value` to `typename`/`id`. */
  send(typename: string, id: string, value: string, options?: SendOptions): Promise<SendResult> {
    return this.rt.send(messageBuilder({ typename, id, value }), options);
  }

  /** Waits until every message is processed (timers that fell due included). */
  async settle(): Promise<void> {
    await turns();
    await this.rt.idle();
  }

  /**
   * Settles while invocations wait for their retry backoff: each time processing stalls, the
   * clock jumps to the next pending timer (a delayed message would fire too).
   */
  async settleWithRetries(maxJumps = 1000): Promise<void> {
    for (let i = 0; i < maxJumps; i++) {
      await turns();
      if (this.rt.quiescent) return;
      const at = this.clock.nextTimerAt();
      if (at !== undefined) this.clock.advance(at - this.clock.now());
    }
    throw new Error('the runtime did not settle');
  }

  /** Lets what was sent run first, then moves the clock forward and lets what fell due run. */
  async advance(ms: number): Promise<void> {
    await this.settle();
    this.clock.advance(ms);
    await this.settle();
  }

  /** Settles, takes a checkpoint (so egress commits), and reads the records of `typename` not read yet. */
  async output(typename = OUT): Promise<string[]> {
    await this.settle();
    await this.rt.checkpoint();
    return this.read(typename);
  }

  /** The committed records of `typename` not read yet, as strings. */
  async read(typename = OUT): Promise<string[]> {
    const out: string[] = [];
    for await (const r of this.rt.egress(typename, { from: this.#read.get(typename) ?? 0, follow: false })) {
      out.push(r.value.asString());
      this.#read.set(typename, r.offset + 1);
    }
    return out;
  }

  /** Settles, takes a checkpoint, and reads the dead letters not read yet. */
  async deadLetters(): Promise<DeadLetter[]> {
    await this.settle();
    await this.rt.checkpoint();
    const out: DeadLetter[] = [];
    const from = this.#read.get(DEAD_LETTER_EGRESS) ?? 0;
    for await (const r of this.rt.egress(DEAD_LETTER_EGRESS, { from, follow: false })) {
      expect(r.value.valueTypeName).toBe(DEAD_LETTER_TYPENAME);
      out.push(r.value.as(StateFun.jsonType<DeadLetter>(DEAD_LETTER_TYPENAME)));
      this.#read.set(DEAD_LETTER_EGRESS, r.offset + 1);
    }
    return out;
  }

  /** Stops gracefully and starts again on the same files (optionally with other functions). */
  async restart(statefun = this.statefun, extra: HarnessOptions = {}): Promise<void> {
    await this.rt.stop();
    await this.#startAgain(statefun, extra);
  }

  /**
   * Simulates a machine crash (unsynced data is lost; with `random`, a random prefix of each
   * file's unsynced bytes survives, as a torn write) and starts again on what survived.
   */
  async crash(statefun = this.statefun, extra: HarnessOptions = {}, random?: () => number): Promise<void> {
    abandonRuntime(this.rt);
    this.fs = this.fs.crash(random === undefined ? {} : { random });
    await this.#startAgain(statefun, extra);
  }

  async #startAgain(statefun: StateFun, extra: HarnessOptions): Promise<void> {
    this.statefun = statefun;
    this.rt = await Runtime.start({
      ...this.#extra,
      ...extra,
      clock: this.clock,
      dir: '/app',
      statefun,
      fileSystem: this.fs,
    });
  }

  stop(): Promise<void> {
    return this.rt.stop();
  }
}
