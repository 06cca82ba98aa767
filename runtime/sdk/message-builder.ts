/**
 * messageBuilder and egressMessageBuilder: how a function makes the messages it sends, with
 * every option checked here so that a bad message fails in the function that built it, not
 * later in the runtime.
 *
 * As in the SDK, messageBuilder infers the value's type only for strings
 * (io.statefun.types/string) and integers (io.statefun.types/int); anything else needs an
 * explicit valueType, and egressMessageBuilder always needs one. The SDK infers int for any
 * safe integer; here one outside the int32 range is refused with the inference error, since
 * io.statefun.types/int cannot hold it.
 */
import { addressOf } from './address.js';
import { checkOptions, checkValue, isAbsent } from './builder-checks.js';
import { INT_TYPE, STRING_TYPE } from './builtin-types.js';
import { describeValue } from './describe-value.js';
import { EgressMessage } from './egress-message.js';
import { InvalidArgumentError } from '../errors.js';
import { Message } from './message.js';
import { checkType, type Type } from './type.js';
import { toTypedValue } from './typed-value.js';
import { validateTypeName } from './typename.js';

/** Options of `messageBuilder`. */
export interface MessageOpts {
  /** The target function type, `<namespace>/<name>`. */
  typename: string;
  /** The target instance id, a non-empty string. */
  id: string;
  /** The value to send; not undefined or null. */
  value: unknown;
  /** The value's type; inferred for strings and int32 integers when omitted. */
  valueType?: Type<unknown> | undefined;
}

/** Options of `egressMessageBuilder`. */
export interface EgressOpts {
  /** The egress, `<namespace>/<name>`. */
  typename: string;
  /** The value to send; not undefined or null. */
  value: unknown;
  /** The value's type. Required: nothing is inferred for egress messages. */
  valueType?: Type<unknown> | undefined;
}

/**
 * A message to instance `id` of function type `typename`.
 *
 * @throws InvalidArgumentError naming `messageBuilder` on a malformed typename, an empty or
 *   non-string id, a missing value, a valueType that is not a Type, or a value whose type
 *   cannot be inferred.
 * @public
 */
export function messageBuilder(opts: MessageOpts): Message {
  const api = 'messageBuilder';
  checkOptions(opts, api, '{ typename, id, value, valueType? }');
  const { typename, id, value, valueType } = opts;
  const target = addressOf(typename, id, api);
  checkValue(value, api);
  const type = isAbsent(valueType) ? inferType(value, api) : checkType(valueType, api, 'valueType');
  return new Message(target, toTypedValue(value, type, api));
}

/**
 * A message to the egress `typename`.
 *
 * @throws InvalidArgumentError naming `egressMessageBuilder` on a malformed typename, a missing
 *   value or a missing or invalid valueType.
 * @public
 */
export function egressMessageBuilder(opts: EgressOpts): EgressMessage {
  const api = 'egressMessageBuilder';
  checkOptions(opts, api, '{ typename, value, valueType }');
  const { typename, value, valueType } = opts;
  validateTypeName(typename, api);
  checkValue(value, api);
  if (isAbsent(valueType)) {
    throw new InvalidArgumentError(
      `${api}: valueType is required (egress values have no inferred type), e.g. StateFun.stringType()`,
    );
  }
  const type = checkType(valueType, api, 'valueType');
  return new EgressMessage(typename, toTypedValue(value, type, api));
}

function inferType(value: unknown, api: string): Type<unknown> {
  if (typeof value === 'string') return STRING_TYPE;
  if (typeof value === 'number' && Number.isInteger(value) && (value | 0) === value) {
    return INT_TYPE;
  }
  throw new InvalidArgumentError(
    `${api}: cannot infer the type of ${describeValue(value)} (only strings and int32 integers are inferred); ` +
      'pass valueType, e.g. StateFun.floatType(), StateFun.booleanType() or StateFun.jsonType(typename)',
  );
}
