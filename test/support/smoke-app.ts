/**
 * The exactly-once test application, in the style of the StateFun smoke test: one function
 * type runs trees of commands — increment its counter, send commands to another instance
 * (now, or after a delay, or after a delay that is then cancelled), emit an egress record,
 * report its counter — and a model computes what a correct run must produce.
 */
import { StateFun } from '../../runtime/sdk/statefun.js';
import { egressMessageBuilder, messageBuilder } from '../../runtime/sdk/message-builder.js';
import type { Message } from '../../runtime/sdk/message.js';
import type { Context } from '../../runtime/sdk/context.js';
import fc from 'fast-check';

export type Command =
  | { op: 'inc' }
  | { op: 'send'; to: string; cmds: Command[] }
  | { op: 'delay'; ms: number; to: string; cmds: Command[] }
  | { op: 'delayCancel'; ms: number; to: string; cmds: Command[] }
  | { op: 'egress'; tag: string };

export const SMOKE_FN = 'smoke/fn';
export const SMOKE_OUT = 'smoke/out';
export const SMOKE_VERIFY = 'smoke/verify';
const COMMANDS = StateFun.jsonType<{ cmds: Command[] } | { verify: true }>('smoke/commands');

export function smokeApp(): StateFun {
  const statefun = new StateFun();
  statefun.bind({
    typename: SMOKE_FN,
    specs: [
      { name: 'counter', type: StateFun.intType() },
      { name: 'tokens', type: StateFun.intType() },
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

/** What a correct run of `messages` produces: each counter and each egress tag once. */
export class SmokeModel {
  readonly counters = new Map<string, number>();
  readonly tags: string[] = [];

  apply(id: string, cmds: Command[]): void {
    for (const cmd of cmds) {
      if (cmd.op === 'inc') this.counters.set(id, (this.counters.get(id) ?? 0) + 1);
      else if (cmd.op === 'send' || cmd.op === 'delay') this.apply(cmd.to, cmd.cmds);
      else if (cmd.op === 'egress') this.tags.push(cmd.tag);
    }
  }
}

/** Command trees over `ids`; egress tags are made unique afterwards by `tagTree`. */
export function commandsArbitrary(ids: readonly string[]): fc.Arbitrary<Command[]> {
  const id = fc.constantFrom(...ids);
  const { tree } = fc.letrec<{ tree: Command[]; cmd: Command }>((tie) => ({
    tree: fc.array(tie('cmd'), { minLength: 1, maxLength: 4 }),
    cmd: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant<Command>({ op: 'inc' }),
      fc.constant<Command>({ op: 'egress', tag: '' }),
      fc.record({ op: fc.constant('send' as const), to: id, cmds: tie<'tree'>('tree') }),
      fc.record({
        op: fc.constant('delay' as const),
        ms: fc.integer({ min: 1, max: 500 }),
        to: id,
        cmds: tie<'tree'>('tree'),
      }),
      fc.record({
        op: fc.constant('delayCancel' as const),
        ms: fc.integer({ min: 1, max: 500 }),
        to: id,
        cmds: tie<'tree'>('tree'),
      }),
    ),
  }));
  return tree;
}

/** Gives every egress command of the tree a unique tag, `prefix.n`. */
export function tagTree(cmds: Command[], prefix: string, counter = { n: 0 }): Command[] {
  return cmds.map((c) => {
    if (c.op === 'egress') return { op: 'egress', tag: `${prefix}.${counter.n++}` };
    if (c.op === 'inc') return c;
    return { ...c, cmds: tagTree(c.cmds, prefix, counter) };
  });
}
