/**
 * Context: what a function sees, how its sends are recorded, the argument checks, and the
 * refusal of every send once the invocation has returned. The randomized model test lives in
 * context.prop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Address } from '../../../runtime/sdk/address.js';
import { closeContext, Context } from '../../../runtime/sdk/context.js';
import { InvalidArgumentError, InvocationClosedError } from '../../../runtime/errors.js';
import { emptyInvocationEffects, type InvocationEffects } from '../../../runtime/sdk/invocation-effects.js';
import { egressMessageBuilder, messageBuilder } from '../../../runtime/sdk/message-builder.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { expectError } from './expect-error.js';

const self = Address.fromTypeNameId('com.example/greeter', 'bob');
const caller = Address.fromTypeNameId('com.example/caller', 'alice');

function makeContext(effects: InvocationEffects = emptyInvocationEffects()): Context<{ seen: number }> {
  return new Context({ self, caller, storage: { seen: 1 }, effects });
}

describe('Context', () => {
  it('exposes self, caller and the storage object it was given', () => {
    const storage = { seen: 3 };
    const ctx = new Context({ self, caller: null, storage, effects: emptyInvocationEffects() });
    expect(ctx.self).toBe(self);
    expect(ctx.caller).toBeNull();
    expect(ctx.storage).toBe(storage);
    expect(makeContext().caller).toBe(caller);
  });

  it('records messages, egress messages, delayed sends and cancellations in call order', () => {
    const effects = emptyInvocationEffects();
    const ctx = makeContext(effects);
    const m1 = messageBuilder({ typename: 'a/b', id: '1', value: 'x' });
    const m2 = messageBuilder({ typename: 'a/b', id: '2', value: 2 });
    const e1 = egressMessageBuilder({ typename: 'out/e', value: true, valueType: StateFun.booleanType() });
    ctx.send(m1);
    ctx.send(e1);
    ctx.sendAfter(0, m2);
    ctx.cancelDelayedMessage('tok');
    ctx.sendAfter(60_000, m1, 'tok');
    ctx.send(m2);
    expect(effects.sent).toEqual([m1, m2]);
    expect(effects.sent[0]).toBe(m1);
    expect(effects.egress).toHaveLength(1);
    expect(effects.egress[0]).toBe(e1);
    expect(effects.delayed).toEqual([
      { kind: 'delayed', delayMs: 0, message: m2, cancellationToken: undefined },
      { kind: 'cancel', cancellationToken: 'tok' },
      { kind: 'delayed', delayMs: 60_000, message: m1, cancellationToken: 'tok' },
    ]);
    expect(effects.delayed[2]).toMatchObject({ message: m1 });
  });

  it('refuses bad arguments with messages naming the method, and records nothing for them', () => {
    const effects = emptyInvocationEffects();
    const ctx = makeContext(effects);
    const msg = messageBuilder({ typename: 'a/b', id: '1', value: 'x' });
    const egress = egressMessageBuilder({ typename: 'out/e', value: 'x', valueType: StateFun.stringType() });
    const cases: [() => void, string | RegExp][] = [
      [
        () => ctx.send({ targetAddress: self } as never),
        'Context.send: message must be a Message (from messageBuilder) or an EgressMessage (from egressMessageBuilder, kafkaEgressMessage or kinesisEgressMessage), got an object',
      ],
      [() => ctx.send(undefined as never), /^Context.send: message must be a Message .* got undefined$/],
      [
        () => ctx.sendAfter(-1, msg),
        'Context.sendAfter: delayMs must be a whole number of milliseconds >= 0, got a number (-1)',
      ],
      [
        () => ctx.sendAfter(1.5, msg),
        'Context.sendAfter: delayMs must be a whole number of milliseconds >= 0, got a number (1.5)',
      ],
      [
        () => ctx.sendAfter('10' as never, msg),
        "Context.sendAfter: delayMs must be a whole number of milliseconds >= 0, got a string ('10')",
      ],
      [
        () => ctx.sendAfter(10, egress as never),
        'Context.sendAfter: message must be a Message (from messageBuilder); egress messages cannot be delayed, got an instance of EgressMessage',
      ],
      [
        () => ctx.sendAfter(10, msg, ''),
        "Context.sendAfter: cancellationToken must be a non-empty string, got a string ('')",
      ],
      [
        () => ctx.sendAfter(10, msg, 7 as never),
        'Context.sendAfter: cancellationToken must be a non-empty string, got a number (7)',
      ],
      [
        () => ctx.cancelDelayedMessage(''),
        "Context.cancelDelayedMessage: cancellationToken must be a non-empty string, got a string ('')",
      ],
      [
        () => ctx.cancelDelayedMessage(undefined as never),
        'Context.cancelDelayedMessage: cancellationToken must be a non-empty string, got undefined',
      ],
    ];
    for (const [call, message] of cases) expectError(call, InvalidArgumentError, message);
    expect(effects).toEqual(emptyInvocationEffects());
  });

  it('refuses every send after closeContext, saying the invocation has returned, and records nothing', () => {
    const effects = emptyInvocationEffects();
    const ctx = makeContext(effects);
    const msg = messageBuilder({ typename: 'a/b', id: '1', value: 'x' });
    ctx.send(msg);
    closeContext(ctx);
    closeContext(ctx);
    const tail =
      'the invocation of com.example/greeter:bob has already returned; a function must make its sends before it returns (or before its promise resolves)';
    expectError(() => ctx.send(msg), InvocationClosedError, `Context.send: ${tail}`);
    expectError(() => ctx.sendAfter(5, msg, 't'), InvocationClosedError, `Context.sendAfter: ${tail}`);
    expectError(
      () => ctx.cancelDelayedMessage('t'),
      InvocationClosedError,
      `Context.cancelDelayedMessage: ${tail}`,
    );
    // Closed is checked first: even a bad call reports the closed invocation.
    expectError(() => ctx.sendAfter(-1, msg), InvocationClosedError, `Context.sendAfter: ${tail}`);
    expect(effects.sent).toEqual([msg]);
    expect(effects.delayed).toEqual([]);
    expect(ctx.self).toBe(self);
  });

  it('refuses a function that kept its context and sends from a timer after returning', async () => {
    const effects = emptyInvocationEffects();
    const ctx = makeContext(effects);
    const late = new Promise<unknown>((resolve) => {
      setTimeout(() => {
        try {
          ctx.send(messageBuilder({ typename: 'a/b', id: '1', value: 'late' }));
          resolve(undefined);
        } catch (error) {
          resolve(error);
        }
      }, 1);
    });
    closeContext(ctx);
    expect(await late).toBeInstanceOf(InvocationClosedError);
    expect(effects.sent).toEqual([]);
  });

  it('refuses a self or caller that is not an Address', () => {
    expectError(
      () =>
        new Context({ self: 'a/b' as never, caller: null, storage: {}, effects: emptyInvocationEffects() }),
      InvalidArgumentError,
      "Context: self must be an Address, got a string ('a/b')",
    );
    expectError(
      () => new Context({ self, caller: undefined as never, storage: {}, effects: emptyInvocationEffects() }),
      InvalidArgumentError,
      'Context: caller must be an Address or null, got undefined',
    );
  });
});
