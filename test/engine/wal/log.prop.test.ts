/**
 * Write-ahead log properties over random records (sizes from empty to several blocks):
 * round trip, every truncation point, garbage or zeros after a point, and single flipped
 * bytes. The invariant under damage: the reader returns a prefix of what was written (never
 * a wrong payload), or throws CorruptionError when the damage has valid records after it.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptionError } from '../../../engine/errors.js';
import { initHashing } from '../../../engine/util/checksum.js';
import { LOG_BLOCK_BYTES, LOG_HEADER_BYTES } from '../../../engine/wal/log-format.js';
import { readLogRecords } from '../../../engine/wal/log-reader.js';
import type { LogReadResult } from '../../../engine/wal/log-reader.js';
import { concat, expectSameBytes, LOG_NUMBER, payloadOf, writeLog } from './log-helpers.js';

const NAME = '000007.log';
const HEADER_RECORD_BYTES = 23;

beforeAll(async () => {
  await initHashing();
});

/** Record sizes: mostly small, some around a block, a few spanning several blocks. */
const recordSize = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 2, arbitrary: fc.integer({ min: LOG_BLOCK_BYTES - 64, max: LOG_BLOCK_BYTES + 64 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * LOG_BLOCK_BYTES + 100 }) },
);

const recordList = fc
  .array(recordSize, { minLength: 0, maxLength: 12 })
  .map((sizes) => sizes.map((size, i) => payloadOf(size, i + 1)));

/** Checks that `result.records` are the first records written, byte for byte and at their offsets. */
function expectPrefix(
  result: LogReadResult,
  written: readonly Uint8Array[],
  starts: readonly number[],
): void {
  expect(result.records.length).toBeLessThanOrEqual(written.length);
  expect(result.records.map((r) => r.offset)).toEqual(starts.slice(0, result.records.length));
  expectSameBytes(
    result.records.map((r) => r.payload),
    written.slice(0, result.records.length),
  );
}

describe('write-ahead log properties', () => {
  it('every record written is read back unchanged, in order, whatever the sizes and flush grouping', () => {
    fc.assert(
      fc.property(recordList, fc.integer({ min: 1, max: 5 }), (records, groupSize) => {
        const log = writeLog(records, groupSize);
        const result = readLogRecords(log.bytes, NAME);
        expect(result.tornTailOffset).toBeUndefined();
        expect(result.logNumber).toBe(LOG_NUMBER);
        expectSameBytes(
          result.records.map((r) => r.payload),
          records,
        );
        expect(result.records.map((r) => r.offset)).toEqual(log.starts);
        expect(log.bytes.length).toBe(log.writer.fileSize);
      }),
      { numRuns: 60 },
    );
  });

  it('a file cut at any point yields exactly the records that end before the cut, and a torn tail at the next one', () => {
    fc.assert(
      fc.property(recordList, fc.double({ min: 0, max: 1, noNaN: true }), (records, where) => {
        const log = writeLog(records);
        const cut = Math.floor(where * log.bytes.length);
        const result = readLogRecords(log.bytes.subarray(0, cut), NAME);
        const complete = log.ends.filter((end) => end <= cut).length;
        expect(result.records.length).toBe(complete);
        expectPrefix(result, records, log.starts);
        if (cut === 0) {
          expect(result.tornTailOffset).toBeUndefined();
        } else if (cut < HEADER_RECORD_BYTES) {
          expect(result).toEqual({ records: [], tornTailOffset: 0, logNumber: undefined });
        } else {
          const nextStart = log.starts[complete];
          const torn = nextStart !== undefined && cut > nextStart;
          expect(result.tornTailOffset).toBe(torn ? nextStart : undefined);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('garbage or zeros replacing the bytes after any point never change a record before that point', () => {
    fc.assert(
      fc.property(
        recordList,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.uint8Array({ minLength: 1, maxLength: 2 * LOG_BLOCK_BYTES }),
        fc.boolean(),
        (records, where, garbage, zeros) => {
          const log = writeLog(records);
          const cut = HEADER_RECORD_BYTES + Math.floor(where * (log.bytes.length - HEADER_RECORD_BYTES));
          const tail = zeros ? new Uint8Array(garbage.length) : garbage;
          const data = concat([log.bytes.subarray(0, cut), tail]);
          const result = readLogRecords(data, NAME);
          const complete = log.ends.filter((end) => end <= cut).length;
          expect(result.records.length).toBeGreaterThanOrEqual(complete);
          expectPrefix(result, records, log.starts);
          if (result.tornTailOffset !== undefined) {
            expect(result.tornTailOffset).toBeGreaterThanOrEqual(log.starts[result.records.length] ?? cut);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a flipped byte inside a record that has valid records after it is reported as corruption', () => {
    fc.assert(
      fc.property(
        recordList.filter((r) => r.length >= 2),
        fc.nat(),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.integer({ min: 1, max: 255 }),
        (records, pick, where, xor) => {
          const log = writeLog(records);
          const victim = pick % (records.length - 1); // never the last record
          const start = log.starts[victim]!;
          const at = start + Math.floor(where * (log.ends[victim]! - start));
          const data = log.bytes.slice();
          data[at]! ^= xor;
          let thrown: unknown;
          try {
            readLogRecords(data, NAME);
          } catch (err) {
            thrown = err;
          }
          expect(thrown).toBeInstanceOf(CorruptionError);
          expect((thrown as CorruptionError).offset).toBeGreaterThanOrEqual(start);
          expect((thrown as CorruptionError).offset).toBeLessThan(log.ends[victim]!);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a flipped byte anywhere never yields a wrong payload: a prefix of the records, or an error', () => {
    fc.assert(
      fc.property(
        recordList,
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.integer({ min: 1, max: 255 }),
        (records, where, xor) => {
          const log = writeLog(records);
          const at = Math.floor(where * log.bytes.length);
          const data = log.bytes.slice();
          data[at]! ^= xor;
          let result: LogReadResult;
          try {
            result = readLogRecords(data, NAME);
          } catch (err) {
            expect(err).toBeInstanceOf(CorruptionError);
            return;
          }
          expectPrefix(result, records, log.starts);
          if (result.records.length < records.length) {
            // Only the damaged record and what follows it may be missing, and only as a torn tail.
            const lost = result.records.length;
            expect(result.tornTailOffset).toBe(lost === 0 && at < HEADER_RECORD_BYTES ? 0 : log.starts[lost]);
            expect(at).toBeGreaterThanOrEqual(lost === 0 && at < HEADER_RECORD_BYTES ? 0 : log.starts[lost]!);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a flipped byte in block padding is ignored', () => {
    // Regression-style example for the padding branch of the property above.
    const first = payloadOf(LOG_BLOCK_BYTES - HEADER_RECORD_BYTES - LOG_HEADER_BYTES - 3, 1);
    const log = writeLog([first, payloadOf(4, 2)]);
    const data = log.bytes.slice();
    data[LOG_BLOCK_BYTES - 2] = 0x5a;
    expect(readLogRecords(data, NAME).records.map((r) => r.payload)).toEqual([first, payloadOf(4, 2)]);
  });
});
