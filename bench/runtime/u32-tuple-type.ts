/**
 * A StateFun custom type for short tuples of unsigned 32-bit integers (little-endian, 4 bytes
 * each): the benchmark's messages and egress records carry sequence numbers and counts, and
 * this keeps their encoding cheap and their size fixed.
 */
import { StateFun } from '../../runtime/index.js';
import type { Type } from '../../runtime/index.js';

/** Tuples of uint32, e.g. `[sequence, count]`. */
export type U32Tuple = readonly number[];

function encode(values: U32Tuple): Uint8Array {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeUInt32LE(values[i]!, i * 4);
  return bytes;
}

function decode(bytes: Buffer): U32Tuple {
  const values = new Array<number>(bytes.length >>> 2);
  for (let i = 0; i < values.length; i++) values[i] = bytes.readUInt32LE(i * 4);
  return values;
}

/** The tuple type, under the typename `bench/u32-tuple`. */
export const U32_TUPLE_TYPE: Type<U32Tuple> = StateFun.customType<U32Tuple>(
  'bench/u32-tuple',
  encode,
  decode,
);
