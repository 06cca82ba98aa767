/**
 * Address: one function instance, named by its function type (namespace and name) and an id.
 * Messages are sent to addresses; all state is scoped to one.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import { parseTypeName } from './typename.js';

/**
 * The address of a function instance. Immutable (frozen); compare with `equals`.
 *
 * @public
 */
export class Address {
  /** The namespace of the function type: `com.example` in `com.example/greeter`. */
  readonly namespace: string;
  /** The name of the function type: `greeter` in `com.example/greeter`. Never contains '/'. */
  readonly name: string;
  /** The instance id, any non-empty string. */
  readonly id: string;
  /** The function type, `<namespace>/<name>`. */
  readonly typename: string;

  /**
   * Prefer `Address.fromTypeNameId` or `Address.fromParts`. `typename`, if given, must be
   * `<namespace>/<name>` (the SDK's constructor takes it; it is redundant).
   *
   * @throws InvalidArgumentError on an empty or non-string part or a mismatched typename.
   */
  constructor(namespace: string, name: string, id: string, typename?: string) {
    const trusted = trustedTypename;
    if (trusted !== undefined) {
      // From trustedAddress: the parts were checked before, and the typename is at hand.
      trustedTypename = undefined;
      this.namespace = namespace;
      this.name = name;
      this.id = id;
      this.typename = trusted;
      Object.freeze(this);
      return;
    }
    checkParts(namespace, name, id, 'new Address');
    const expected = `${namespace}/${name}`;
    if (typename !== undefined && typename !== expected) {
      throw new InvalidArgumentError(
        `new Address: typename must be '${expected}' for namespace '${namespace}' and name '${name}', got ${describeValue(typename)}`,
      );
    }
    this.namespace = namespace;
    this.name = name;
    this.id = id;
    this.typename = expected;
    Object.freeze(this);
  }

  /**
   * The address of instance `id` of the function type `<namespace>/<name>`.
   *
   * @throws InvalidArgumentError if a part is not a non-empty string or `name` contains '/'.
   */
  static fromParts(namespace: string, name: string, id: string): Address {
    checkParts(namespace, name, id, 'Address.fromParts');
    return new Address(namespace, name, id);
  }

  /**
   * The address of instance `id` of the function type `typename` (`<namespace>/<name>`).
   *
   * @throws InvalidArgumentError if `typename` is malformed or `id` is not a non-empty string.
   */
  static fromTypeNameId(typename: string, id: string): Address {
    return addressOf(typename, id, 'Address.fromTypeNameId');
  }

  /** True if `other` names the same function instance. */
  equals(other: Address): boolean {
    return this.typename === other.typename && this.id === other.id;
  }

  /**
   * `<namespace>/<name>:<id>`, e.g. `com.example/greeter:bob`, for logs and error messages.
   * Not `<typename>/<id>`, which would read as a typename with namespace `com.example/greeter`.
   * Ids may contain any character, so the string is not meant to be parsed back.
   */
  toString(): string {
    return `${this.typename}:${this.id}`;
  }
}

/**
 * @internal The address of `id` of function type `typename`, with errors naming `api` (the
 * builders use this so that their own name appears in the message).
 */
/**
 * @internal The address of `id` of `typename`, both validated before (a bound function's
 * typename, an id that passed messageBuilder or Runtime.send): no parsing.
 */
export function trustedAddress(typename: string, id: string): Address {
  let parts = typenameParts.get(typename);
  if (parts === undefined) {
    // The last '/', as parseTypeName splits: a namespace may contain '/', a name never does.
    const slash = typename.lastIndexOf('/');
    parts = [typename.slice(0, slash), typename.slice(slash + 1)];
    if (typenameParts.size < TYPENAME_PARTS_HELD) typenameParts.set(typename, parts);
  }
  trustedTypename = typename;
  return new Address(parts[0], parts[1], id);
}

/**
 * Set by trustedAddress for the one `new Address` it makes: that construction skips the
 * checks and the typename's concatenation. Rejected: building a trusted Address with
 * Object.create and defineProperty — slower than the constructor (measured for
 * `context.storage`, runtime/state/storage-prototype.ts).
 */
let trustedTypename: string | undefined;
/** Namespace and name of trusted typenames (bound functions'), split once each. */
const typenameParts = new Map<string, readonly [string, string]>();
const TYPENAME_PARTS_HELD = 4096;

export function addressOf(typename: unknown, id: unknown, api: string): Address {
  const { namespace, name } = parseTypeName(typename, api);
  checkId(id, api);
  return new Address(namespace, name, id);
}

function checkParts(namespace: unknown, name: unknown, id: unknown, api: string): asserts id is string {
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw new InvalidArgumentError(
      `${api}: namespace must be a non-empty string, got ${describeValue(namespace)}`,
    );
  }
  if (typeof name !== 'string' || name.length === 0 || name.includes('/')) {
    throw new InvalidArgumentError(
      `${api}: name must be a non-empty string without '/', got ${describeValue(name)}`,
    );
  }
  checkId(id, api);
}

function checkId(id: unknown, api: string): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidArgumentError(`${api}: id must be a non-empty string, got ${describeValue(id)}`);
  }
}
