/**
 * kinesisEgressMessage: a message to a Kinesis egress, whose value is the SDK's
 * io.statefun.sdk.egress.KinesisEgressRecord (layout in protobuf-wire.ts) under the typename
 * the SDK gives it, so a StateFun Kinesis egress reads it unchanged.
 */
import { checkNonEmptyString, checkOptions, checkValue, optionalString } from './builder-checks.js';
import { EgressMessage } from './egress-message.js';
import { egressValueBytes } from './egress-value.js';
import { decodeUtf8, lastField, ProtoWriter, readFields, WIRE_LEN } from './protobuf-wire.js';
import type { Type } from './type.js';
import { validateTypeName } from './typename.js';

/** The typename of a Kinesis record value, as the SDK writes it. */
export const KINESIS_EGRESS_RECORD_TYPENAME =
  'type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord';

const PARTITION_KEY_FIELD = 1;
const VALUE_BYTES_FIELD = 2;
const STREAM_FIELD = 3;
const EXPLICIT_HASH_KEY_FIELD = 4;

/** Options of `kinesisEgressMessage`. */
export interface KinesisEgressOpts {
  /** The Kinesis egress, `<namespace>/<name>`. */
  typename: string;
  /** The stream to produce to. */
  stream: string;
  /** The partition key of the record. */
  partitionKey: string;
  /** An explicit hash key; absent (or '') to let Kinesis hash the partition key. */
  hashKey?: string | undefined;
  /** The record value; a string, int32 integer or Uint8Array unless valueType is given. */
  value: unknown;
  /** Serializes the value; without it the bytes are inferred (egress-value.ts). */
  valueType?: Type<unknown> | undefined;
}

/** A decoded KinesisEgressRecord. */
export interface KinesisEgressRecord {
  readonly stream: string;
  readonly partitionKey: string;
  /** Undefined when the record has no explicit hash key. */
  readonly explicitHashKey: string | undefined;
  readonly valueBytes: Uint8Array;
}

/**
 * A message to the Kinesis egress `typename` that puts one record to `stream`.
 *
 * @throws InvalidArgumentError naming `kinesisEgressMessage` on a malformed typename, an empty
 *   stream or partition key, a non-string hash key, a missing value or a value whose bytes
 *   cannot be inferred.
 * @public
 */
export function kinesisEgressMessage(opts: KinesisEgressOpts): EgressMessage {
  const api = 'kinesisEgressMessage';
  checkOptions(opts, api, '{ typename, stream, partitionKey, hashKey?, value, valueType? }');
  const { typename, stream, partitionKey, hashKey, value, valueType } = opts;
  validateTypeName(typename, api);
  checkNonEmptyString(stream, api, 'stream');
  checkNonEmptyString(partitionKey, api, 'partitionKey');
  const presentHashKey = optionalString(hashKey, api, 'hashKey');
  checkValue(value, api);
  const record = new ProtoWriter()
    .string(PARTITION_KEY_FIELD, partitionKey)
    .bytes(VALUE_BYTES_FIELD, egressValueBytes(value, valueType, api))
    .string(STREAM_FIELD, stream)
    .string(EXPLICIT_HASH_KEY_FIELD, presentHashKey ?? '')
    .finish();
  return new EgressMessage(typename, { typename: KINESIS_EGRESS_RECORD_TYPENAME, bytes: record });
}

/**
 * Reads the record `kinesisEgressMessage` wrote (for the runtime's Kinesis egress and for tests).
 *
 * @throws InvalidArgumentError if the bytes are not a well-formed KinesisEgressRecord.
 */
export function decodeKinesisEgressRecord(bytes: Uint8Array): KinesisEgressRecord {
  const what = 'decodeKinesisEgressRecord: KinesisEgressRecord';
  const fields = readFields(bytes, what);
  const text = (field: number): string | undefined => {
    const f = lastField(fields, field, WIRE_LEN, what);
    return f === undefined ? undefined : decodeUtf8(f.payload, what);
  };
  const valueBytes = lastField(fields, VALUE_BYTES_FIELD, WIRE_LEN, what);
  return {
    stream: text(STREAM_FIELD) ?? '',
    partitionKey: text(PARTITION_KEY_FIELD) ?? '',
    explicitHashKey: text(EXPLICIT_HASH_KEY_FIELD),
    valueBytes: valueBytes === undefined ? new Uint8Array(0) : new Uint8Array(valueBytes.payload),
  };
}
