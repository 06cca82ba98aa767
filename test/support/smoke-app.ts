/**
 * The exactly-once test application, in the style of the StateFun smoke test: one function
 * type runs trees of commands — increment its counter, send commands to another instance
 * (now, or after a delay, or after a delay that is then cancelled), emit an egress record,
 * throw, report its counter — and a model computes what a correct run must produce.
 *
 * Failures: `throw` fails the invocation on its first `times` attempts and lets it pass after
 * (the attempts are counted in the app instance, keyed by the command's unique key, since
 * function state is rolled back on a throw); `poison` fails every attempt, so the message
 * ends in the dead-letter egress. A failed attempt has done the commands before it, and the
 * model expects none of their effects. The count is lost with the app instance at a crash,
 * which changes nothing: the runtime's attempt count is not persisted either, so the
 * replayed message again fails `times` times and then passes.
 */
import { StateFun } from '../../runtime/sdk/statefun.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import type { Message } from '../../runtime/sdk/message.js';
import type { Context } from '../../runtime/sdk/context.js';
import { DEAD_LETTER_TYPENAME } from '../../runtime/invoke/function-invoker.js';
import fc from 'fast-check';

export type Command =
  | { op: 'inc' }
  | { op: 'send'; to: string; cmds: Command[] }
  | { op: 'delay'; ms: number; to: string; cmds: Command[] }
  | { op: 'delayCancel'; ms: number; to: string; cmds: Command[] }
  | { op: 'egress'; tag: string }
  | { op: 'throw'; times: number; key: string }
  | { op: 'poison'; key: string }
  | { op: 'bulk' };

export const SMOKE_FN = 'smoke/fn';
export const SMOKE_OUT = 'smoke/out';
export const SMOKE_VERIFY = 'smoke/verify';
/**
 * Bytes `bulk` writes (and emits to SMOKE_BALLAST if asked): past a shard's share of the
 * least `stateWriteBufferBytes` (1 MiB) whatever the shard count, so a bulk write during a
 * checkpoint makes the shard set messages aside, and its egress record makes the shard
 * overtake the next checkpoint's barrier.
 */
export const SMOKE_BULK_BYTES = 1100 * 1024;
/** The egress of `bulk`'s records, which the model does not track (only their size matters). */
export const SMOKE_BALLAST = 'smoke/ballast';
/** The runtime's maxAttempts the tests use: above every `throw`'s `times` (1 or 2). */
export const SMOKE_MAX_ATTEMPTS = 3;
const COMMANDS = StateFun.jsonType<{ cmds: Command[] } | { verify: true }>('smoke/commands');

/** The dead-letter records' values, as far as the tests read them. */
export const DEAD_LETTER_VALUE = StateFun.jsonType<{
  target: { id: string };
  error: string;
  attempts: number;
}>(DEAD_LETTER_TYPENAME);

/** Observes the app's failures (coverage counters of the tests), and its options. */
export interface SmokeHooks {
  onThrow?(op: 'throw' | 'poison', key: string): void;
  /**
   * Whether `bulk` also emits its ballast to SMOKE_BALLAST (default false): a megabyte
   * egress record per `bulk` makes a run several times slower.
   */
  ballastEgress?: boolean;
}

