/**
 * EgressMessage: a value sent out of the application to an egress (Kafka, Kinesis, ...), as
 * `egressMessageBuilder`, `kafkaEgressMessage` and `kinesisEgressMessage` make it. Immutable,
 * like Message.
 */
import type { TypedValue } from './typed-value.js';
import { TypedValueCarrier } from './typed-value-carrier.js';
import { validateTypeName } from './typename.js';

/**
 * A message to an egress.
 *
 * @public
 */
export class EgressMessage extends TypedValueCarrier {
  readonly #typename: string;

  /**
   * Functions build egress messages with the builders; the runtime uses this constructor.
   *
   * @param typename - the egress, `<namespace>/<name>`.
   * @throws InvalidArgumentError if `typename` or `typedValue` is malformed.
   */
  constructor(typename: string, typedValue: TypedValue) {
    super(typedValue, 'EgressMessage');
    validateTypeName(typename, 'EgressMessage');
    this.#typename = typename;
  }

  /** The egress this message goes to, `<namespace>/<name>`. */
  get typename(): string {
    return this.#typename;
  }
}
