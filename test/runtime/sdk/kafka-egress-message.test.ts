/**
 * kafkaEgressMessage: the KafkaProducerRecord bytes pinned against the SDK's generated encoder
 * (field numbers key 1, value_bytes 2, topic 3), the value inference, and the option checks.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import {
  decodeKafkaProducerRecord,
  KAFKA_PRODUCER_RECORD_TYPENAME,
  kafkaEgressMessage,
} from '../../../runtime/sdk/kafka-egress-message.js';
import { StateFun } from '../../../runtime/sdk/statefun.js';
import { expectError } from './expect-error.js';
import { hex } from './wire-oracle.js';

describe('kafkaEgressMessage', () => {
  it('writes a KafkaProducerRecord under the SDK typename, omitting an absent key', () => {
    const msg = kafkaEgressMessage({ typename: 'foo/bar', topic: 'greets', value: 'hello world' });
    expect(msg.typename).toBe('foo/bar');
    expect(msg.valueTypeName).toBe('type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord');
    expect(KAFKA_PRODUCER_RECORD_TYPENAME).toBe(msg.valueTypeName);
    // 12 0b "hello world" (value_bytes), 1a 06 "greets" (topic)
    expect(hex(msg.rawValueBytes)).toBe('120b68656c6c6f20776f726c64' + '1a06677265657473');
  });

  it('writes the key first when one is given, and treats an empty key as none', () => {
    const msg = kafkaEgressMessage({ typename: 'foo/bar', topic: 't', key: 'k', value: 'v' });
    expect(hex(msg.rawValueBytes)).toBe('0a016b' + '120176' + '1a0174');
    const noKey = kafkaEgressMessage({ typename: 'foo/bar', topic: 't', key: '', value: 'v' });
    expect(hex(noKey.rawValueBytes)).toBe('120176' + '1a0174');
  });

  it('infers the value bytes as the SDK does: an integer as 4 big-endian bytes, bytes as they are', () => {
    const int = kafkaEgressMessage({ typename: 'a/b', topic: 't', value: 1234567 });
    expect(hex(decodeKafkaProducerRecord(int.rawValueBytes).valueBytes)).toBe('0012d687');
    const neg = kafkaEgressMessage({ typename: 'a/b', topic: 't', value: -2 });
    expect(hex(decodeKafkaProducerRecord(neg.rawValueBytes).valueBytes)).toBe('fffffffe');
    const raw = kafkaEgressMessage({ typename: 'a/b', topic: 't', value: Uint8Array.from([1, 2, 3]) });
    expect(hex(decodeKafkaProducerRecord(raw.rawValueBytes).valueBytes)).toBe('010203');
  });

  it('serializes the value with valueType when given', () => {
    const User = StateFun.jsonType<{ a: string }>('foo/User');
    const msg = kafkaEgressMessage({ typename: 'a/b', topic: 't', value: { a: 'b' }, valueType: User });
    expect(User.deserialize(decodeKafkaProducerRecord(msg.rawValueBytes).valueBytes)).toEqual({ a: 'b' });
  });

  it('refuses every bad option with a message naming kafkaEgressMessage', () => {
    const cases: [unknown, string][] = [
      [
        { typename: 'ab', topic: 't', value: 'v' },
        "kafkaEgressMessage: typename 'ab' must be of the form <namespace>/<name>",
      ],
      [
        { typename: 'a/b', value: 'v' },
        'kafkaEgressMessage: topic must be a non-empty string, got undefined',
      ],
      [
        { typename: 'a/b', topic: '', value: 'v' },
        "kafkaEgressMessage: topic must be a non-empty string, got a string ('')",
      ],
      [
        { typename: 'a/b', topic: 't', key: 5, value: 'v' },
        'kafkaEgressMessage: key must be a string if given, got a number (5)',
      ],
      [{ typename: 'a/b', topic: 't' }, 'kafkaEgressMessage: value is missing, got undefined'],
      [
        { typename: 'a/b', topic: 't', value: 1.5 },
        'kafkaEgressMessage: cannot infer the bytes of a number (1.5) (only strings, int32 integers and Uint8Arrays are inferred); pass valueType',
      ],
      [
        { typename: 'a/b', topic: 't', value: 2 ** 31 },
        'kafkaEgressMessage: cannot infer the bytes of a number (2147483648) (only strings, int32 integers and Uint8Arrays are inferred); pass valueType',
      ],
      [
        { typename: 'a/b', topic: 't', value: 'v', valueType: 3 },
        'kafkaEgressMessage: valueType must be a Type (such as StateFun.intType() or StateFun.jsonType(...)), got a number (3)',
      ],
      [
        'x',
        "kafkaEgressMessage: expected an options object { typename, topic, key?, value, valueType? }, got a string ('x')",
      ],
    ];
    for (const [opts, message] of cases) {
      expectError(() => kafkaEgressMessage(opts as never), InvalidArgumentError, message);
    }
  });
});