export function smokeApp(hooks: SmokeHooks = {}): StateFun {
  const statefun = new StateFun();
  const attempts = new Map<string, number>();
  statefun.bind({
    typename: SMOKE_FN,
    specs: [
      { name: 'counter', type: StateFun.intType() },
      { name: 'tokens', type: StateFun.intType() },
      { name: 'ballast', type: StateFun.stringType() },
    ],
    fn(context: Context, message: Message) {
      const body = message.as(COMMANDS);
      if ('verify' in body) {
        const counter = (context.storage.counter as number | null) ?? 0;
        context.send(
          egressMessageBuilder({
            typename: SMOKE_VERIFY,
            value: `${context.self.id}=${counter}`,
            valueType: StateFun.stringType(),
          }),
        );
        return;
      }
      for (const cmd of body.cmds) {
        switch (cmd.op) {
          case 'inc':
            context.storage.counter = ((context.storage.counter as number | null) ?? 0) + 1;
            break;
          case 'send':
            context.send(
              messageBuilder({
                typename: SMOKE_FN,
                id: cmd.to,
                value: { cmds: cmd.cmds },
                valueType: COMMANDS,
              }),
            );
            break;
          case 'delay':
            context.sendAfter(
              cmd.ms,
              messageBuilder({
                typename: SMOKE_FN,
                id: cmd.to,
                value: { cmds: cmd.cmds },
                valueType: COMMANDS,
              }),
            );
            break;
          case 'delayCancel': {
            const n = ((context.storage.tokens as number | null) ?? 0) + 1;
            context.storage.tokens = n;
            const token = `${context.self.id}-${n}`;
            context.sendAfter(
              cmd.ms,
              messageBuilder({
                typename: SMOKE_FN,
                id: cmd.to,
                value: { cmds: cmd.cmds },
                valueType: COMMANDS,
              }),
              token,
            );
            context.cancelDelayedMessage(token);
            break;
          }
          case 'egress':
            context.send(
              egressMessageBuilder({ typename: SMOKE_OUT, value: cmd.tag, valueType: StateFun.stringType() }),
            );
            break;
          case 'throw': {
            const failed = attempts.get(cmd.key) ?? 0;
            if (failed < cmd.times) {
              attempts.set(cmd.key, failed + 1);
              hooks.onThrow?.('throw', cmd.key);
              throw new Error(`throw ${cmd.key}`);
            }
            break;
          }
          case 'poison':
            hooks.onThrow?.('poison', cmd.key);
            throw new Error(`poison ${cmd.key}`);
          case 'bulk':
            // State the model does not track: only its size matters (see SMOKE_BULK_BYTES).
            context.storage.ballast = 'b'.repeat(SMOKE_BULK_BYTES);
            if (hooks.ballastEgress !== true) break;
            context.send(
              egressMessageBuilder({
                typename: SMOKE_BALLAST,
                value: 'b'.repeat(SMOKE_BULK_BYTES),
                valueType: StateFun.stringType(),
              }),
            );
            break;
        }
      }
    },
  });
  return statefun;
}

export function commandsMessage(id: string, cmds: Command[]): Message {
  return messageBuilder({ typename: SMOKE_FN, id, value: { cmds }, valueType: COMMANDS });
}

export function verifyMessage(id: string): Message {
  return messageBuilder({ typename: SMOKE_FN, id, value: { verify: true }, valueType: COMMANDS });
}

/**
 * The error of the last of `maxAttempts` attempts to run `cmds`, or undefined if an attempt
 * succeeds: the app's attempt counting, replayed.
 */
export function invocationError(cmds: readonly Command[], maxAttempts: number): string | undefined {
  const attempts = new Map<string, number>();
  let error: string | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    error = undefined;
    for (const cmd of cmds) {
      if (cmd.op === 'poison') error = `Error: poison ${cmd.key}`;
      else if (cmd.op === 'throw' && (attempts.get(cmd.key) ?? 0) < cmd.times) {
        attempts.set(cmd.key, (attempts.get(cmd.key) ?? 0) + 1);
        error = `Error: throw ${cmd.key}`;
      }
      if (error !== undefined) break;
    }
    if (error === undefined) return undefined;
  }
  return error;
}

/** A message the model expects in the dead-letter egress: its target id and last error. */
export interface ExpectedDeadLetter {
  id: string;
  error: string;
}

/** What a correct run of `messages` produces: each counter, each egress tag and each dead letter once. */
export class SmokeModel {
  readonly counters = new Map<string, number>();
  readonly tags: string[] = [];
  readonly deadLetters: ExpectedDeadLetter[] = [];
  /** Invocations that failed at least once and then succeeded (coverage). */
  retried = 0;
  readonly #maxAttempts: number;

