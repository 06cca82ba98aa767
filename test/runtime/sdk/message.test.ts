/**
 * Message and EgressMessage: value accessors, type checks, and immutability from outside.
 */
import { describe, expect, it } from 'vitest';
import { Address } from '../../../runtime/sdk/address.js';
import { EgressMessage } from '../../../runtime/sdk/egress-message.js';
import { InvalidArgumentError, TypeMismatchError } from '../../../runtime/errors.js';
import { Message } from '../../../runtime/sdk/message.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { toTypedValue } from '../../../runtime/sdk/typed-value.js';
import { expectError } from './expect-error.js';

const UserType = StateFun.jsonType<{ name: string }>('io.foo.bar/User');
const bob = { name: 'bob' };
const target = Address.fromTypeNameId('io.foo.bar/Greeter', 'bob');
const userMessage = (): Message => new Message(target, toTypedValue(bob, UserType, 'test'));

describe('Message', () => {
  it('exposes its target, the value typename and a copy of the value bytes', () => {
    const msg = userMessage();
    expect(msg.targetAddress).toBe(target);
    expect(msg.valueTypeName).toBe('io.foo.bar/User');
    expect(Buffer.isBuffer(msg.rawValueBytes)).toBe(true);
    expect(msg.rawValueBytes.toString()).toBe('{"name":"bob"}');
    expect(msg.typedValue).toEqual({
      typename: 'io.foo.bar/User',
      bytes: new Uint8Array(Buffer.from('{"name":"bob"}')),
    });
  });

  it('is(type) compares typenames and as(type) deserializes a value of that type', () => {
    const msg = userMessage();
    expect(msg.is(UserType)).toBe(true);
    expect(msg.is(StateFun.jsonType('io.foo.bar/User'))).toBe(true);
    expect(msg.is(StateFun.intType())).toBe(false);
    expect(msg.as(UserType)).toEqual(bob);
  });

  it('as(type) with another type throws TypeMismatchError naming both typenames', () => {
    const error = expectError(
      () => userMessage().as(StateFun.intType()),
      TypeMismatchError,
      'Message.as: the value is of type io.foo.bar/User, not of the requested type io.statefun.types/int',
    ) as TypeMismatchError;
    expect(error.actualTypeName).toBe('io.foo.bar/User');
    expect(error.requestedTypeName).toBe('io.statefun.types/int');
  });

  it('has isX/asX for each built-in type, and asX of another type throws TypeMismatchError', () => {
    const cases = [
      { type: StateFun.stringType(), value: 'Hello there', is: 'isString', as: 'asString' },
      { type: StateFun.intType(), value: -42, is: 'isInt', as: 'asInt' },
      { type: StateFun.booleanType(), value: true, is: 'isBoolean', as: 'asBoolean' },
      { type: StateFun.floatType(), value: 1.5, is: 'isFloat', as: 'asFloat' },
    ] as const;
    for (const c of cases) {
      const msg = new Message(target, toTypedValue<unknown>(c.value, c.type, 'test'));
      expect(msg[c.is]()).toBe(true);
      expect(msg[c.as]()).toBe(c.value);
      for (const other of cases) {
        if (other === c) continue;
        expect(msg[other.is]()).toBe(false);
        expectError(
          () => msg[other.as](),
          TypeMismatchError,
          `Message.${other.as}: the value is of type ${c.type.typename}, not of the requested type ${other.type.typename}`,
        );
      }
    }
  });

  it('cannot be changed through the bytes given to it, returned by it or passed to a deserializer', () => {
    const given = Buffer.from('{"name":"bob"}');
    const msg = new Message(target, { typename: UserType.typename, bytes: given });
    given.fill(0);
    msg.rawValueBytes.fill(0);
    msg.typedValue.bytes.fill(0);
    const Grabby = StateFun.customType<Buffer>(
      'io.foo.bar/User',
      (b) => b,
      (b) => b,
    );
    msg.as(Grabby).fill(0);
    expect(msg.as(UserType)).toEqual(bob);
  });

  it('has no writable properties', () => {
    const msg = userMessage();
    expect(() => {
      (msg as unknown as { targetAddress: Address }).targetAddress = Address.fromTypeNameId('x/y', 'z');
    }).toThrow(TypeError);
    expect(Object.keys(msg)).toEqual([]);
  });

  it('refuses a target that is not an Address, a bad typename, bytes that are not a Uint8Array, and a non-Type', () => {
    expectError(
      () => new Message('a/b' as never, { typename: 'a/b', bytes: new Uint8Array(0) }),
      InvalidArgumentError,
      "Message: targetAddress must be an Address, got a string ('a/b')",
    );
    expectError(
      () => new Message(target, { typename: 'ab', bytes: new Uint8Array(0) }),
      InvalidArgumentError,
      "Message: typename 'ab' must be of the form <namespace>/<name>",
    );
    expectError(
      () => new Message(target, { typename: 'a/b', bytes: 'x' as never }),
      InvalidArgumentError,
      "Message: typedValue.bytes must be a Uint8Array, got a string ('x')",
    );
    expectError(
      () => new Message(target, undefined as never),
      InvalidArgumentError,
      'Message: typedValue must be an object { typename, bytes }, got undefined',
    );
    expectError(
      () => userMessage().as({ typename: 'io.foo.bar/User' } as never),
      InvalidArgumentError,
      'Message.as: type must be a Type (such as StateFun.intType() or StateFun.jsonType(...)), got an object',
    );
    expectError(
      () => userMessage().is(null as never),
      InvalidArgumentError,
      'Message.is: type must be a Type (such as StateFun.intType() or StateFun.jsonType(...)), got null',
    );
  });
});

describe('EgressMessage', () => {
  it('carries the egress typename and has the same value accessors, named EgressMessage in errors', () => {
    const msg = new EgressMessage('com.example/out', toTypedValue(123, StateFun.floatType(), 'test'));
    expect(msg.typename).toBe('com.example/out');
    expect(msg.valueTypeName).toBe('io.statefun.types/float');
    expect(msg.isFloat()).toBe(true);
    expect(msg.asFloat()).toBe(123);
    expect(msg.as(StateFun.floatType())).toBe(123);
    expectError(
      () => msg.asString(),
      TypeMismatchError,
      'EgressMessage.asString: the value is of type io.statefun.types/float, not of the requested type io.statefun.types/string',
    );
  });

  it('refuses a malformed egress typename', () => {
    expectError(
      () => new EgressMessage('out', toTypedValue('x', StateFun.stringType(), 'test')),
      InvalidArgumentError,
      "EgressMessage: typename 'out' must be of the form <namespace>/<name>",
    );
  });
});
