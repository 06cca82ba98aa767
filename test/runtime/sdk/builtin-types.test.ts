/**
 * The built-in types: exact bytes pinned against the SDK's protobuf wrappers (computed by hand
 * from the wire format, see runtime/sdk/protobuf-wire.ts), decoding of other encoders' valid
 * output, and the errors for wrong values and corrupt bytes. Randomized properties live in
 * builtin-types.prop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  BOOLEAN_TYPE,
  BOOLEAN_TYPENAME,
  FLOAT_TYPE,
  FLOAT_TYPENAME,
  INT_TYPE,
  INT_TYPENAME,
  STRING_TYPE,
  STRING_TYPENAME,
} from '../../../runtime/sdk/builtin-types.js';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import type { Type } from '../../../runtime/sdk/type.js';
import { expectError } from './expect-error.js';
import { bytes, hex } from './wire-oracle.js';

/** Serializes with a type whose value type is bypassed, to reach the run-time checks. */
const serializeAny = <T>(type: Type<T>, value: unknown): Uint8Array => type.serialize(value as T);

describe('typenames', () => {
  it('are the SDK typenames, and StateFun returns the same instances', () => {
    expect(INT_TYPE.typename).toBe('io.statefun.types/int');
    expect(FLOAT_TYPE.typename).toBe('io.statefun.types/float');
    expect(BOOLEAN_TYPE.typename).toBe('io.statefun.types/bool');
    expect(STRING_TYPE.typename).toBe('io.statefun.types/string');
    expect([INT_TYPENAME, FLOAT_TYPENAME, BOOLEAN_TYPENAME, STRING_TYPENAME]).toEqual([
      INT_TYPE.typename,
      FLOAT_TYPE.typename,
      BOOLEAN_TYPE.typename,
      STRING_TYPE.typename,
    ]);
    expect(StateFun.intType()).toBe(INT_TYPE);
    expect(StateFun.floatType()).toBe(FLOAT_TYPE);
    expect(StateFun.booleanType()).toBe(BOOLEAN_TYPE);
    expect(StateFun.stringType()).toBe(STRING_TYPE);
  });
});

describe('intType', () => {
  it('writes an IntWrapper: tag 0x0d then the int32 as 4 little-endian bytes (sfixed32)', () => {
    expect(hex(INT_TYPE.serialize(1))).toBe('0d01000000');
    expect(hex(INT_TYPE.serialize(12345))).toBe('0d39300000');
    expect(hex(INT_TYPE.serialize(-1))).toBe('0dffffffff');
    expect(hex(INT_TYPE.serialize(2147483647))).toBe('0dffffff7f');
    expect(hex(INT_TYPE.serialize(-2147483648))).toBe('0d00000080');
  });

  it('writes 0 as no bytes at all, as proto3 omits default values', () => {
    expect(INT_TYPE.serialize(0)).toEqual(bytes());
    expect(INT_TYPE.serialize(-0)).toEqual(bytes());
    expect(INT_TYPE.deserialize(bytes())).toBe(0);
  });

  it('reads unknown fields around the value and keeps the last of repeated values', () => {
    // field 2 varint 5, field 1 = 7, field 3 length 1, field 1 = -2
    const b = bytes(0x10, 0x05, 0x0d, 7, 0, 0, 0, 0x1a, 0x01, 0xaa, 0x0d, 0xfe, 0xff, 0xff, 0xff);
    expect(INT_TYPE.deserialize(b)).toBe(-2);
  });

  it('refuses a non-integer, a value outside int32, and a value that is not a number', () => {
    const range =
      'StateFun.intType().serialize: value must be an integer in the int32 range [-2147483648, 2147483647], got';
    expectError(() => INT_TYPE.serialize(1.5), InvalidArgumentError, `${range} a number (1.5)`);
    expectError(() => INT_TYPE.serialize(2147483648), InvalidArgumentError, `${range} a number (2147483648)`);
    expectError(
      () => INT_TYPE.serialize(-2147483649),
      InvalidArgumentError,
      `${range} a number (-2147483649)`,
    );
    expectError(() => INT_TYPE.serialize(NaN), InvalidArgumentError, `${range} a number (NaN)`);
    expectError(() => INT_TYPE.serialize(Infinity), InvalidArgumentError, `${range} a number (Infinity)`);
    expectError(() => serializeAny(INT_TYPE, 'x'), InvalidArgumentError, `${range} a string ('x')`);
    expectError(() => serializeAny(INT_TYPE, 1n), InvalidArgumentError, `${range} a bigint (1n)`);
    expectError(() => serializeAny(INT_TYPE, null), InvalidArgumentError, `${range} null`);
  });

  it('refuses bytes whose field 1 has another wire type, or that end inside a field', () => {
    expectError(
      () => INT_TYPE.deserialize(bytes(0x08, 0x01)),
      InvalidArgumentError,
      'StateFun.intType().deserialize: IntWrapper: field 1 has wire type 0, expected 5',
    );
    expectError(
      () => INT_TYPE.deserialize(bytes(0x0d, 0x01, 0x00)),
      InvalidArgumentError,
      'StateFun.intType().deserialize: IntWrapper: malformed protobuf at byte 0: field 1 runs past the end',
    );
  });
});

