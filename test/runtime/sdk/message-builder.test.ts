/**
 * messageBuilder and egressMessageBuilder: the SDK's type inference, and every bad input with
 * its exact error message.
 */
import { describe, expect, it } from 'vitest';
import { Address } from '../../../runtime/sdk/address.js';
import { EgressMessage } from '../../../runtime/sdk/egress-message.js';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { Message } from '../../../runtime/sdk/message.js';
import { egressMessageBuilder, messageBuilder } from '../../../runtime/sdk/message-builder.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { expectError } from './expect-error.js';
import { hex } from './wire-oracle.js';

const INFER =
  '(only strings and int32 integers are inferred); pass valueType, e.g. StateFun.floatType(), StateFun.booleanType() or StateFun.jsonType(typename)';

describe('messageBuilder', () => {
  it('builds a message to the address of typename and id', () => {
    const msg = messageBuilder({ typename: 'foo/bar', id: '1', value: 2 });
    expect(msg).toBeInstanceOf(Message);
    expect(msg.targetAddress.equals(Address.fromTypeNameId('foo/bar', '1'))).toBe(true);
    expect(msg.isInt()).toBe(true);
    expect(msg.asInt()).toBe(2);
  });

  it('infers io.statefun.types/string for a string and io.statefun.types/int for an int32 integer', () => {
    const s = messageBuilder({ typename: 'a/b', id: 'c', value: 'hello' });
    expect(s.valueTypeName).toBe('io.statefun.types/string');
    expect(hex(s.rawValueBytes)).toBe('0a0568656c6c6f');
    const i = messageBuilder({ typename: 'a/b', id: 'c', value: -2147483648 });
    expect(i.valueTypeName).toBe('io.statefun.types/int');
    expect(i.asInt()).toBe(-2147483648);
    expect(messageBuilder({ typename: 'a/b', id: 'c', value: '' }).asString()).toBe('');
  });

  it('uses the given valueType, and null valueType means none, as in the SDK', () => {
    const User = StateFun.jsonType<{ n: string }>('com.example/User');
    const msg = messageBuilder({ typename: 'a/b', id: 'c', value: { n: 'x' }, valueType: User });
    expect(msg.valueTypeName).toBe('com.example/User');
    expect(msg.as(User)).toEqual({ n: 'x' });
    expect(
      messageBuilder({ typename: 'a/b', id: 'c', value: 1.5, valueType: StateFun.floatType() }).asFloat(),
    ).toBe(1.5);
    expect(
      messageBuilder({ typename: 'a/b', id: 'c', value: 'x', valueType: null as never }).isString(),
    ).toBe(true);
  });

  it('refuses to infer a type for floats, integers beyond int32, booleans, objects and bigints', () => {
    const cases: [unknown, string][] = [
      [1.5, 'a number (1.5)'],
      [2 ** 31, 'a number (2147483648)'],
      [NaN, 'a number (NaN)'],
      [true, 'a boolean (true)'],
      [{ a: 1 }, 'an object'],
      [[1], 'an array'],
      [5n, 'a bigint (5n)'],
      [new Date(0), 'an instance of Date'],
    ];
    for (const [value, described] of cases) {
      expectError(
        () => messageBuilder({ typename: 'a/b', id: 'c', value }),
        InvalidArgumentError,
        `messageBuilder: cannot infer the type of ${described} ${INFER}`,
      );
    }
  });

  it('refuses a bad typename, id, value or valueType with a message naming messageBuilder', () => {
    const cases: [unknown, string][] = [
      [
        { typename: 'foo', id: 'c', value: 1 },
        "messageBuilder: typename 'foo' must be of the form <namespace>/<name>",
      ],
      [
        { typename: '/b', id: 'c', value: 1 },
        "messageBuilder: typename '/b' must be of the form <namespace>/<name>",
      ],
      [
        { id: 'c', value: 1 },
        'messageBuilder: typename must be a string of the form <namespace>/<name>, got undefined',
      ],
      [
        { typename: 'a/b', id: '', value: 1 },
        "messageBuilder: id must be a non-empty string, got a string ('')",
      ],
      [
        { typename: 'a/b', id: 7, value: 1 },
        'messageBuilder: id must be a non-empty string, got a number (7)',
      ],
      [{ typename: 'a/b', value: 1 }, 'messageBuilder: id must be a non-empty string, got undefined'],
      [{ typename: 'a/b', id: 'c' }, 'messageBuilder: value is missing, got undefined'],
      [{ typename: 'a/b', id: 'c', value: null }, 'messageBuilder: value is missing, got null'],
      [
        { typename: 'a/b', id: 'c', value: 1, valueType: 'int' },
        "messageBuilder: valueType must be a Type (such as StateFun.intType() or StateFun.jsonType(...)), got a string ('int')",
      ],
      [
        undefined,
        'messageBuilder: expected an options object { typename, id, value, valueType? }, got undefined',
      ],
    ];
    for (const [opts, message] of cases) {
      expectError(() => messageBuilder(opts as never), InvalidArgumentError, message);
    }
  });

  it('lets a wrong value for the given type fail in the type, naming it', () => {
    expectError(
      () => messageBuilder({ typename: 'a/b', id: 'c', value: 'x', valueType: StateFun.intType() }),
      InvalidArgumentError,
      "StateFun.intType().serialize: value must be an integer in the int32 range [-2147483648, 2147483647], got a string ('x')",
    );
  });

  it('refuses a custom serializer that returns something other than bytes', () => {
    const Bad = StateFun.customType<string>(
      'a/bad',
      (s) => s as never,
      () => '',
    );
    expectError(
      () => messageBuilder({ typename: 'a/b', id: 'c', value: 'x', valueType: Bad }),
      InvalidArgumentError,
      "messageBuilder: the serializer of a/bad must return a Uint8Array (or Buffer), got a string ('x')",
    );
  });
});

describe('egressMessageBuilder', () => {
  it('builds an egress message with the value serialized by valueType', () => {
    const msg = egressMessageBuilder({ typename: 'foo/bar', value: 123, valueType: StateFun.floatType() });
    expect(msg).toBeInstanceOf(EgressMessage);
    expect(msg.typename).toBe('foo/bar');
    expect(msg.valueTypeName).toBe('io.statefun.types/float');
    expect(msg.asFloat()).toBe(123);
  });

  it('requires a valueType, as the SDK does, and names egressMessageBuilder in every error', () => {
    const cases: [unknown, string][] = [
      [
        { typename: 'foo/bar', value: 'x' },
        'egressMessageBuilder: valueType is required (egress values have no inferred type), e.g. StateFun.stringType()',
      ],
      [
        { typename: 'foobar', value: 'x' },
        "egressMessageBuilder: typename 'foobar' must be of the form <namespace>/<name>",
      ],
      [
        { typename: 'foo/bar', valueType: StateFun.stringType() },
        'egressMessageBuilder: value is missing, got undefined',
      ],
      [
        { typename: 'foo/bar', value: 'x', valueType: {} },
        'egressMessageBuilder: valueType must be a Type (such as StateFun.intType() or StateFun.jsonType(...)), got an object',
      ],
      [null, 'egressMessageBuilder: expected an options object { typename, value, valueType }, got null'],
    ];
    for (const [opts, message] of cases) {
      expectError(() => egressMessageBuilder(opts as never), InvalidArgumentError, message);
    }
  });
});
