/**
 * kinesisEgressMessage: the KinesisEgressRecord bytes pinned against the SDK's generated encoder
 * (partition_key 1, value_bytes 2, stream 3, explicit_hash_key 4) and the option checks.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import {
  decodeKinesisEgressRecord,
  KINESIS_EGRESS_RECORD_TYPENAME,
  kinesisEgressMessage,
} from '../../../runtime/sdk/kinesis-egress-message.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { expectError } from './expect-error.js';
import { hex } from './wire-oracle.js';

describe('kinesisEgressMessage', () => {
  it('writes a KinesisEgressRecord under the SDK typename', () => {
    const msg = kinesisEgressMessage({
      typename: 'foo/bar',
      stream: 'greets',
      partitionKey: 'foo',
      value: 'v',
    });
    expect(msg.typename).toBe('foo/bar');
    expect(msg.valueTypeName).toBe('type.googleapis.com/io.statefun.sdk.egress.KinesisEgressRecord');
    expect(KINESIS_EGRESS_RECORD_TYPENAME).toBe(msg.valueTypeName);
    expect(hex(msg.rawValueBytes)).toBe('0a03666f6f' + '120176' + '1a06677265657473');
  });

  it('writes an explicit hash key last as field 4', () => {
    const msg = kinesisEgressMessage({
      typename: 'a/b',
      stream: 's',
      partitionKey: 'p',
      hashKey: 'h',
      value: 'v',
    });
    expect(hex(msg.rawValueBytes)).toBe('0a0170' + '120176' + '1a0173' + '220168');
  });

  it('serializes the value with valueType, as the SDK test does with a JSON type', () => {
    const msg = kinesisEgressMessage({
      typename: 'foo/bar',
      stream: 'greets',
      partitionKey: 'foo',
      value: JSON.stringify({ a: 'a', b: 'b' }),
      valueType: StateFun.jsonType('foo/bar'),
    });
    const record = decodeKinesisEgressRecord(msg.rawValueBytes);
    expect(Buffer.from(record.valueBytes).toString()).toBe(
      JSON.stringify(JSON.stringify({ a: 'a', b: 'b' })),
    );
  });

  it('refuses every bad option with a message naming kinesisEgressMessage', () => {
    const ok = { typename: 'a/b', stream: 's', partitionKey: 'p', value: 'v' };
    const cases: [unknown, string][] = [
      [
        { ...ok, typename: 'a/' },
        "kinesisEgressMessage: typename 'a/' must be of the form <namespace>/<name>",
      ],
      [{ ...ok, stream: '' }, "kinesisEgressMessage: stream must be a non-empty string, got a string ('')"],
      [
        { ...ok, partitionKey: undefined },
        'kinesisEgressMessage: partitionKey must be a non-empty string, got undefined',
      ],
      [
        { ...ok, hashKey: true },
        'kinesisEgressMessage: hashKey must be a string if given, got a boolean (true)',
      ],
      [{ ...ok, value: null }, 'kinesisEgressMessage: value is missing, got null'],
      [
        { ...ok, value: { a: 1 } },
        'kinesisEgressMessage: cannot infer the bytes of an object (only strings, int32 integers and Uint8Arrays are inferred); pass valueType',
      ],
    ];
    for (const [opts, message] of cases) {
      expectError(() => kinesisEgressMessage(opts as never), InvalidArgumentError, message);
    }
  });
});
