/**
 * Crash round trip of the write-ahead log on MemoryFileSystem: records are written in commit
 * groups, some groups are synced, then the machine crashes keeping a random prefix of the
 * unsynced bytes. Every record up to the last sync must be read back, and nothing read back
 * may differ from what was written.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { initHashing } from '../../../engine/util/checksum.js';
import { LOG_BLOCK_BYTES, LOG_HEADER_BYTES } from '../../../engine/wal/log-format.js';
import { readLogRecords } from '../../../engine/wal/log-reader.js';
import { LogWriter } from '../../../engine/wal/log-writer.js';
import { DIR, expectSameBytes, LOG_PATH, payloadOf, seededRandom } from './log-helpers.js';

const NAME = '000007.log';

beforeAll(async () => {
  await initHashing();
});

const group = fc.record({
  sizes: fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 0, max: 200 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * LOG_BLOCK_BYTES }) },
    ),
    { minLength: 1, maxLength: 5 },
  ),
  sync: fc.boolean(),
});

describe('write-ahead log crash recovery', () => {
  it('after a crash every record up to the last sync is read back, and the rest is a clean prefix', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(group, { minLength: 1, maxLength: 8 }),
        fc.integer(),
        async (groups, seed) => {
          const fs = new MemoryFileSystem();
          fs.mkdirp(DIR);
          const writer = new LogWriter(fs.openWritable(LOG_PATH, 'create'), 7);
          await fs.syncDir(DIR);
          const written: Uint8Array[] = [];
          const starts: number[] = [];
          let durable = 0;
          for (const g of groups) {
            for (const size of g.sizes) {
              const payload = payloadOf(size, written.length + 1);
              written.push(payload);
              const end = writer.fileSize;
              const left = LOG_BLOCK_BYTES - (end % LOG_BLOCK_BYTES);
              starts.push(left < LOG_HEADER_BYTES ? end + left : end);
              writer.addRecord(payload);
            }
            if (g.sync) {
              await writer.sync();
              durable = written.length;
            } else {
              writer.flush();
            }
          }

          const after = fs.crash({ random: seededRandom(seed) });
          const result = readLogRecords(after.readFile(LOG_PATH), NAME);
          expect(result.records.length).toBeGreaterThanOrEqual(durable);
          expectSameBytes(
            result.records.map((r) => r.payload),
            written.slice(0, result.records.length),
          );
          expect(result.records.map((r) => r.offset)).toEqual(starts.slice(0, result.records.length));
          if (result.tornTailOffset !== undefined) {
            // Torn inside the header (nothing was durable) or at the first record not read back.
            const expected = result.logNumber === undefined ? 0 : starts[result.records.length];
            expect(result.tornTailOffset).toBe(expected);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a crash before the first sync loses at most the header and leaves a readable, empty or partial log', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp(DIR);
    const writer = new LogWriter(fs.openWritable(LOG_PATH, 'create'), 7);
    writer.addRecord(payloadOf(100, 1));
    writer.flush();
    return fs.syncDir(DIR).then(() => {
      const after = fs.crash();
      expect(readLogRecords(after.readFile(LOG_PATH), NAME)).toEqual({
        records: [],
        tornTailOffset: undefined,
        logNumber: undefined,
      });
    });
  });
});
