/**
 * Message: a value sent to a function instance, as the function receives it and as
 * `messageBuilder` makes it. Immutable: the fields are private and the bytes are copied in
 * and out.
 */
import { Address } from './address.js';
import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from '../errors.js';
import type { TypedValue } from './typed-value.js';
import { TypedValueCarrier } from './typed-value-carrier.js';

/**
 * A message to (or received by) a function instance.
 *
 * @public
 */
export class Message extends TypedValueCarrier {
  readonly #targetAddress: Address;

  /**
   * Functions build messages with `messageBuilder`; the runtime uses this constructor.
   *
   * @throws InvalidArgumentError if `targetAddress` is not an Address or `typedValue` is malformed.
   */
  constructor(targetAddress: Address, typedValue: TypedValue) {
    super(typedValue, 'Message');
    if (!(targetAddress instanceof Address)) {
      throw new InvalidArgumentError(
        `Message: targetAddress must be an Address, got ${describeValue(targetAddress)}`,
      );
    }
    this.#targetAddress = targetAddress;
  }

  /** The function instance this message is addressed to. */
  get targetAddress(): Address {
    return this.#targetAddress;
  }
}
