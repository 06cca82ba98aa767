/**
 * The primitive types every StateFun SDK shares: int, float, bool and string, each the SDK's
 * protobuf wrapper message under the SDK's typename. Byte layouts: protobuf-wire.ts.
 *
 * The SDK has no long or double type (a JS number cannot hold every int64, and the SDK left
 * them out), so neither does statefn.
 *
 * Values of the wrong JS type are refused when serialized rather than coerced: the SDK's
 * protobuf library would truncate 1.5 to 1 or write 'x' as 0, and the reader would never know.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import {
  decodeUtf8,
  lastField,
  ProtoWriter,
  readFields,
  WIRE_FIXED32,
  WIRE_LEN,
  WIRE_VARINT,
} from './protobuf-wire.js';
import { Type } from './type.js';

export const BOOLEAN_TYPENAME = 'io.statefun.types/bool';
export const INT_TYPENAME = 'io.statefun.types/int';
export const FLOAT_TYPENAME = 'io.statefun.types/float';
export const STRING_TYPENAME = 'io.statefun.types/string';

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const VALUE_FIELD = 1;

/** A lone UTF-16 surrogate (with the u flag, a paired surrogate is one code point and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** io.statefun.types/int: an int32 in an IntWrapper (sfixed32, field 1). */
class IntType extends Type<number> {
  constructor() {
    super(INT_TYPENAME);
  }

  serialize(value: number): Uint8Array {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw new InvalidArgumentError(
        `StateFun.intType().serialize: value must be an integer in the int32 range [${INT32_MIN}, ${INT32_MAX}], got ${describeValue(value)}`,
      );
    }
    if (value === 0) return new Uint8Array(0);
    // Tag 0x0d (field 1, fixed32) and four little-endian bytes: ProtoWriter.sfixed32's
    // bytes, written directly because every counter-like function does this.
    const out = new Uint8Array(5);
    out[0] = 0x0d;
    out[1] = value & 0xff;
    out[2] = (value >>> 8) & 0xff;
    out[3] = (value >>> 16) & 0xff;
    out[4] = (value >>> 24) & 0xff;
    return out;
  }

  deserialize(bytes: Uint8Array): number {
    // The one-field form every encoder writes; anything else takes the general parser.
    if (bytes.length === 5 && bytes[0] === 0x0d) {
      return bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16) | (bytes[4]! << 24);
    }
    const what = 'StateFun.intType().deserialize: IntWrapper';
    const f = lastField(readFields(bytes, what), VALUE_FIELD, WIRE_FIXED32, what);
    if (f === undefined) return 0;
    return new DataView(f.payload.buffer, f.payload.byteOffset, 4).getInt32(0, true);
  }
}

/**
 * io.statefun.types/float: a binary32 float in a FloatWrapper (field 1). A JS number is
 * rounded to the nearest binary32 (Math.fround); NaN and the infinities are kept, as the SDK does.
 */
class FloatType extends Type<number> {
  constructor() {
    super(FLOAT_TYPENAME);
  }

  serialize(value: number): Uint8Array {
    if (typeof value !== 'number') {
      throw new InvalidArgumentError(
        `StateFun.floatType().serialize: value must be a number, got ${describeValue(value)}`,
      );
    }
    return new ProtoWriter().float(VALUE_FIELD, value).finish();
  }

  deserialize(bytes: Uint8Array): number {
    const what = 'StateFun.floatType().deserialize: FloatWrapper';
    const f = lastField(readFields(bytes, what), VALUE_FIELD, WIRE_FIXED32, what);
    if (f === undefined) return 0;
    return new DataView(f.payload.buffer, f.payload.byteOffset, 4).getFloat32(0, true);
  }
}

/** io.statefun.types/bool: a BooleanWrapper (bool, field 1). */
class BooleanType extends Type<boolean> {
  constructor() {
    super(BOOLEAN_TYPENAME);
  }

  serialize(value: boolean): Uint8Array {
    if (typeof value !== 'boolean') {
      throw new InvalidArgumentError(
        `StateFun.booleanType().serialize: value must be a boolean, got ${describeValue(value)}`,
      );
    }
    return new ProtoWriter().bool(VALUE_FIELD, value).finish();
  }

  deserialize(bytes: Uint8Array): boolean {
    const what = 'StateFun.booleanType().deserialize: BooleanWrapper';
    const f = lastField(readFields(bytes, what), VALUE_FIELD, WIRE_VARINT, what);
    return f !== undefined && f.varint !== 0;
  }
}

/**
 * io.statefun.types/string: UTF-8 in a StringWrapper (string, field 1). A string with a lone
 * surrogate has no UTF-8 form (the encoder would write U+FFFD instead), so it is refused.
 */
class StringType extends Type<string> {
  constructor() {
    super(STRING_TYPENAME);
  }

  serialize(value: string): Uint8Array {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(
        `StateFun.stringType().serialize: value must be a string, got ${describeValue(value)}`,
      );
    }
    if (LONE_SURROGATE.test(value)) {
      throw new InvalidArgumentError(
        'StateFun.stringType().serialize: value has a lone UTF-16 surrogate, which UTF-8 cannot represent',
      );
    }
    return new ProtoWriter().string(VALUE_FIELD, value).finish();
  }

  deserialize(bytes: Uint8Array): string {
    const what = 'StateFun.stringType().deserialize: StringWrapper';
    const f = lastField(readFields(bytes, what), VALUE_FIELD, WIRE_LEN, what);
    return f === undefined ? '' : decodeUtf8(f.payload, what);
  }
}

/** The io.statefun.types/int type: int32 values. */
export const INT_TYPE: Type<number> = new IntType();
/** The io.statefun.types/float type: binary32 values. */
export const FLOAT_TYPE: Type<number> = new FloatType();
/** The io.statefun.types/bool type. */
export const BOOLEAN_TYPE: Type<boolean> = new BooleanType();
/** The io.statefun.types/string type. */
export const STRING_TYPE: Type<string> = new StringType();