  constructor(maxAttempts = SMOKE_MAX_ATTEMPTS) {
    this.#maxAttempts = maxAttempts;
  }

  apply(id: string, cmds: Command[]): void {
    const error = invocationError(cmds, this.#maxAttempts);
    if (error !== undefined) {
      this.deadLetters.push({ id, error });
      return;
    }
    if (cmds.some((c) => c.op === 'throw')) this.retried++;
    for (const cmd of cmds) {
      if (cmd.op === 'inc') this.counters.set(id, (this.counters.get(id) ?? 0) + 1);
      else if (cmd.op === 'send' || cmd.op === 'delay') this.apply(cmd.to, cmd.cmds);
      else if (cmd.op === 'egress') this.tags.push(cmd.tag);
    }
  }
}

/** Options of {@link commandsArbitrary}. */
export interface CommandsArbitraryOptions {
  /**
   * Include `throw` and `poison` commands (default false: the arbitrary then draws exactly
   * what it drew before they existed, so a seed reported by an older run replays the same case).
   */
  failures?: boolean;
  /** Longest delay of `delay` and `delayCancel` (default 500). */
  maxDelayMs?: number;
  /** Include `bulk` commands (default false, for the same reason as `failures`). */
  bulk?: boolean;
}

/** Command trees over `ids`; egress tags and failure keys are made unique afterwards by `tagTree`. */
export function commandsArbitrary(
  ids: readonly string[],
  options: CommandsArbitraryOptions = {},
): fc.Arbitrary<Command[]> {
  const { failures = false, maxDelayMs = 500, bulk = false } = options;
  const id = fc.constantFrom(...ids);
  const ms = fc.integer({ min: 1, max: maxDelayMs });
  const { tree } = fc.letrec<{ tree: Command[]; cmd: Command }>((tie) => {
    const plain: fc.Arbitrary<Command>[] = [
      fc.constant<Command>({ op: 'inc' }),
      fc.constant<Command>({ op: 'egress', tag: '' }),
      fc.record({ op: fc.constant('send' as const), to: id, cmds: tie<'tree'>('tree') }),
      fc.record({ op: fc.constant('delay' as const), ms, to: id, cmds: tie<'tree'>('tree') }),
      fc.record({ op: fc.constant('delayCancel' as const), ms, to: id, cmds: tie<'tree'>('tree') }),
    ];
    const cmd = failures
      ? fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          ...plain.map((arbitrary) => ({ arbitrary, weight: 6 })),
          {
            arbitrary: fc.record({
              op: fc.constant('throw' as const),
              times: fc.integer({ min: 1, max: 2 }),
              key: fc.constant(''),
            }),
            weight: 3,
          },
          { arbitrary: fc.constant<Command>({ op: 'poison', key: '' }), weight: 1 },
          ...(bulk ? [{ arbitrary: fc.constant<Command>({ op: 'bulk' }), weight: 2 }] : []),
        )
      : fc.oneof({ depthSize: 'small', withCrossShrink: true }, ...plain);
    return { tree: fc.array(tie('cmd'), { minLength: 1, maxLength: 4 }), cmd };
  });
  return tree;
}

/** Gives every egress, throw and poison command of the tree a unique tag or key, `prefix.n`. */
export function tagTree(cmds: Command[], prefix: string, counter = { n: 0 }): Command[] {
  return cmds.map((c) => {
    if (c.op === 'egress') return { op: 'egress', tag: `${prefix}.${counter.n++}` };
    if (c.op === 'throw' || c.op === 'poison') return { ...c, key: `${prefix}.${counter.n++}` };
    if (c.op === 'inc' || c.op === 'bulk') return c;
    return { ...c, cmds: tagTree(c.cmds, prefix, counter) };
  });
}
