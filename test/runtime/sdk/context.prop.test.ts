/**
 * Context against a model: for any sequence of sends, delayed sends, cancellations and invalid
 * calls, the recorded effects are exactly the model's lists in call order; after close, every
 * call throws and nothing more is recorded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Address } from '../../../runtime/sdk/address.js';
import { closeContext, Context } from '../../../runtime/sdk/context.js';
import type { EgressMessage } from '../../../runtime/sdk/egress-message.js';
import { InvalidArgumentError, InvocationClosedError } from '../../../runtime/errors.js';
import { emptyInvocationEffects, type InvocationEffects } from '../../../runtime/sdk/invocation-effects.js';
import type { Message } from '../../../runtime/sdk/message.js';
import { egressMessageBuilder, messageBuilder } from '../../../runtime/sdk/message-builder.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';

type Op =
  | { op: 'send'; id: string }
  | { op: 'egress'; value: string }
  | { op: 'sendAfter'; delayMs: number; id: string; token: string | undefined }
  | { op: 'cancel'; token: string }
  | { op: 'badDelay'; delayMs: number }
  | { op: 'badToken' };

const id = fc.string({ minLength: 1, maxLength: 4 });
const token = fc.constantFrom('a', 'b', 'c');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  id.map((i) => ({ op: 'send' as const, id: i })),
  fc.string().map((v) => ({ op: 'egress' as const, value: v })),
  fc.record({
    op: fc.constant('sendAfter' as const),
    delayMs: fc.nat(),
    id,
    token: fc.option(token, { nil: undefined }),
  }),
  token.map((t) => ({ op: 'cancel' as const, token: t })),
  fc
    .oneof(fc.integer({ max: -1 }), fc.double({ noInteger: true }))
    .map((d) => ({ op: 'badDelay' as const, delayMs: d })),
  fc.constant({ op: 'badToken' as const }),
);

/** Runs `op` on the context; returns the message it made, if any, for the model. */
function apply(ctx: Context, op: Op): Message | EgressMessage | undefined {
  switch (op.op) {
    case 'send': {
      const m = messageBuilder({ typename: 'a/b', id: op.id, value: op.id });
      ctx.send(m);
      return m;
    }
    case 'egress': {
      const e = egressMessageBuilder({
        typename: 'out/e',
        value: op.value,
        valueType: StateFun.stringType(),
      });
      ctx.send(e);
      return e;
    }
    case 'sendAfter': {
      const m = messageBuilder({ typename: 'a/b', id: op.id, value: 1 });
      ctx.sendAfter(op.delayMs, m, op.token);
      return m;
    }
    case 'cancel':
      ctx.cancelDelayedMessage(op.token);
      return undefined;
    case 'badDelay':
      ctx.sendAfter(op.delayMs, messageBuilder({ typename: 'a/b', id: 'x', value: 1 }));
      return undefined;
    case 'badToken':
      ctx.cancelDelayedMessage('');
      return undefined;
  }
}

describe('Context', () => {
  it('records exactly the valid calls, in order, and nothing after close', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 30 }),
        fc.array(opArb, { minLength: 1, maxLength: 5 }),
        (ops, late) => {
          const effects = emptyInvocationEffects();
          const ctx = new Context({
            self: Address.fromTypeNameId('a/self', 'me'),
            caller: null,
            storage: {},
            effects,
          });
          const model: InvocationEffects = emptyInvocationEffects();
          for (const op of ops) {
            const invalid = op.op === 'badDelay' || op.op === 'badToken';
            if (invalid) {
              expect(() => apply(ctx, op)).toThrow(InvalidArgumentError);
              continue;
            }
            const made = apply(ctx, op);
            if (op.op === 'send') model.sent.push(made as Message);
            else if (op.op === 'egress') model.egress.push(made as EgressMessage);
            else if (op.op === 'sendAfter') {
              model.delayed.push({
                kind: 'delayed',
                delayMs: op.delayMs,
                message: made as Message,
                cancellationToken: op.token,
              });
            } else if (op.op === 'cancel')
              model.delayed.push({ kind: 'cancel', cancellationToken: op.token });
          }
          const check = (): void => {
            expect(effects.sent.length).toBe(model.sent.length);
            effects.sent.forEach((m, i) => expect(m).toBe(model.sent[i]));
            effects.egress.forEach((m, i) => expect(m).toBe(model.egress[i]));
            expect(effects.egress.length).toBe(model.egress.length);
            expect(effects.delayed).toEqual(model.delayed);
            effects.delayed.forEach((d, i) => {
              const expected = model.delayed[i];
              if (d.kind === 'delayed' && expected?.kind === 'delayed')
                expect(d.message).toBe(expected.message);
            });
          };
          check();
          closeContext(ctx);
          for (const op of late) expect(() => apply(ctx, op)).toThrow(InvocationClosedError);
          check();
        },
      ),
      { numRuns: 500 },
    );
  });
});
