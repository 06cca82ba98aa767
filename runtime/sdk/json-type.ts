/**
 * JsonType: values stored as the UTF-8 bytes of their JSON text, as the SDK's jsonType does.
 * JSON has no -0, undefined, NaN or Infinity: JSON.stringify writes -0 as 0 and NaN inside an
 * object or array as null, and a value with no JSON form at all (undefined, a function) is refused.
 */
import { utf8 } from '../util/codec.js';
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import { decodeUtf8 } from './protobuf-wire.js';
import { Type } from './type.js';

/** Made by `StateFun.jsonType(typename)`. */
export class JsonType<T> extends Type<T> {
  constructor(typename: string) {
    super(typename, 'StateFun.jsonType');
  }

  serialize(value: T): Uint8Array {
    const api = `StateFun.jsonType('${this.typename}').serialize`;
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (cause) {
      // A BigInt, a cycle, or a toJSON that throws.
      throw new InvalidArgumentError(`${api}: value cannot be written as JSON: ${String(cause)}`, { cause });
    }
    if (text === undefined) {
      throw new InvalidArgumentError(`${api}: value has no JSON form, got ${describeValue(value)}`);
    }
    return utf8(text);
  }

  deserialize(bytes: Uint8Array): T {
    const api = `StateFun.jsonType('${this.typename}').deserialize`;
    const text = decodeUtf8(bytes, api);
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new InvalidArgumentError(`${api}: the bytes are not JSON: ${String(cause)}`, { cause });
    }
  }
}
