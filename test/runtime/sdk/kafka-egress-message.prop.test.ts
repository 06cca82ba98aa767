/**
 * kafkaEgressMessage for any topic, key and value: the record bytes equal an independent
 * encoder's (wire-oracle.ts) and decode back; any bytes decode or raise InvalidArgumentError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../runtime/errors.js';
import { decodeKafkaProducerRecord, kafkaEgressMessage } from '../../../runtime/sdk/kafka-egress-message.js';
import { lenField } from './wire-oracle.js';

describe('kafkaEgressMessage', () => {
  it('decodes to the topic, key and value it was built from, for any strings and bytes', () => {
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(
        text,
        fc.option(text, { nil: undefined }),
        fc.uint8Array({ maxLength: 40 }),
        (topic, key, value) => {
          const msg = kafkaEgressMessage({ typename: 'a/b', topic, key, value });
          const bytes = msg.rawValueBytes;
          expect(decodeKafkaProducerRecord(bytes)).toEqual({ topic, key, valueBytes: value });
          // Oracle: fields in number order, empty ones omitted (wire-oracle.ts).
          const expected = [
            ...(key === undefined ? [] : lenField(1, key)),
            ...(value.length === 0 ? [] : lenField(2, value)),
            ...lenField(3, topic),
          ];
          expect([...bytes]).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decoding arbitrary bytes gives a record or raises InvalidArgumentError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (input) => {
        try {
          const record = decodeKafkaProducerRecord(input);
          expect(typeof record.topic).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
