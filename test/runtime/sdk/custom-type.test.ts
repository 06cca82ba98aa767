/**
 * customType, protoType and user subclasses of Type: the user's code makes the bytes;
 * deserializers written for the SDK receive a Buffer; the factories check their arguments.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { messageBuilder } from '../../../runtime/sdk/message-builder.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { Type } from '../../../runtime/sdk/type.js';
import { expectError } from './expect-error.js';
import { bytes } from './wire-oracle.js';

describe('StateFun.customType', () => {
  it('serializes and deserializes with the given functions, as an SDK user writes them with Buffer', () => {
    const type = StateFun.customType<string>(
      'com.example/Upper',
      (s) => Buffer.from(s.toUpperCase()),
      (buf) => buf.toString('utf8').toLowerCase(),
    );
    expect(type.typename).toBe('com.example/Upper');
    expect(Buffer.from(type.serialize('abc')).toString()).toBe('ABC');
    expect(type.deserialize(bytes(0x41, 0x42))).toBe('ab');
  });

  it('hands the deserializer a Buffer even when given a plain Uint8Array', () => {
    let seen: unknown;
    const type = StateFun.customType<number>(
      'a/b',
      () => bytes(),
      (buf) => {
        seen = buf;
        return buf.length;
      },
    );
    expect(type.deserialize(bytes(1, 2, 3))).toBe(3);
    expect(Buffer.isBuffer(seen)).toBe(true);
  });

  it('refuses a malformed typename and arguments that are not functions', () => {
    expectError(
      () =>
        StateFun.customType(
          'nope',
          () => bytes(),
          () => 1,
        ),
      InvalidArgumentError,
      "StateFun.customType: typename 'nope' must be of the form <namespace>/<name>",
    );
    expectError(
      () => StateFun.customType('a/b', 'x' as never, () => 1),
      InvalidArgumentError,
      "StateFun.customType: serialize must be a function, got a string ('x')",
    );
    expectError(
      () => StateFun.customType('a/b', () => bytes(), undefined as never),
      InvalidArgumentError,
      'StateFun.customType: deserialize must be a function, got undefined',
    );
  });
});

describe('a Type subclass written for the SDK', () => {
  /** As SDK users write one: Buffer in the signatures, super(typename) in the constructor. */
  class Celsius extends Type<number> {
    constructor() {
      super('com.example/Celsius');
    }
    serialize(value: number): Buffer {
      return Buffer.from(String(value));
    }
    deserialize(bytes: Buffer): number {
      return Number(bytes.toString());
    }
  }

  it('compiles and works in a message, receiving a Buffer when read', () => {
    const msg = messageBuilder({ typename: 'a/b', id: 'c', value: 21.5, valueType: new Celsius() });
    expect(msg.valueTypeName).toBe('com.example/Celsius');
    expect(msg.as(new Celsius())).toBe(21.5);
  });

  it('has its typename checked by the base class', () => {
    class Bad extends Type<number> {
      constructor() {
        super('celsius');
      }
      serialize(): Uint8Array {
        return new Uint8Array(0);
      }
      deserialize(): number {
        return 0;
      }
    }
    expectError(
      () => new Bad(),
      InvalidArgumentError,
      "Type: typename 'celsius' must be of the form <namespace>/<name>",
    );
  });
});

describe('StateFun.protoType', () => {
  /** Stands in for a protoc-generated class: serializeBinary on instances, deserializeBinary on the class. */
  class Point {
    constructor(readonly x: number) {}
    serializeBinary(): Uint8Array {
      return bytes(this.x);
    }
    static deserializeBinary(b: Uint8Array): Point {
      return new Point(b[0] ?? 0);
    }
  }

  it('uses serializeBinary and deserializeBinary of the generated class', () => {
    const type = StateFun.protoType<Point>('com.example/Point', Point);
    expect(type.serialize(new Point(7))).toEqual(bytes(7));
    expect(type.deserialize(bytes(9))).toEqual(new Point(9));
  });

  it('refuses a class without deserializeBinary and a value without serializeBinary', () => {
    expectError(
      () => StateFun.protoType('a/b', {}),
      InvalidArgumentError,
      'StateFun.protoType: the generated class must have a static deserializeBinary method, got an object',
    );
    const type = StateFun.protoType<Point>('a/b', Point);
    expectError(
      () => type.serialize({ x: 1 } as never),
      InvalidArgumentError,
      "StateFun.protoType('a/b').serialize: value must be a generated protobuf message (with serializeBinary), got an object",
    );
  });
});
