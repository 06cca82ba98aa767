/**
 * kinesisEgressMessage for any stream, keys and value: the record bytes equal an independent
 * encoder's (wire-oracle.ts) and decode back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeKinesisEgressRecord,
  kinesisEgressMessage,
} from '../../../runtime/sdk/kinesis-egress-message.js';
import { lenField } from './wire-oracle.js';

describe('kinesisEgressMessage', () => {
  it('decodes to the stream, keys and value it was built from, for any strings and bytes', () => {
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(
        text,
        text,
        fc.option(text, { nil: undefined }),
        fc.uint8Array({ maxLength: 40 }),
        (stream, partitionKey, hashKey, value) => {
          const msg = kinesisEgressMessage({ typename: 'a/b', stream, partitionKey, hashKey, value });
          const bytes = msg.rawValueBytes;
          expect(decodeKinesisEgressRecord(bytes)).toEqual({
            stream,
            partitionKey,
            explicitHashKey: hashKey,
            valueBytes: value,
          });
          const expected = [
            ...lenField(1, partitionKey),
            ...(value.length === 0 ? [] : lenField(2, value)),
            ...lenField(3, stream),
            ...(hashKey === undefined ? [] : lenField(4, hashKey)),
          ];
          expect([...bytes]).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
