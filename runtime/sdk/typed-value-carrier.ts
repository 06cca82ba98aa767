/**
 * TypedValueCarrier: the value accessors Message and EgressMessage share (`is`, `as`,
 * `asString`, ...). The carrier owns a private copy of the value's bytes and hands out copies,
 * so no one holding a message (or a deserialized Buffer) can change what another reader sees.
 */
import { BOOLEAN_TYPE, FLOAT_TYPE, INT_TYPE, STRING_TYPE } from './builtin-types.js';
import { describeValue } from './describe-value.js';
import { JsonType } from './json-type.js';
import { InvalidArgumentError, TypeMismatchError } from '../errors.js';
import { checkType, type Type } from './type.js';
import type { TypedValue } from './typed-value.js';
import { validateTypeName } from './typename.js';

/** Set while `trusted` builds a carrier from bytes the runtime owns. */
let trusting = false;
let bytesOf: (carrier: TypedValueCarrier) => Uint8Array;

/**
 * @internal Builds a carrier (with `make`, which calls a constructor) from a typename and
 * bytes the runtime has already validated and never changes: no checks, no copy. For the
 * message a function receives; the function still gets copies from every accessor.
 */
export function trusted<T extends TypedValueCarrier>(make: () => T): T {
  trusting = true;
  try {
    return make();
  } finally {
    trusting = false;
  }
}

/**
 * @internal The carried bytes themselves, not a copy, for the runtime to store or send
 * (which never changes them). Everyone else gets copies.
 */
export function carriedBytes(carrier: TypedValueCarrier): Uint8Array {
  return bytesOf(carrier);
}

/** Base class of Message and EgressMessage. */
export abstract class TypedValueCarrier {
  readonly #api: string;
  readonly #valueTypeName: string;
  readonly #bytes: Uint8Array;

  static {
    bytesOf = (carrier) => carrier.#bytes;
  }

  /**
   * @param api - the class name, prefixed to error messages (`Message.as: ...`).
   * @throws InvalidArgumentError if `typedValue` has a malformed typename or no bytes.
   */
  protected constructor(typedValue: TypedValue, api: string) {
    if (trusting) {
      this.#api = api;
      this.#valueTypeName = typedValue.typename;
      this.#bytes = typedValue.bytes;
      return;
    }
    if (typeof typedValue !== 'object' || typedValue === null) {
      throw new InvalidArgumentError(
        `${api}: typedValue must be an object { typename, bytes }, got ${describeValue(typedValue)}`,
      );
    }
    validateTypeName(typedValue.typename, api);
    if (!(typedValue.bytes instanceof Uint8Array)) {
      throw new InvalidArgumentError(
        `${api}: typedValue.bytes must be a Uint8Array, got ${describeValue(typedValue.bytes)}`,
      );
    }
    this.#api = api;
    this.#valueTypeName = typedValue.typename;
    // A copy: new Uint8Array copies, whereas slice() on a Buffer returns a view.
    this.#bytes = new Uint8Array(typedValue.bytes);
  }

  /** The typename of the carried value's Type. */
  get valueTypeName(): string {
    return this.#valueTypeName;
  }

  /** A copy of the carried value's bytes. */
  get rawValueBytes(): Buffer {
    return Buffer.from(this.#bytes);
  }

  /** The carried value: its typename and a copy of its bytes. */
  get typedValue(): TypedValue {
    return Object.freeze({ typename: this.#valueTypeName, bytes: new Uint8Array(this.#bytes) });
  }

  /** True if the carried value is of `type` (same typename). */
  is<T>(type: Type<T>): boolean {
    return checkType(type, `${this.#api}.is`, 'type').typename === this.#valueTypeName;
  }

  /**
   * The carried value, deserialized by `type`.
   *
   * @throws TypeMismatchError if the value is of another type.
   */
  as<T>(type: Type<T>): T {
    return this.#as(type, `${this.#api}.as`);
  }

  isString(): boolean {
    return this.#valueTypeName === STRING_TYPE.typename;
  }

  /** @throws TypeMismatchError unless the value is an io.statefun.types/string. */
  asString(): string {
    return this.#as(STRING_TYPE, `${this.#api}.asString`);
  }

  isBoolean(): boolean {
    return this.#valueTypeName === BOOLEAN_TYPE.typename;
  }

  /** @throws TypeMismatchError unless the value is an io.statefun.types/bool. */
  asBoolean(): boolean {
    return this.#as(BOOLEAN_TYPE, `${this.#api}.asBoolean`);
  }

  isFloat(): boolean {
    return this.#valueTypeName === FLOAT_TYPE.typename;
  }

  /** @throws TypeMismatchError unless the value is an io.statefun.types/float. */
  asFloat(): number {
    return this.#as(FLOAT_TYPE, `${this.#api}.asFloat`);
  }

  isInt(): boolean {
    return this.#valueTypeName === INT_TYPE.typename;
  }

  /** @throws TypeMismatchError unless the value is an io.statefun.types/int. */
  asInt(): number {
    return this.#as(INT_TYPE, `${this.#api}.asInt`);
  }

  #as<T>(type: Type<T>, api: string): T {
    const checked = checkType(type, api, 'type') as Type<T>;
    if (checked.typename !== this.#valueTypeName) {
      throw new TypeMismatchError(api, this.#valueTypeName, checked.typename);
    }
    // A fresh Buffer: the deserializer may keep or modify it, and SDK deserializers expect a
    // Buffer. Except for StateFun.jsonType's own, which only decodes its bytes (and runs for
    // most messages).
    if (checked.constructor === JsonType) return checked.deserialize(this.#bytes);
    return checked.deserialize(Buffer.from(this.#bytes));
  }
}