describe('floatType', () => {
  it('writes a FloatWrapper: tag 0x0d then the binary32 float, little-endian', () => {
    expect(hex(FLOAT_TYPE.serialize(1.5))).toBe('0d0000c03f');
    expect(hex(FLOAT_TYPE.serialize(123))).toBe('0d0000f642');
    expect(hex(FLOAT_TYPE.serialize(-2))).toBe('0d000000c0');
    expect(hex(FLOAT_TYPE.serialize(Infinity))).toBe('0d0000807f');
    expect(hex(FLOAT_TYPE.serialize(NaN))).toBe('0d0000c07f');
  });

  it('rounds a number to the nearest binary32, as the SDK does', () => {
    expect(hex(FLOAT_TYPE.serialize(0.1))).toBe('0dcdcccc3d');
    expect(FLOAT_TYPE.deserialize(FLOAT_TYPE.serialize(0.1))).toBe(Math.fround(0.1));
    expect(FLOAT_TYPE.deserialize(FLOAT_TYPE.serialize(1e39))).toBe(Infinity);
  });

  it('writes +0 as no bytes and -0 as its bits, so both read back as written', () => {
    expect(FLOAT_TYPE.serialize(0)).toEqual(bytes());
    expect(hex(FLOAT_TYPE.serialize(-0))).toBe('0d00000080');
    expect(Object.is(FLOAT_TYPE.deserialize(FLOAT_TYPE.serialize(-0)), -0)).toBe(true);
    expect(Object.is(FLOAT_TYPE.deserialize(bytes()), 0)).toBe(true);
  });

  it('refuses a value that is not a number', () => {
    expectError(
      () => serializeAny(FLOAT_TYPE, '1.5'),
      InvalidArgumentError,
      "StateFun.floatType().serialize: value must be a number, got a string ('1.5')",
    );
  });
});

