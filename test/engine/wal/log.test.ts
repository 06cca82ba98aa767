/**
 * Write-ahead log examples: the physical layout (blocks, fragments, padding, file header),
 * the writer's one-append-per-flush contract, and each case of the torn-tail policy
 * (engine/FORMAT.md, "Write-ahead log"). Randomized properties are in log.prop.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { WritableFile } from '../../../engine/env/file-system.js';
import { MemoryFileSystem } from '../../../engine/env/memory-file-system.js';
import { CorruptionError, IncompatibleFormatError } from '../../../engine/errors.js';
import { readU32, writeU32, writeU64 } from '../../../engine/util/bytes.js';
import { initHashing } from '../../../engine/util/checksum.js';
import { InvariantError } from '../../../engine/util/invariant.js';
import {
  LOG_BLOCK_BYTES,
  LOG_HEADER_BYTES,
  WAL_FILE_HEADER_PAYLOAD_BYTES,
  WAL_FORMAT_VERSION,
  WAL_MAGIC,
} from '../../../engine/wal/log-format.js';
import { readLogRecords } from '../../../engine/wal/log-reader.js';
import { LogWriter } from '../../../engine/wal/log-writer.js';
import { concat, frame, headerRecord, LOG_NUMBER, payloadOf, writeLog } from './log-helpers.js';

const NAME = '000007.log';
const HEADER_RECORD_BYTES = LOG_HEADER_BYTES + WAL_FILE_HEADER_PAYLOAD_BYTES;

beforeAll(async () => {
  await initHashing();
});

function payloads(result: ReturnType<typeof readLogRecords>): Uint8Array[] {
  return result.records.map((r) => r.payload);
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('LogWriter and readLogRecords', () => {
  it('records read back in order with their offsets and the log number', () => {
    const records = [payloadOf(10, 1), payloadOf(0, 2), payloadOf(300, 3)];
    const log = writeLog(records);
    const result = readLogRecords(log.bytes, NAME);
    expect(result.logNumber).toBe(LOG_NUMBER);
    expect(result.tornTailOffset).toBeUndefined();
    expect(payloads(result)).toEqual(records);
    expect(result.records.map((r) => r.offset)).toEqual(log.starts);
    expect(log.starts[0]).toBe(HEADER_RECORD_BYTES);
  });

  it('a file begins with a checksummed FILE_HEADER record carrying magic, version and log number', () => {
    const { bytes } = writeLog([]);
    expect(bytes.length).toBe(HEADER_RECORD_BYTES);
    expect(bytes[6]).toBe(5);
    expect(bytes[4]! | (bytes[5]! << 8)).toBe(WAL_FILE_HEADER_PAYLOAD_BYTES);
    expect(readU32(bytes, LOG_HEADER_BYTES)).toBe(WAL_MAGIC);
    expect(readU32(bytes, LOG_HEADER_BYTES + 4)).toBe(WAL_FORMAT_VERSION);
    expect(readU32(bytes, LOG_HEADER_BYTES + 8)).toBe(LOG_NUMBER);
    expect(bytes).toEqual(headerRecord());
  });

  it('a record larger than a block is split into FIRST, MIDDLE and LAST fragments, one per block', () => {
    const big = payloadOf(3 * LOG_BLOCK_BYTES, 9);
    const { bytes } = writeLog([big, payloadOf(5, 10)]);
    expect(bytes[HEADER_RECORD_BYTES + 6]).toBe(2); // FIRST
    expect(bytes[LOG_BLOCK_BYTES + 6]).toBe(3); // MIDDLE
    expect(bytes[2 * LOG_BLOCK_BYTES + 6]).toBe(3); // MIDDLE
    expect(bytes[3 * LOG_BLOCK_BYTES + 6]).toBe(4); // LAST
    const result = readLogRecords(bytes, NAME);
    expect(payloads(result)).toEqual([big, payloadOf(5, 10)]);
    expect(result.records[0]!.offset).toBe(HEADER_RECORD_BYTES);
  });

  it('a block tail shorter than a header is zero-filled and the next record starts the next block', () => {
    // Leave exactly 6 bytes in block 0 after the first record.
    const first = payloadOf(LOG_BLOCK_BYTES - HEADER_RECORD_BYTES - LOG_HEADER_BYTES - 6, 1);
    const log = writeLog([first, payloadOf(20, 2)]);
    expect(log.ends[0]).toBe(LOG_BLOCK_BYTES - 6);
    expect(log.starts[1]).toBe(LOG_BLOCK_BYTES);
    expect([...log.bytes.subarray(LOG_BLOCK_BYTES - 6, LOG_BLOCK_BYTES)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(payloads(readLogRecords(log.bytes, NAME))).toEqual([first, payloadOf(20, 2)]);
  });

  it('a record that exactly fills its block leaves no padding and is followed by a record at the block start', () => {
    const first = payloadOf(LOG_BLOCK_BYTES - HEADER_RECORD_BYTES - LOG_HEADER_BYTES, 1);
    const log = writeLog([first, payloadOf(1, 2)]);
    expect(log.ends[0]).toBe(LOG_BLOCK_BYTES);
    expect(log.bytes[LOG_BLOCK_BYTES + 6]).toBe(1); // FULL
    expect(payloads(readLogRecords(log.bytes, NAME))).toEqual([first, payloadOf(1, 2)]);
  });

  it('addRecord reaches the file only at flush, and flush hands all pending records over in one append', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/db');
    const inner = fs.openWritable('/db/000001.log', 'create');
    const appends: number[] = [];
    const counting: WritableFile = {
      path: inner.path,
      get size() {
        return inner.size;
      },
      append: (data) => {
        appends.push(data.length);
        inner.append(data);
      },
      sync: () => inner.sync(),
      syncNow: () => inner.syncNow(),
      close: () => inner.close(),
    };
    const writer = new LogWriter(counting, 1);
    for (let i = 0; i < 50; i++) writer.addRecord(payloadOf(2000, i));
    expect(appends).toEqual([]);
    expect(fs.fileSize('/db/000001.log')).toBe(0);
    expect(writer.pendingBytes).toBe(writer.fileSize);
    writer.flush();
    expect(appends).toEqual([writer.fileSize]);
    expect(fs.fileSize('/db/000001.log')).toBe(writer.fileSize);
    expect(writer.pendingBytes).toBe(0);
    writer.flush();
    expect(appends.length).toBe(1);
  });

  it('sync flushes pending records and makes them durable', async () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/db');
    const writer = new LogWriter(fs.openWritable('/db/000001.log', 'create'), 1);
    await fs.syncDir('/db');
    writer.addRecord(payloadOf(100, 1));
    await writer.sync();
    const after = fs.crash();
    expect(payloads(readLogRecords(after.readFile('/db/000001.log'), NAME))).toEqual([payloadOf(100, 1)]);
  });

  it('close flushes pending records', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/db');
    const writer = new LogWriter(fs.openWritable('/db/000001.log', 'create'), 1);
    writer.addRecord(payloadOf(10, 1));
    writer.close();
    expect(payloads(readLogRecords(fs.readFile('/db/000001.log'), NAME))).toEqual([payloadOf(10, 1)]);
    expect(() => writer.addRecord(payloadOf(1, 1))).toThrow(InvariantError);
  });

  it('a writer refuses a file that already holds bytes', () => {
    const fs = new MemoryFileSystem();
    fs.mkdirp('/db');
    const file = fs.openWritable('/db/000001.log', 'create');
    file.append(new Uint8Array(3));
    expect(() => new LogWriter(file, 1)).toThrow(InvariantError);
  });
});

describe('readLogRecords file header checks', () => {
  it('an empty file holds no records, no torn tail and no log number', () => {
    expect(readLogRecords(new Uint8Array(0), NAME)).toEqual({
      records: [],
      tornTailOffset: undefined,
      logNumber: undefined,
    });
  });

  it('a torn file header is a torn tail at offset 0', () => {
    const header = headerRecord();
    for (const cut of [1, 6, 7, 15, header.length - 1]) {
      const result = readLogRecords(header.subarray(0, cut), NAME);
      expect(result).toEqual({ records: [], tornTailOffset: 0, logNumber: undefined });
    }
  });

  it('a first record that is not a FILE_HEADER is refused as another format', () => {
    const data = frame(1, payloadOf(40, 1));
    const err = catchError(() => readLogRecords(data, NAME));
    expect(err).toBeInstanceOf(IncompatibleFormatError);
    expect((err as Error).message).toContain(NAME);
  });

  it('a FILE_HEADER with the wrong magic is refused as another format', () => {
    const payload = new Uint8Array(WAL_FILE_HEADER_PAYLOAD_BYTES);
    writeU32(payload, 0, 0x12345678);
    writeU32(payload, 4, 1);
    expect(() => readLogRecords(frame(5, payload), NAME)).toThrow(IncompatibleFormatError);
    expect(() => readLogRecords(frame(5, payload), NAME)).toThrow(/not a statefn write-ahead log/);
  });

  it('a FILE_HEADER of a newer format version is refused and the message names the version', () => {
    const payload = new Uint8Array(WAL_FILE_HEADER_PAYLOAD_BYTES);
    writeU32(payload, 0, WAL_MAGIC);
    writeU32(payload, 4, WAL_FORMAT_VERSION + 1);
    writeU64(payload, 8, 3);
    const data = concat([frame(5, payload), frame(1, payloadOf(3, 1))]);
    const err = catchError(() => readLogRecords(data, NAME));
    expect(err).toBeInstanceOf(IncompatibleFormatError);
    expect((err as Error).message).toContain(`version ${WAL_FORMAT_VERSION + 1}`);
  });

  it('a version-1 FILE_HEADER of the wrong size is corruption', () => {
    const payload = new Uint8Array(12);
    writeU32(payload, 0, WAL_MAGIC);
    writeU32(payload, 4, WAL_FORMAT_VERSION);
    expect(() => readLogRecords(frame(5, payload), NAME)).toThrow(CorruptionError);
  });
});

describe('readLogRecords torn-tail policy', () => {
  const records = [payloadOf(100, 1), payloadOf(200, 2), payloadOf(50_000, 3), payloadOf(70, 4)];

  it('a file cut inside its last record returns the records before it and a torn tail at its start', () => {
    const log = writeLog(records);
    for (const cut of [log.starts[3]! + 1, log.starts[3]! + 7, log.ends[3]! - 1]) {
      const result = readLogRecords(log.bytes.subarray(0, cut), NAME);
      expect(payloads(result)).toEqual(records.slice(0, 3));
      expect(result.tornTailOffset).toBe(log.starts[3]);
    }
  });

  it('a file cut inside a fragmented record reports the torn tail at its FIRST fragment', () => {
    const log = writeLog(records.slice(0, 3));
    // Cut exactly at the block boundary inside record 2: every fragment present is intact.
    const cut = LOG_BLOCK_BYTES;
    expect(log.starts[2]! < cut && log.ends[2]! > cut).toBe(true);
    const result = readLogRecords(log.bytes.subarray(0, cut), NAME);
    expect(payloads(result)).toEqual(records.slice(0, 2));
    expect(result.tornTailOffset).toBe(log.starts[2]);
  });

  it('zeros where the last record should be are a torn tail', () => {
    const log = writeLog(records);
    const data = log.bytes.slice();
    data.fill(0, log.starts[3]);
    const result = readLogRecords(data, NAME);
    expect(payloads(result)).toEqual(records.slice(0, 3));
    expect(result.tornTailOffset).toBe(log.starts[3]);
  });

  it('garbage after the last record is a torn tail at its first byte', () => {
    const log = writeLog(records);
    const data = concat([log.bytes, payloadOf(500, 99)]);
    const result = readLogRecords(data, NAME);
    expect(payloads(result)).toEqual(records);
    expect(result.tornTailOffset).toBe(log.bytes.length);
  });

  it('a checksum mismatch followed by a valid record is corruption naming the file and offset', () => {
    const log = writeLog(records);
    const data = log.bytes.slice();
    data[log.starts[1]! + LOG_HEADER_BYTES + 10]! ^= 0x01;
    const err = catchError(() => readLogRecords(data, NAME));
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as CorruptionError).file).toBe(NAME);
    expect((err as CorruptionError).offset).toBe(log.starts[1]);
    expect((err as Error).message).toContain(`valid record follows at offset ${log.starts[2]}`);
  });

  it('a corrupted length field followed by valid records is corruption', () => {
    const log = writeLog(records);
    const data = log.bytes.slice();
    data[log.starts[0]! + 4] = 3; // claims 3 bytes instead of 100
    expect(() => readLogRecords(data, NAME)).toThrow(CorruptionError);
  });

  it('a corrupted MIDDLE fragment followed by valid records is corruption', () => {
    const log = writeLog(records);
    const data = log.bytes.slice();
    data[LOG_BLOCK_BYTES + LOG_HEADER_BYTES + 5]! ^= 0x80; // inside record 2's second fragment
    expect(() => readLogRecords(data, NAME)).toThrow(CorruptionError);
  });

  it('a length running past the block end with nothing valid after it is a torn tail', () => {
    const data = concat([headerRecord(), frame(1, payloadOf(10, 1)), frame(1, payloadOf(4, 2), 40_000)]);
    const result = readLogRecords(data, NAME);
    expect(payloads(result)).toEqual([payloadOf(10, 1)]);
    expect(result.tornTailOffset).toBe(headerRecord().length + LOG_HEADER_BYTES + 10);
  });

  it('a MIDDLE or LAST record without a FIRST is a torn tail at the end and corruption before a valid record', () => {
    for (const type of [3, 4]) {
      const orphan = frame(type, payloadOf(8, 1));
      const tail = concat([headerRecord(), orphan]);
      expect(readLogRecords(tail, NAME)).toEqual({
        records: [],
        tornTailOffset: headerRecord().length,
        logNumber: LOG_NUMBER,
      });
      const mid = concat([headerRecord(), orphan, frame(1, payloadOf(8, 2))]);
      expect(() => readLogRecords(mid, NAME)).toThrow(CorruptionError);
    }
  });

  it('a FULL record where a fragmented record should continue is corruption', () => {
    const h = headerRecord();
    const firstPayload = payloadOf(LOG_BLOCK_BYTES - h.length - LOG_HEADER_BYTES, 1);
    const data = concat([h, frame(2, firstPayload), frame(1, payloadOf(9, 2))]);
    expect(data.length).toBe(LOG_BLOCK_BYTES + LOG_HEADER_BYTES + 9);
    const err = catchError(() => readLogRecords(data, NAME));
    expect(err).toBeInstanceOf(CorruptionError);
    expect((err as CorruptionError).offset).toBe(h.length);
  });

  it('a FILE_HEADER or unknown record type after the start is a bad record', () => {
    for (const type of [5, 9]) {
      const data = concat([headerRecord(), frame(type, payloadOf(16, 1)), frame(1, payloadOf(8, 2))]);
      expect(() => readLogRecords(data, NAME)).toThrow(CorruptionError);
      const tail = concat([headerRecord(), frame(1, payloadOf(8, 2)), frame(type, payloadOf(16, 1))]);
      expect(payloads(readLogRecords(tail, NAME))).toEqual([payloadOf(8, 2)]);
    }
  });
});

describe('out-of-order writeback', () => {
  it('a zeroed page before later valid records is a torn tail, not corruption, and only records before it survive', async () => {
    await initHashing();
    const fs = new MemoryFileSystem();
    const writer = new LogWriter(fs.openWritable('/w.log', 'create'), 7);
    const payloads = Array.from({ length: 12 }, (_, i) => new Uint8Array(1000).fill(i + 1));
    for (const p of payloads) writer.addRecord(p);
    writer.flush();
    const data = fs.readFile('/w.log');
    // The OS wrote back pages 0 and 2 but not page 1 (bytes 4096..8191).
    data.fill(0, 4096, 8192);
    const { records, tornTailOffset } = readLogRecords(data, '/w.log');
    expect(tornTailOffset).toBeDefined();
    expect(tornTailOffset!).toBeLessThanOrEqual(4096);
    expect(records.length).toBeGreaterThan(0);
    records.forEach((r, i) => expect(r.payload).toEqual(payloads[i]));
  });

  it('damage that is not a zeroed page before later valid records is still corruption', async () => {
    await initHashing();
    const fs = new MemoryFileSystem();
    const writer = new LogWriter(fs.openWritable('/w.log', 'create'), 7);
    for (let i = 0; i < 12; i++) writer.addRecord(new Uint8Array(1000).fill(i + 1));
    writer.flush();
    const data = fs.readFile('/w.log');
    data.fill(0, 4096, 8000); // not a whole page
    expect(() => readLogRecords(data, '/w.log')).toThrow(CorruptionError);
  });
});
