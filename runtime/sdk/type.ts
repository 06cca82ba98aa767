/**
 * Type: how values of one kind become bytes and back. Every type is named by a typename that is
 * the same in every StateFun SDK, so a value written by a Java or Python function can be read
 * here when both sides agree on the typename and the bytes.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import { validateTypeName } from './typename.js';

/**
 * The base class of every StateFun type. Built-in types come from `StateFun.intType()` and its
 * siblings; user types from `StateFun.jsonType`, `StateFun.customType`, or a subclass.
 *
 * @public
 */
export abstract class Type<T> {
  readonly #typename: string;

  /**
   * @param typename - `<namespace>/<name>`, unique across every language's SDK.
   * @param api - the public API creating the type, named in the error for a bad typename.
   * @throws InvalidArgumentError if `typename` is not of the form `<namespace>/<name>`.
   */
  protected constructor(typename: string, api = 'Type') {
    validateTypeName(typename, api);
    this.#typename = typename;
  }

  /** The `<namespace>/<name>` string that identifies this type in StateFun's type system. */
  get typename(): string {
    return this.#typename;
  }

  /**
   * Encodes a value. Callers copy the result if they keep it, so an implementation may return
   * a buffer it reuses.
   */
  abstract serialize(value: T): Uint8Array;

  /**
   * Decodes bytes made by `serialize`. The runtime passes a fresh Buffer (a Uint8Array), which
   * the implementation may keep or modify.
   */
  abstract deserialize(bytes: Uint8Array): T;
}

/**
 * Checks that `value` is a Type (for options such as `valueType` and `specs[i].type`).
 *
 * @throws InvalidArgumentError naming `api` and `what` otherwise.
 */
export function checkType(value: unknown, api: string, what: string): Type<unknown> {
  if (value instanceof Type) return value as Type<unknown>;
  throw new InvalidArgumentError(
    `${api}: ${what} must be a Type (such as StateFun.intType() or StateFun.jsonType(...)), got ${describeValue(value)}`,
  );
}
