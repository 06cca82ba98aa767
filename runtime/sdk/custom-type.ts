/**
 * CustomType: a type whose bytes are made and read by two user functions, as the SDK's
 * customType. SDK deserializers are written against Node's Buffer (`buf.toString()`), so the
 * deserializer always receives a Buffer, which is also a Uint8Array.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import { Type } from './type.js';

/** Made by `StateFun.customType(typename, serialize, deserialize)`. */
export class CustomType<T> extends Type<T> {
  readonly #serialize: (value: T) => Uint8Array;
  readonly #deserialize: (bytes: Buffer) => T;

  constructor(typename: string, serialize: (value: T) => Uint8Array, deserialize: (bytes: Buffer) => T) {
    super(typename, 'StateFun.customType');
    if (typeof serialize !== 'function') {
      throw new InvalidArgumentError(
        `StateFun.customType: serialize must be a function, got ${describeValue(serialize)}`,
      );
    }
    if (typeof deserialize !== 'function') {
      throw new InvalidArgumentError(
        `StateFun.customType: deserialize must be a function, got ${describeValue(deserialize)}`,
      );
    }
    this.#serialize = serialize;
    this.#deserialize = deserialize;
  }

  serialize(value: T): Uint8Array {
    return this.#serialize(value);
  }

  deserialize(bytes: Uint8Array): T {
    // A view, not a copy: the caller already handed over bytes the deserializer may keep.
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    return this.#deserialize(buffer);
  }
}
