/**
 * messageBuilder's inference over its whole domain: every well-formed string and every int32 is
 * inferred and reads back through the matching accessor; every other number is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { messageBuilder } from '../../../runtime/sdk/message-builder.js';

describe('messageBuilder', () => {
  it('infers the string type for every string and reads it back with asString', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ minLength: 1 }), (value, id) => {
        const msg = messageBuilder({ typename: 'a/b', id, value });
        expect(msg.targetAddress.id).toBe(id);
        expect(msg.isString()).toBe(true);
        expect(msg.asString()).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('infers the int type for every int32 and reads it back with asInt', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
        const msg = messageBuilder({ typename: 'a/b', id: 'c', value });
        expect(msg.isInt()).toBe(true);
        expect(msg.asInt()).toBe(value === 0 ? 0 : value);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses to infer a type for every number that is not an int32', () => {
    const notInt32 = fc.double().filter((v) => !(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31));
    fc.assert(
      fc.property(notInt32, (value) => {
        expect(() => messageBuilder({ typename: 'a/b', id: 'c', value })).toThrow(InvalidArgumentError);
      }),
      { numRuns: 1000 },
    );
  });
});