describe('booleanType', () => {
  it('writes true as 08 01 and false as no bytes', () => {
    expect(hex(BOOLEAN_TYPE.serialize(true))).toBe('0801');
    expect(BOOLEAN_TYPE.serialize(false)).toEqual(bytes());
    expect(BOOLEAN_TYPE.deserialize(bytes(0x08, 0x01))).toBe(true);
    expect(BOOLEAN_TYPE.deserialize(bytes())).toBe(false);
  });

  it('reads any non-zero varint as true, however long its encoding', () => {
    expect(BOOLEAN_TYPE.deserialize(bytes(0x08, 0x02))).toBe(true);
    expect(BOOLEAN_TYPE.deserialize(bytes(0x08, 0x80, 0x01))).toBe(true);
    expect(
      BOOLEAN_TYPE.deserialize(bytes(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)),
    ).toBe(true);
    expect(BOOLEAN_TYPE.deserialize(bytes(0x08, 0x80, 0x00))).toBe(false);
    expect(BOOLEAN_TYPE.deserialize(bytes(0x08, 0x00))).toBe(false);
  });

  it('refuses a varint longer than 10 bytes and a value that is not a boolean', () => {
    expectError(
      () => BOOLEAN_TYPE.deserialize(bytes(0x08, ...new Array<number>(10).fill(0x80), 0x01)),
      InvalidArgumentError,
      'StateFun.booleanType().deserialize: BooleanWrapper: malformed protobuf at byte 1: varint longer than 10 bytes',
    );
    expectError(
      () => serializeAny(BOOLEAN_TYPE, 1),
      InvalidArgumentError,
      'StateFun.booleanType().serialize: value must be a boolean, got a number (1)',
    );
  });
});

describe('stringType', () => {
  it('writes a StringWrapper: tag 0x0a, the UTF-8 length as a varint, the UTF-8 bytes', () => {
    expect(hex(STRING_TYPE.serialize('hi'))).toBe('0a026869');
    expect(hex(STRING_TYPE.serialize('é'))).toBe('0a02c3a9');
    expect(hex(STRING_TYPE.serialize('😀'))).toBe('0a04f09f9880');
    expect(hex(STRING_TYPE.serialize('a'.repeat(200)))).toBe(`0ac801${'61'.repeat(200)}`);
  });

  it('writes the empty string as no bytes', () => {
    expect(STRING_TYPE.serialize('')).toEqual(bytes());
    expect(STRING_TYPE.deserialize(bytes())).toBe('');
  });

  it('keeps a leading byte order mark, which a default TextDecoder would drop', () => {
    expect(STRING_TYPE.deserialize(STRING_TYPE.serialize('\uFEFFx'))).toBe('\uFEFFx');
  });

  it('refuses a lone surrogate, which has no UTF-8 form, and a value that is not a string', () => {
    expectError(
      () => STRING_TYPE.serialize('a\uD800'),
      InvalidArgumentError,
      'StateFun.stringType().serialize: value has a lone UTF-16 surrogate, which UTF-8 cannot represent',
    );
    expectError(
      () => serializeAny(STRING_TYPE, { a: 1 }),
      InvalidArgumentError,
      'StateFun.stringType().serialize: value must be a string, got an object',
    );
  });

  it('refuses bytes that are not UTF-8', () => {
    expectError(
      () => STRING_TYPE.deserialize(bytes(0x0a, 0x01, 0xff)),
      InvalidArgumentError,
      'StateFun.stringType().deserialize: StringWrapper: the bytes are not valid UTF-8',
    );
  });
});

describe('every built-in type', () => {
  it('refuses field number 0, groups and wire types 6 and 7 when reading', () => {
    const cases: [number[], string][] = [
      [[0x00, 0x01], 'malformed protobuf at byte 0: invalid field number 0'],
      [[0x0b], 'malformed protobuf at byte 0: unsupported wire type 3 in field 1'],
      [[0x0e], 'malformed protobuf at byte 0: unsupported wire type 6 in field 1'],
      [[0x0f], 'malformed protobuf at byte 0: unsupported wire type 7 in field 1'],
      [[0x10], 'malformed protobuf at byte 1: truncated varint'],
    ];
    for (const [input, problem] of cases) {
      expectError(
        () => STRING_TYPE.deserialize(Uint8Array.from(input)),
        InvalidArgumentError,
        `StateFun.stringType().deserialize: StringWrapper: ${problem}`,
      );
    }
  });

  it('skips unknown fixed64 fields', () => {
    const b = bytes(0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x08, 0x01);
    expect(BOOLEAN_TYPE.deserialize(b)).toBe(true);
  });
});
