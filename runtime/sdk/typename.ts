/**
 * Typenames: `<namespace>/<name>` strings that name function types, egresses and value types
 * across every StateFun SDK. The split is on the LAST '/', so a namespace may contain '/'
 * (`a/b/c` is namespace `a/b`, name `c`) and a name never does. Both parts must be non-empty.
 */
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';

/** The two parts of a typename. */
export interface TypeName {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Splits `typename` into namespace and name.
 *
 * @param api - the public API being called, named in the error message.
 * @throws InvalidArgumentError if `typename` is not a string of the form `<namespace>/<name>`.
 */
export function parseTypeName(typename: unknown, api: string): TypeName {
  if (typeof typename !== 'string') {
    throw new InvalidArgumentError(
      `${api}: typename must be a string of the form <namespace>/<name>, got ${describeValue(typename)}`,
    );
  }
  const slash = splitAt(typename);
  if (slash < 0) {
    throw new InvalidArgumentError(`${api}: typename '${typename}' must be of the form <namespace>/<name>`);
  }
  return { namespace: typename.slice(0, slash), name: typename.slice(slash + 1) };
}

/**
 * Checks that `typename` is a string of the form `<namespace>/<name>`.
 *
 * @throws InvalidArgumentError naming `api` otherwise.
 */
export function validateTypeName(typename: unknown, api: string): asserts typename is string {
  // Runs for every message and egress record made, mostly with the same few typenames: the
  // last good one is remembered, and otherwise the split is checked without parseTypeName's
  // slices.
  if (typename === lastValid) return;
  if (typeof typename === 'string' && splitAt(typename) >= 0) {
    lastValid = typename;
    return;
  }
  parseTypeName(typename, api);
}

/** The typename validateTypeName accepted last (none yet: a value no typename equals). */
let lastValid: unknown = Symbol('none');

const SLASH = 0x2f;

/**
 * Where `typename` splits (its last '/'), or -1 when either part would be empty. Scans by
 * hand: V8 leaves lastIndexOf to a slow generic path, and this runs for every message.
 */
function splitAt(typename: string): number {
  let slash = typename.length - 1;
  while (slash >= 0 && typename.charCodeAt(slash) !== SLASH) slash--;
  return slash > 0 && slash < typename.length - 1 ? slash : -1;
}
