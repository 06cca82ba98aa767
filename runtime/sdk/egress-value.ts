/**
 * The value bytes of a Kafka or Kinesis egress record when the caller gives no valueType, as
 * the SDK infers them: a string as its UTF-8 bytes, an integer as 4 big-endian bytes (int32),
 * a Uint8Array (or Buffer) as is. With a valueType, the type's serializer makes the bytes.
 */
import { utf8 } from '../util/codec.js';
import { isAbsent } from './builder-checks.js';
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import { checkType } from './type.js';
import { toTypedValue } from './typed-value.js';

/**
 * The bytes of `value` for an egress record.
 *
 * @throws InvalidArgumentError naming `api` if `valueType` is not a Type, or if it is absent and
 *   `value` is not a string, an int32 integer or a Uint8Array.
 */
export function egressValueBytes(value: unknown, valueType: unknown, api: string): Uint8Array {
  if (!isAbsent(valueType)) return toTypedValue(value, checkType(valueType, api, 'valueType'), api).bytes;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number' && Number.isInteger(value) && (value | 0) === value) {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setInt32(0, value, false);
    return out;
  }
  // new Uint8Array copies; Buffer's slice() would return a view of the caller's memory.
  if (value instanceof Uint8Array) return new Uint8Array(value);
  throw new InvalidArgumentError(
    `${api}: cannot infer the bytes of ${describeValue(value)} (only strings, int32 integers and Uint8Arrays are inferred); pass valueType`,
  );
}
