/**
 * TypedValue: a value in bytes together with the typename of the Type that made them, the form
 * in which values travel in messages and sit in state.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import type { Type } from './type.js';

/** A serialized value and its type's typename. */
export interface TypedValue {
  readonly typename: string;
  readonly bytes: Uint8Array;
}

/**
 * Serializes `value` with `type`.
 *
 * @throws InvalidArgumentError naming `api` if the serializer returns something other than a
 *   Uint8Array; errors thrown by the serializer itself propagate unchanged.
 */
export function toTypedValue<T>(value: T, type: Type<T>, api: string): TypedValue {
  const bytes: unknown = type.serialize(value);
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `${api}: the serializer of ${type.typename} must return a Uint8Array (or Buffer), got ${describeValue(bytes)}`,
    );
  }
  return { typename: type.typename, bytes };
}
