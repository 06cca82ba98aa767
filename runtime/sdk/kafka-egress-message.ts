/**
 * kafkaEgressMessage: a message to a Kafka egress, whose value is the SDK's
 * io.statefun.sdk.egress.KafkaProducerRecord (layout in protobuf-wire.ts) under the typename
 * the SDK gives it, so a StateFun Kafka egress reads it unchanged.
 */
import { checkNonEmptyString, checkOptions, checkValue, optionalString } from './builder-checks.js';
import { EgressMessage } from './egress-message.js';
import { egressValueBytes } from './egress-value.js';
import { decodeUtf8, lastField, ProtoWriter, readFields, WIRE_LEN } from './protobuf-wire.js';
import type { Type } from './type.js';
import { validateTypeName } from './typename.js';

/** The typename of a Kafka producer record value, as the SDK writes it. */
export const KAFKA_PRODUCER_RECORD_TYPENAME =
  'type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord';

const KEY_FIELD = 1;
const VALUE_BYTES_FIELD = 2;
const TOPIC_FIELD = 3;

/** Options of `kafkaEgressMessage`. */
export interface KafkaEgressOpts {
  /** The Kafka egress, `<namespace>/<name>`. */
  typename: string;
  /** The topic to produce to. */
  topic: string;
  /** The record key; absent (or '') for a record without a key. */
  key?: string | undefined;
  /** The record value; a string, int32 integer or Uint8Array unless valueType is given. */
  value: unknown;
  /** Serializes the value; without it the bytes are inferred (egress-value.ts). */
  valueType?: Type<unknown> | undefined;
}

/** A decoded KafkaProducerRecord. */
export interface KafkaProducerRecord {
  readonly topic: string;
  /** Undefined when the record has no key (protobuf cannot tell an absent key from ''). */
  readonly key: string | undefined;
  readonly valueBytes: Uint8Array;
}

/**
 * A message to the Kafka egress `typename` that produces one record to `topic`.
 *
 * @throws InvalidArgumentError naming `kafkaEgressMessage` on a malformed typename, an empty
 *   topic, a non-string key, a missing value or a value whose bytes cannot be inferred.
 * @public
 */
export function kafkaEgressMessage(opts: KafkaEgressOpts): EgressMessage {
  const api = 'kafkaEgressMessage';
  checkOptions(opts, api, '{ typename, topic, key?, value, valueType? }');
  const { typename, topic, key, value, valueType } = opts;
  validateTypeName(typename, api);
  checkNonEmptyString(topic, api, 'topic');
  const presentKey = optionalString(key, api, 'key');
  checkValue(value, api);
  const record = new ProtoWriter()
    .string(KEY_FIELD, presentKey ?? '')
    .bytes(VALUE_BYTES_FIELD, egressValueBytes(value, valueType, api))
    .string(TOPIC_FIELD, topic)
    .finish();
  return new EgressMessage(typename, { typename: KAFKA_PRODUCER_RECORD_TYPENAME, bytes: record });
}

/**
 * Reads the record `kafkaEgressMessage` wrote (for the runtime's Kafka egress and for tests).
 *
 * @throws InvalidArgumentError if the bytes are not a well-formed KafkaProducerRecord.
 */
export function decodeKafkaProducerRecord(bytes: Uint8Array): KafkaProducerRecord {
  const what = 'decodeKafkaProducerRecord: KafkaProducerRecord';
  const fields = readFields(bytes, what);
  const key = lastField(fields, KEY_FIELD, WIRE_LEN, what);
  const valueBytes = lastField(fields, VALUE_BYTES_FIELD, WIRE_LEN, what);
  const topic = lastField(fields, TOPIC_FIELD, WIRE_LEN, what);
  return {
    topic: topic === undefined ? '' : decodeUtf8(topic.payload, what),
    key: key === undefined ? undefined : decodeUtf8(key.payload, what),
    valueBytes: valueBytes === undefined ? new Uint8Array(0) : new Uint8Array(valueBytes.payload),
  };
}
